// When on call: a staff member's mobile number and how new alerts also reach them (the app's
// push only, or an e-mail to their sign-in address, or a text message as well). Their own on
// Settings; any colleague's for an admin, from the Staff page.

import { call } from "./http.js";
import { session } from "./session.js";
import { h, field, messageLine, busy, uid, announce } from "./ui.js";

export const CHANNEL_WORDS = { push: "App only", email: "E-mail", sms: "Text message" };

/** "App only", "E-mail", "Text message to +447700900123": an account's choice in words. */
export function channelText(account) {
  if (account.alert_channel === "sms") return `Text message to ${account.phone}`;
  return CHANNEL_WORDS[account.alert_channel] || CHANNEL_WORDS.push;
}

/**
 * The form: phone and "also alert by". `own`: the signed-in staff member's (PATCH /api/auth/me),
 * else the admin's for `account` (PATCH /api/staff/ID). `saved(updated)` after each change.
 */
export function alertChannelForm(account, { own, saved, headingId = uid("oncall-h"), heading = true }) {
  const offered = new Set(session.me ? session.me.alert_channels_offered : []);
  const phone = h("input", { type: "tel", name: "phone", autocomplete: own ? "tel" : "off", inputmode: "tel", maxlength: "40", value: account.phone || "" });
  const channel = h("select", { name: "alert_channel" },
    Object.entries(CHANNEL_WORDS).map(([value, words]) => h("option", {
      value, selected: account.alert_channel === value,
      disabled: value !== "push" && !offered.has(value) && account.alert_channel !== value,
    }, value !== "push" && !offered.has(value) ? `${words} (not set up on this server)` : words)));
  const whom = own ? "me" : "them";
  const message = messageLine();
  const submit = h("button", { type: "submit", class: "button button-primary" }, "Save");
  const form = h("form", { class: heading ? "card" : null, novalidate: true, "aria-labelledby": headingId },
    heading ? h("h2", { id: headingId }, "When on call") : null,
    h("p", {}, own
      ? "New alerts reach you in the console and by push on your devices. While you are on call, they can also come by e-mail or text message: these say only that there is a new alert and how urgent it is, never who or why."
      : `While ${account.name || account.email} is on call, new alerts can also reach them by e-mail (to ${account.email}) or text message.`),
    own ? h("p", { class: "muted" }, account.on_call
      ? "You are on call now."
      : "You are not on call now. An admin sets who is on call, on the Staff page.") : null,
    field("Mobile number", phone, { hint: "With the country code, like +44 7700 900123. Only used for alerts while on call." }),
    field(`When on call, also alert ${whom} by`, channel, { hint: own ? `E-mail goes to ${account.email}.` : null }),
    message.el,
    h("div", { class: "actions" }, submit));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, async () => {
      const change = { phone: phone.value.trim(), alert_channel: channel.value };
      try {
        const updated = await call("PATCH", own ? "/api/auth/me" : `/api/staff/${account.id}`, change);
        phone.value = updated.phone;
        const text = `Saved. When on call: ${channelText(updated).replace(/^App only$/, "the app only")}.`;
        message.ok(text);
        announce(text);
        if (saved) saved(updated);
      } catch (error) {
        message.error(error);
      }
    });
  });
  return form;
}

/** The admin's dialog for a colleague's number and choice; resolves once closed. */
export function alertChannelDialog(account, saved) {
  return new Promise((resolve) => {
    const titleId = uid("dlg");
    const close = h("button", { type: "button", class: "button", onclick: () => dialog.close() }, "Close");
    const dialog = h("dialog", { class: "dialog", "aria-labelledby": titleId },
      h("h2", { id: titleId }, `When ${account.name || account.email} is on call`),
      alertChannelForm(account, { own: false, saved, headingId: titleId, heading: false }),
      h("div", { class: "actions" }, close));
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve();
    });
    document.body.append(dialog);
    dialog.showModal();
    dialog.querySelector("input").focus();
  });
}
