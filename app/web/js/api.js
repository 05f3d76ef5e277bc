// Same-origin JSON calls. The session is an HttpOnly cookie: this code never sees a token.

import { t } from "./i18n.js";
import { learnServerTime } from "./time.js";

const TIMEOUT_MS = 20000;

/** The server answered with an error: `code` and `detail` (a sentence for people); for a form
 *  the server refused, `fields`: [{field, message}], each sentence to show by its field. */
export class ApiError extends Error {
  constructor(status, code, detail, fields = []) {
    super(detail || `Request failed (${status})`);
    this.status = status;
    this.code = code || "error";
    this.detail = detail || t("api.failed");
    this.fields = fields;
  }
  /** Worth sending again later (the server or the network had a problem, not the request). */
  get transient() {
    return this.status >= 500 || this.status === 408 || this.status === 429;
  }
}

/** The server could not be reached (offline, or no answer in time). */
export class NetworkError extends Error {}

/**
 * One same-origin fetch with a time limit and an optional JSON body → {response, data,
 * sentAt, receivedAt}: data is the parsed JSON answer (null for 204 or a body that is not
 * JSON). Throws NetworkError when the server cannot be reached; an error status is left
 * to the caller.
 */
export async function send(method, path, body, headers = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  const init = { method, credentials: "same-origin", signal: controller.signal, headers: { ...headers } };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  const sentAt = Date.now();
  try {
    response = await fetch(path, init);
  } catch {
    throw new NetworkError("offline");
  } finally {
    clearTimeout(timer);
  }
  const receivedAt = Date.now();
  let data = null;
  if (response.status !== 204) {
    try { data = await response.json(); } catch { data = null; }
  }
  return { response, data, sentAt, receivedAt };
}

/**
 * api("GET", "/api/me") → {data, savedAt}; savedAt is set when the answer came from the
 * service worker's copy because the phone is offline.
 */
export async function api(method, path, body) {
  const { response, data, sentAt, receivedAt } = await send(method, path, body);
  const savedAt = response.headers.get("x-aftercare-saved-at");
  if (!savedAt) learnServerTime(response.headers.get("x-server-time"), sentAt, receivedAt);
  if (!response.ok) {
    // The service worker answers 503 "offline" when it has no saved copy.
    if (response.status === 503 && data && data.code === "offline") throw new NetworkError("offline");
    const fields = data && Array.isArray(data.errors)
      ? data.errors.filter((e) => e && e.field && e.message).map((e) => ({ field: e.field, message: e.message }))
      : [];
    throw new ApiError(response.status, data && data.code, data && data.detail, fields);
  }
  return { data, savedAt, status: response.status };
}
