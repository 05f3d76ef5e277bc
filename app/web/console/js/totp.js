// The two-step sign-in (TOTP) card: set it up from a QR code, turn it on with a first code,
// and turn it off where the clinic does not require it.

import { call } from "./http.js";
import { session } from "./session.js";
import { h, replace, field, messageLine, busy, safeSvg, announce } from "./ui.js";

/** The 6-digit code field, as authenticator apps and password managers expect it. */
export function codeInput() {
  return h("input", {
    type: "text", name: "code", inputmode: "numeric", autocomplete: "one-time-code",
    pattern: "[0-9]{6}", maxlength: "6", required: true, class: "input-code",
  });
}

function heading(state) {
  return h("div", { class: "card-head" },
    h("h2", { id: "totp-h" }, "Two-step sign-in"),
    h("span", { class: `badge ${state === "on" ? "badge-ok" : "badge-warn"}` }, state));
}

/**
 * Fill `card` (a section labelled by #totp-h) for the signed-in staff member; safe to call
 * again. `onEnabled` runs once two-step sign-in has been turned on.
 */
export function showTotp(card, { onEnabled = () => undefined } = {}) {
  const me = session.me;
  if (me.totp_enabled && me.totp_required) {
    replace(card, heading("on"),
      h("p", {}, "Signing in asks for a code from your authenticator app."),
      h("p", { class: "muted" }, "Your clinic requires it for your role, so it stays on."));
    return;
  }
  if (me.totp_enabled) {
    showTurnOff(card, { onEnabled });
    return;
  }
  const password = h("input", { type: "password", autocomplete: "current-password", required: true });
  const start = h("button", { type: "submit", class: "button button-primary" }, "Set up");
  const message = messageLine();
  const form = h("form", { novalidate: true }, field("Your password", password), message.el, h("div", { class: "actions" }, start));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!password.value) { message.error("Please enter your password."); password.focus(); return; }
    busy(start, async () => {
      try {
        const setup = await call("POST", "/api/auth/totp/setup", { password: password.value });
        confirmStep(card, setup, { onEnabled });
      } catch (error) {
        message.error(error.status === 401 || error.code === "wrong_password" ? "The password is not right." : error);
      }
    });
  });
  replace(card, heading("off"),
    h("p", {}, "Protect your account with a 6-digit code from an authenticator app on your phone."),
    form);
}

function showTurnOff(card, options) {
  const password = h("input", { type: "password", autocomplete: "current-password", required: true });
  const code = codeInput();
  const message = messageLine();
  const submit = h("button", { type: "submit", class: "button" }, "Turn off two-step sign-in");
  const form = h("form", { novalidate: true }, field("Password", password), field("Current code", code), message.el, h("div", { class: "actions" }, submit));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, async () => {
      try {
        await call("POST", "/api/auth/totp/disable", { password: password.value, code: code.value.trim() });
        session.me.totp_enabled = false;
        showTotp(card, options);
        announce("Two-step sign-in is off.");
      } catch (error) {
        if (error.code === "totp_required_for_role") {
          session.me.totp_required = true; // the clinic's setting changed since this page opened
          showTotp(card, options);
          return;
        }
        message.error(error.status === 401 || /^wrong_/.test(error.code || "") ? "The password or the code is not right." : error);
      }
    });
  });
  replace(card, heading("on"), h("p", {}, "Signing in asks for a code from your authenticator app."), form);
}

function confirmStep(card, setup, options) {
  const code = codeInput();
  const message = messageLine();
  const submit = h("button", { type: "submit", class: "button button-primary" }, "Turn on");
  const cancel = h("button", { type: "button", class: "button button-link", onclick: () => showTotp(card, options) }, "Cancel");
  const form = h("form", { novalidate: true }, field("Code from the app", code), message.el, h("div", { class: "actions" }, cancel, submit));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = code.value.replace(/\s+/g, "");
    if (!/^\d{6}$/.test(value)) { message.error("The code is 6 digits."); code.focus(); return; }
    busy(submit, async () => {
      try {
        await call("POST", "/api/auth/totp/enable", { code: value });
      } catch (error) {
        message.error(error.status === 401 || error.status === 422 ? "That code is not right. Check the phone's clock and try the next code." : error);
        return;
      }
      session.me.totp_enabled = true;
      showTotp(card, options);
      announce("Two-step sign-in is on.");
      await options.onEnabled();
    });
  });
  const qr = safeSvg(setup.qr_svg);
  replace(card,
    h("h2", { id: "totp-h" }, "Two-step sign-in"),
    h("div", { class: "result" },
      h("figure", { class: "qr qr-small", "aria-label": "QR code for the authenticator app" }, qr),
      h("div", {},
        h("p", {}, "Scan the code with the authenticator app, or type this key into it:"),
        h("p", {}, h("code", { class: "secret" }, setup.secret)),
        form)));
  code.focus();
}
