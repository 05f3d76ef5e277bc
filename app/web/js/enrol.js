// The clinic's link is /enrol#CODE: the code is in the fragment, so it never reaches a server
// log. Redeem it by POST, then take it out of the address bar and the history at once.

import { api, ApiError } from "./api.js";
import { t } from "./i18n.js";

/** → {kind: "ok", profile} | {kind: "refused", detail} | {kind: "offline"} | {kind: "no-code"} */
export async function redeemLink() {
  let code = location.hash.slice(1);
  try {
    code = decodeURIComponent(code);
  } catch {
    // keep it as it is; the server will say it is unknown
  }
  history.replaceState(null, "", "/");
  code = code.trim();
  if (!code) return { kind: "no-code" };
  try {
    const { data } = await api("POST", "/api/enrol", { code });
    return { kind: "ok", profile: data };
  } catch (error) {
    if (error instanceof ApiError) {
      const detail = error.status === 422
        ? t("enrol.incomplete")
        : error.detail;
      return { kind: "refused", detail };
    }
    return { kind: "offline" };
  }
}
