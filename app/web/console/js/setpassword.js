// Set a password with the one-time link an admin issued: whose link it is, the new one twice.

import { call, problem } from "./http.js";
import { h, replace, field, messageLine, busy, pageHeading } from "./ui.js";

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
  const next = h("input", { type: "password", autocomplete: "new-password", required: true, minlength: "12" });
  const again = h("input", { type: "password", autocomplete: "new-password", required: true });
  const message = messageLine();
  const submit = h("button", { type: "submit", class: "button button-primary" }, "Set password");
  const who = holder.name ? `${holder.name} (${holder.email})` : holder.email;
  // The e-mail as a username field: password managers then save the new password for it.
  const username = h("input", { type: "email", value: holder.email, autocomplete: "username", readonly: true, hidden: true });
  const form = h("form", { novalidate: true },
    username,
    field("New password", next, { hint: "At least 12 characters. A few unrelated words work well." }),
    field("New password again", again),
    message.el,
    h("div", { class: "actions" }, submit));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!next.value) { message.error("Please type a new password."); next.focus(); return; }
    if (next.value !== again.value) { message.error("The two passwords differ."); again.focus(); return; }
    busy(submit, async () => {
      try {
        await call("POST", "/api/auth/password-reset", { token: heldToken, new_password: next.value });
      } catch (error) {
        if (/^reset_link_/.test(error.code || "")) { showProblem(card, error.detail); return; }
        message.error(error);
        next.focus();
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
  next.focus();
}
