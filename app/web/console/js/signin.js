// Sign in: e-mail and password, then a 6-digit code when the account has two-step sign-in.

import { call } from "./http.js";
import { signedIn, takeNotice } from "./app.js";
import { codeInput } from "./totp.js";
import { h, replace, field, messageLine, busy } from "./ui.js";

export function render(view) {
  const notice = takeNotice();
  const card = h("section", { class: "signin card" });
  view.append(card);
  passwordStep(card, notice);
}

function passwordStep(card, notice) {
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true, maxlength: "254" });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const message = messageLine();
  const submit = h("button", { type: "submit", class: "button button-primary" }, "Sign in");
  const form = h("form", { novalidate: true },
    field("E-mail", email),
    field("Password", password),
    message.el,
    h("div", { class: "actions" }, submit));
  replace(card,
    h("h1", { tabindex: "-1" }, "Sign in to the clinic console"),
    notice ? h("p", { class: "message message-info", role: "status" }, notice) : null,
    form,
    h("p", { class: "muted" }, "Forgotten your password, or lost the phone with your code? A clinic admin can give you a set-password link, or reset your two-step sign-in."));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!email.value.trim() || !password.value) {
      message.error("Please enter your e-mail and password.");
      (email.value.trim() ? password : email).focus();
      return;
    }
    busy(submit, async () => {
      message.clear();
      try {
        const result = await call("POST", "/api/auth/login", { email: email.value.trim(), password: password.value });
        if (result && result.second_factor_required) {
          codeStep(card);
          return;
        }
        await signedIn(result && "staff" in result ? result.staff : result);
      } catch (error) {
        password.value = "";
        if (error.status === 401) message.error("That e-mail and password do not match an account.");
        else message.error(error);
        password.focus();
      }
    });
  });
  email.focus();
}

function codeStep(card) {
  const code = codeInput();
  const message = messageLine();
  const submit = h("button", { type: "submit", class: "button button-primary" }, "Confirm");
  const back = h("button", { type: "button", class: "button button-link", onclick: () => passwordStep(card, "") }, "Use a different account");
  const form = h("form", { novalidate: true },
    field("6-digit code", code, { hint: "From the authenticator app on your phone." }),
    message.el,
    h("div", { class: "actions" }, back, submit));
  replace(card, h("h1", { tabindex: "-1" }, "Enter your sign-in code"), form);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = code.value.replace(/\s+/g, "");
    if (!/^\d{6}$/.test(value)) {
      message.error("The code is 6 digits.");
      code.focus();
      return;
    }
    busy(submit, async () => {
      message.clear();
      try {
        const result = await call("POST", "/api/auth/login/totp", { code: value });
        await signedIn(result.staff || result);
      } catch (error) {
        code.value = "";
        if (error.status === 401 && error.code === "wrong_code") message.error("That code is not right, or was already used. Wait for the next one and try again.");
        else if (error.status === 401) {
          passwordStep(card, "The sign-in took too long. Please start again.");
          return;
        } else message.error(error);
        code.focus();
      }
    });
  });
  code.focus();
}
