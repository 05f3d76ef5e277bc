// Set a password with the one-time link an admin issued: whose link it is, the new one twice.

import { call, problem } from "./http.js";
import { h, replace, messageLine, busy, pageHeading, newPasswordFields } from "./ui.js";

let heldToken = ""; // out of the address bar at once; kept here while the page is open

export function render(view, { query }) {
  if (query.get("token")) {
    heldToken = query.get("token");
    // The token leaves the address bar and the history: a shared computer keeps no copy.
    history.replaceState(null, "", "#/set-password");
  }
  const card = h("section", { class: "card narrow", "aria-labelledby": "set-h" });
  view.append(pageHeading("Set your password"), card);
  if (!heldToken) {
    showProblem(card, "This page needs the whole set-password link: open it again from the message, or ask a clinic admin for a new one.");
    return;
  }
  replace(card, h("p", { class: "loading" }, "Checking the link…"));
  call("POST", "/api/auth/password-reset/check", { token: heldToken })
    .then((holder) => showForm(card, holder))
    .catch((error) => showProblem(card, linkProblem(error)));
}

/** What went wrong with the link, in words (the server's sentence for its own codes). */
function linkProblem(error) {
  return /^reset_link_/.test(error.code || "") ? error.detail : problem(error);
}

function showProblem(card, text) {
  replace(card,
    h("h2", { id: "set-h" }, "This link cannot be used"),
    h("p", { class: "message message-error", role: "alert" }, text),
    h("p", {}, h("a", { href: "#/signin" }, "Go to sign in")));
}

function showForm(card, holder) {
  const password = newPasswordFields();
  const message = messageLine();
  const submit = h("button", { type: "submit", class: "button button-primary" }, "Set password");
  const who = holder.name ? `${holder.name} (${holder.email})` : holder.email;
  // The e-mail as a username field: password managers then save the new password for it.
  const username = h("input", { type: "email", value: holder.email, autocomplete: "username", readonly: true, hidden: true });
  const form = h("form", { novalidate: true },
    username,
    ...password.fields,
    message.el,
    h("div", { class: "actions" }, submit));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const wrong = password.problem();
    if (wrong) { message.error(wrong); return; }
    busy(submit, async () => {
      try {
        await call("POST", "/api/auth/password-reset", { token: heldToken, new_password: password.value() });
      } catch (error) {
        if (/^reset_link_/.test(error.code || "")) { showProblem(card, error.detail); return; }
        message.error(error);
        password.focus();
        return;
      }
      heldToken = "";
      replace(card,
        h("h2", { id: "set-h" }, "Your password is set"),
        h("p", { class: "message message-ok", role: "status" }, "You were signed out everywhere: sign in with the new password."),
        h("p", {}, h("a", { class: "button button-primary", href: "#/signin" }, "Sign in")));
    });
  });
  replace(card, h("h2", { id: "set-h" }, `For ${who}`), form);
  password.focus();
}
