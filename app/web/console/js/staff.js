// Staff accounts (admins): the clinic's team, add someone, change role, on call (and how alerts
// also reach them then), disable, a set-password link for someone locked out, a lost phone's
// two-step sign-in reset.

import { call } from "./http.js";
import { session, clinicZone } from "./session.js";
import { h, replace, field, checkbox, messageLine, busy, pageHeading, emptyRow, announce, confirmDialog, copyBox } from "./ui.js";
import { dateOnly, dateTime } from "./format.js";
import { alertChannelDialog, channelText } from "./oncall.js";

export function render(view) {
  const message = messageLine();
  const body = h("tbody");
  view.append(
    pageHeading("Staff"),
    message.el,
    h("div", { class: "grid grid-main" },
      h("div", { class: "table-wrap" },
        h("table", { class: "table table-middle" },
          h("caption", { class: "visually-hidden" }, "Staff accounts"),
          h("thead", {}, h("tr", {}, ["Name", "E-mail", "Role", "On call", "Also alerted by", "Two-step", "Account", "Since"].map((c) => h("th", { scope: "col" }, c)))),
          body)),
      addForm(() => load())));

  async function patch(account, change, what) {
    try {
      const updated = await call("PATCH", `/api/staff/${account.id}`, change);
      message.ok(`${updated.name || updated.email}: ${what}.`);
      announce(`${updated.name || updated.email}: ${what}.`);
    } catch (error) {
      message.error(error.code === "last_admin"
        ? "The clinic must keep at least one enabled admin: make someone else admin first."
        : error);
    }
    load();
  }

  function row(account) {
    const zone = clinicZone();
    const me = session.me && session.me.id === account.id;
    const label = account.name || account.email;
    const role = h("select", { "aria-label": `Role of ${label}` },
      h("option", { value: "clinician", selected: account.role === "clinician" }, "Clinician"),
      h("option", { value: "admin", selected: account.role === "admin" }, "Admin"));
    role.addEventListener("change", () => patch(account, { role: role.value }, `role is now ${role.value}`));
    const onCall = h("input", { type: "checkbox", checked: account.on_call, "aria-label": `${label} is on call` });
    onCall.addEventListener("change", () => patch(account, { on_call: onCall.checked }, onCall.checked ? "on call" : "no longer on call"));
    const alertBy = h("button", { type: "button", class: "button button-small button-quiet", "aria-label": `Change how ${label} is alerted on call` }, "Change");
    alertBy.addEventListener("click", async () => {
      let changed = false;
      await alertChannelDialog(account, () => { changed = true; });
      if (!changed) { alertBy.focus(); return; }
      await load(); // the row is drawn again: back to its button
      body.querySelector(`[aria-label="${CSS.escape(alertBy.getAttribute("aria-label"))}"]`)?.focus();
    });
    const toggle = h("button", { type: "button", class: ["button", "button-small", account.disabled ? null : "button-quiet"] },
      account.disabled ? "Enable" : "Disable");
    toggle.addEventListener("click", async () => {
      if (!account.disabled) {
        const sure = await confirmDialog({
          title: `Disable ${label}?`,
          body: "They are signed out everywhere at once and cannot sign in until enabled again.",
          confirm: "Disable", danger: true,
        });
        if (!sure) return;
      }
      busy(toggle, () => patch(account, { disabled: !account.disabled }, account.disabled ? "enabled" : "disabled"));
    });
    const resetPassword = account.disabled || me ? null : h("button", { type: "button", class: "button button-small button-quiet", "aria-label": `Reset password of ${label}` }, "Reset password");
    resetPassword?.addEventListener("click", () => busy(resetPassword, () => issueLink(account, label)));
    const resetCode = account.totp_enabled && !me
      ? h("button", { type: "button", class: "button button-small button-quiet", "aria-label": `Reset two-step sign-in of ${label}` }, "Reset")
      : null;
    resetCode?.addEventListener("click", async () => {
      const sure = await confirmDialog({
        title: `Reset two-step sign-in for ${label}?`,
        body: [
          "Do this when they have lost the phone with their authenticator app.",
          "They are signed out everywhere and sign in with their password alone; where their role needs two-step sign-in, they set up a new code straight away.",
        ],
        confirm: "Reset two-step sign-in", danger: true,
      });
      if (!sure) return;
      busy(resetCode, async () => {
        try {
          await call("POST", `/api/staff/${account.id}/totp/reset`);
          message.ok(`${label}: two-step sign-in is reset.`);
          announce(`${label}: two-step sign-in is reset.`);
        } catch (error) {
          message.error(error);
        }
        load();
      });
    });
    return h("tr", { class: account.disabled ? "row-disabled" : null },
      h("th", { scope: "row" }, account.name || "—", me ? h("span", { class: "muted" }, " (you)") : null),
      h("td", {}, account.email),
      h("td", {}, role),
      h("td", {}, onCall),
      h("td", {}, h("div", { class: "cell-actions" }, h("span", {}, channelText(account)), alertBy)),
      h("td", {}, account.totp_enabled ? h("span", { class: "badge badge-ok" }, "on") : h("span", { class: "badge badge-muted" }, "off"), resetCode ? " " : null, resetCode),
      h("td", {}, h("div", { class: "cell-actions" }, account.disabled ? h("span", { class: "badge badge-warn" }, "disabled") : null, toggle, resetPassword)),
      h("td", { class: "nowrap" }, dateOnly(account.created_at, zone)));
  }

  async function issueLink(account, label) {
    let issued;
    try {
      issued = await call("POST", `/api/staff/${account.id}/password-reset`);
    } catch (error) {
      message.error(error);
      return;
    }
    announce(`A set-password link for ${label} is ready.`);
    await confirmDialog({
      title: `Set-password link for ${label}`,
      body: [
        `Give it to ${label} yourself, or by a message only they read. It works once, until ${dateTime(issued.expires_at, clinicZone())}; it is shown only now.`,
        "Their password stays as it is until they use the link; then they are signed out everywhere and sign in with the new one.",
        copyBox(issued.url, `Set-password link for ${label}`),
      ],
      confirm: "Done", cancel: null,
    });
  }

  async function load() {
    try {
      const list = await call("GET", "/api/staff");
      replace(body, list.length ? list.map(row) : emptyRow(8, "No staff."));
    } catch (error) {
      message.error(error);
    }
  }
  load();
}

