// Settings card: a second way to be reminded (e-mail or text) when a reminder does not reach
// this phone. The server decides what is offered and what the record can reach; this only
// shows its answer (GET /api/me reminders_by) and sends the patient's choice with consent.

import { h } from "./dom.js";

// DRAFT for clinical review: every sentence below.
const WORDS = {
  heading: "If a reminder does not reach this phone",
  intro: "We can also send the most important reminders another way if a reminder is not seen on this phone.",
  none: "Do not send them another way",
  email: (address) => `By e-mail to ${address}`,
  sms: (number) => `By text message to ${number}`,
  consent: "I agree to get these reminders by e-mail or text. They say only that a task is due, not what it is.",
  missing: "To use e-mail or text, ask your clinic to add your e-mail address or mobile number.",
  saved: "Saved.",
};

/** ctx: {reach (profile.reminders_by), onChoose({channel, consent}) → Promise<error text|null>} */
export function renderChannelCard(ctx) {
  const reach = ctx.reach;
  if (!reach || reach.offered.length === 0) return null;
  const status = h("p", { class: "form-status", id: "channel-status", role: "status" });
  const options = [["", WORDS.none]];
  if (reach.offered.includes("email") && reach.email) options.push(["email", WORDS.email(reach.email)]);
  if (reach.offered.includes("sms") && reach.sms_number) options.push(["sms", WORDS.sms(reach.sms_number)]);
  const radios = options.map(([value, label]) => {
    const input = h("input", { type: "radio", name: "channel", id: `channel-${value || "none"}`, value, checked: reach.channel === value });
    return h("label", { class: "check" }, input, h("span", {}, label));
  });
  const consent = h("input", { type: "checkbox", id: "channel-consent", name: "consent", checked: Boolean(reach.consent_at) });
  const form = h("form", { class: "channel-form", novalidate: true },
    h("p", {}, WORDS.intro),
    h("fieldset", { class: "field" }, h("legend", { class: "label" }, "Send them"), ...radios),
    options.length === 1 ? h("p", { class: "hint" }, WORDS.missing) : null,
    h("div", { class: "field" }, h("label", { class: "check" }, consent, h("span", {}, WORDS.consent))),
    status,
    h("button", { type: "submit", class: "button button-primary", id: "save-channel" }, "Save"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = form.querySelector("input[name=channel]:checked");
    status.textContent = "Saving…";
    const error = await ctx.onChoose({ channel: chosen ? chosen.value : "", consent: consent.checked });
    status.textContent = error || WORDS.saved;
  });
  return h("section", { class: "card", "aria-labelledby": "channel-heading" },
    h("h2", { id: "channel-heading" }, WORDS.heading), form);
}
