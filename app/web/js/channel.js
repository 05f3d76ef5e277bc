// Settings card: a second way to be reminded (e-mail or text) when a reminder does not reach
// this phone. The server decides what is offered and what the record can reach; this only
// shows its answer (GET /api/me reminders_by) and sends the patient's choice with consent.

import { h } from "./dom.js";
import { t } from "./i18n.js";

// DRAFT for clinical review: every sentence of the card (the channel.* words in the catalogues).
const WORDS = {
  get heading() { return t("channel.heading"); },
  get intro() { return t("channel.intro"); },
  get none() { return t("channel.none"); },
  email: (address) => t("channel.email", { address }),
  sms: (number) => t("channel.sms", { number }),
  get consent() { return t("channel.consent"); },
  get missing() { return t("channel.missing"); },
  get saved() { return t("channel.saved"); },
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
    h("fieldset", { class: "field" }, h("legend", { class: "label" }, t("channel.sendThem")), ...radios),
    options.length === 1 ? h("p", { class: "hint" }, WORDS.missing) : null,
    h("div", { class: "field" }, h("label", { class: "check" }, consent, h("span", {}, WORDS.consent))),
    status,
    h("button", { type: "submit", class: "button button-primary", id: "save-channel" }, t("channel.save")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = form.querySelector("input[name=channel]:checked");
    status.textContent = t("channel.saving");
    const error = await ctx.onChoose({ channel: chosen ? chosen.value : "", consent: consent.checked });
    status.textContent = error || WORDS.saved;
  });
  return h("section", { class: "card", "aria-labelledby": "channel-heading" },
    h("h2", { id: "channel-heading" }, WORDS.heading), form);
}