function addForm(added) {
  const email = h("input", { type: "email", name: "email", required: true, autocomplete: "off", maxlength: "254" });
  const name = h("input", { type: "text", name: "name", autocomplete: "off", maxlength: "200" });
  const role = h("select", {}, h("option", { value: "clinician" }, "Clinician"), h("option", { value: "admin" }, "Admin"));
  const password = h("input", { type: "password", name: "password", required: true, autocomplete: "new-password", minlength: "12" });
  const message = messageLine();
  const submit = h("button", { type: "submit", class: "button button-primary" }, "Add account");
  const onCall = checkbox("On call now");
  const form = h("form", { class: "card", novalidate: true, "aria-labelledby": "add-staff-h" },
    h("h2", { id: "add-staff-h" }, "Add a staff member"),
    field("E-mail", email),
    field("Name", name),
    field("Role", role),
    field("First password", password, { hint: "At least 12 characters. Give it to them in person; they change it under Settings." }),
    onCall.el,
    message.el,
    h("div", { class: "actions" }, submit));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!email.value.trim() || !password.value) {
      message.error("E-mail and a first password are needed.");
      (email.value.trim() ? password : email).focus();
      return;
    }
    busy(submit, async () => {
      try {
        const account = await call("POST", "/api/staff", { email: email.value.trim(), name: name.value.trim(), role: role.value, password: password.value });
        if (onCall.input.checked) await call("PATCH", `/api/staff/${account.id}`, { on_call: true });
        form.reset();
        message.ok(`${account.email} can now sign in.`);
        added();
      } catch (error) {
        message.error(error);
      }
    });
  });
  return form;
}
