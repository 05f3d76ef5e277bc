// Two-step sign-in required: the only page for someone whose role needs it until it is on.

import { session } from "./session.js";
import { h, pageHeading } from "./ui.js";
import { showTotp } from "./totp.js";
import { openConsole } from "./app.js";

export function render(view) {
  const card = h("section", { class: "card", "aria-labelledby": "totp-h" });
  view.append(
    pageHeading("Set up two-step sign-in"),
    h("div", { class: "stack narrow" },
      h("p", {}, `Your clinic asks everyone with the ${session.me.role} role to sign in with a code from an authenticator app as well as the password. Set it up now: the console opens as soon as it is on.`),
      h("p", { class: "muted" }, "You need an authenticator app on your phone, such as Google Authenticator, Microsoft Authenticator or FreeOTP."),
      card));
  showTotp(card, { onEnabled: openConsole });
}
