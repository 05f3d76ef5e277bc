// Settings: reminders, the patient's day (wake and bed time, time zone), the people who help
// them, the clinic, sign out. On a carer's phone only what is about this phone (reminders, the
// clinic, sign out): the rest is the patient's to change, on their own phone.

import { carersCard, carerSettingsNote } from "./carers.js";
import { renderChannelCard } from "./channel.js";
import { h, telHref } from "./dom.js";
import { locale, pageLang, t } from "./i18n.js";
import { hhmm } from "./time.js";
import { api } from "./api.js";

function phoneZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || null;
  } catch {
    return null;
  }
}

/** The server's sentence under `input` (none: `text` empty), tied to it for screen readers
 *  before whatever else describes the field (its hint stays). */
function fieldError(input, text) {
  const id = `${input.id}-error`;
  const others = (input.getAttribute("aria-describedby") || "").split(" ").filter((x) => x && x !== id);
  let line = document.getElementById(id);
  if (!text) {
    if (line) line.remove();
    input.removeAttribute("aria-invalid");
    if (others.length) input.setAttribute("aria-describedby", others.join(" "));
    else input.removeAttribute("aria-describedby");
    return;
  }
  if (!line) {
    line = h("p", { class: "form-error", id });
    input.after(line);
  }
  line.textContent = text;
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-describedby", [id, ...others].join(" "));
}

/** ctx: {profile, reminders (the reminders card), onSave(changes) → Promise<null | {detail,
 *  fields: [{field, message}]}> (the server's sentences, each shown by its field),
 *  onChooseChannel({channel, consent}) → Promise<error text|null>, onSignOut()} */
export function renderSettings(ctx) {
  const { profile } = ctx;
  const zone = phoneZone();
  const status = h("p", { class: "form-status", id: "day-status", role: "status" });
  const wake = h("input", { type: "time", id: "wake", name: "wake_time", value: hhmm(profile.wake_time), required: true });
  const bed = h("input", { type: "time", id: "bed", name: "bed_time", value: hhmm(profile.bed_time), required: true });
  const titles = h("input", { type: "checkbox", id: "titles", name: "show_task_titles", checked: profile.show_task_titles });
  const useZone = h("input", { type: "checkbox", id: "use-zone", name: "use_zone" });
  const zoneChoice = zone && zone !== profile.time_zone
    ? h("div", { class: "field" },
        h("label", { class: "check" }, useZone,
          h("span", {}, t("settings.useZone", { zone, current: profile.time_zone }))))
    : h("p", { class: "hint" }, t("settings.zoneShown", { zone: profile.time_zone }));

  const form = h("form", { class: "day-form", novalidate: true },
    h("p", {}, t("settings.dayIntro")),
    h("div", { class: "field field-row" },
      h("div", {}, h("label", { for: "wake", class: "label" }, t("settings.wake")), wake),
      h("div", {}, h("label", { for: "bed", class: "label" }, t("settings.bed")), bed)),
    zoneChoice,
    h("div", { class: "field" },
      h("label", { class: "check" }, titles,
        h("span", {}, t("settings.titles")),
      ),
      h("p", { class: "hint" }, t("settings.titlesHint"))),
    status,
    h("button", { type: "submit", class: "button button-primary", id: "save-day" }, t("settings.save")));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const changes = {
      wake_time: wake.value,
      bed_time: bed.value,
      show_task_titles: titles.checked,
    };
    if (useZone.checked && zone) changes.time_zone = zone;
    status.textContent = t("settings.saving");
    for (const input of [wake, bed]) fieldError(input, "");
    const error = await ctx.onSave(changes);
    if (!error) {
      status.textContent = t("settings.saved");
      return;
    }
    // Each sentence by the field it is about, the first field focused; the rest in the status.
    const byField = { wake_time: wake, bed_time: bed };
    const placed = error.fields.filter((f) => byField[f.field]);
    for (const f of placed) fieldError(byField[f.field], f.message);
    if (placed.length) byField[placed[0].field].focus();
    status.textContent = placed.length ? t("settings.checkTime") : error.detail;
  });

  const clinic = profile.clinic;
  const carer = profile.carer || null;
  return [
    h("h1", { id: "view-heading", tabindex: "-1" }, t("settings.heading")),
    carer ? carerSettingsNote(carer) : null,
    ctx.reminders,
    reachCard(),
    carer ? null : renderChannelCard({ reach: profile.reminders_by, onChoose: ctx.onChooseChannel }),
    carer ? null : h("section", { class: "card", "aria-labelledby": "day-heading" }, h("h2", { id: "day-heading" }, t("settings.yourDay")), form),
    carer ? null : languageCard(profile, ctx.onSave),
    carer ? null : carersCard({ profile }),
    h("section", { class: "card", "aria-labelledby": "clinic-heading" },
      h("h2", { id: "clinic-heading" }, t("settings.clinic")),
      h("p", { class: "clinic-line" }, clinic.name),
      clinic.phone ? h("p", {}, h("a", { class: "button button-call", href: telHref(clinic.phone) },
        h("span", { class: "call-icon", "aria-hidden": "true" }), t("settings.call", { phone: clinic.phone }))) : null,
      h("p", {}, h("a", { class: "button button-secondary", href: "/api/me/calendar.ics" }, t("settings.addToCalendar")))),
    h("section", { class: "card", "aria-labelledby": "phone-heading" },
      h("h2", { id: "phone-heading" }, t("settings.thisPhone")),
      // DRAFT for clinical review: the carer's sentence.
      h("p", {}, carer
        ? t("settings.signOutCarer")
        : t("settings.signOutPatient")),
      h("button", { type: "button", class: "button button-secondary", id: "sign-out", onclick: ctx.onSignOut }, t("settings.signOut"))),
  ];
}

/** The language card: the server's languages, each named in its own words. Left out while the
 *  server offers no choice (an older server sends no list: nothing is made up here). */
function languageCard(profile, onSave) {
  const offered = Array.isArray(profile.languages) ? profile.languages : [];
  if (offered.length < 2) return null;
  const select = h("select", { id: "language", name: "language", "aria-describedby": "language-hint" },
    offered.map((l) => h("option", { value: l.code, lang: pageLang(l.code), selected: l.code === profile.language }, l.name)));
  const status = h("p", { class: "form-status", id: "language-status", role: "status" });
  const form = h("form", { class: "language-form", novalidate: true },
    h("div", { class: "field" },
      h("label", { for: "language", class: "label" }, t("settings.languageLabel")),
      select,
      h("p", { class: "hint", id: "language-hint" }, t("settings.languageHint"))),
    status,
    h("button", { type: "submit", class: "button button-primary", id: "save-language" }, t("settings.languageSave")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.textContent = t("settings.saving");
    fieldError(select, "");
    // Saved: the app draws the whole screen again in the new language.
    const error = await onSave({ language: select.value });
    if (!error) return;
    status.textContent = "";
    const byField = error.fields.find((f) => f.field === "language");
    fieldError(select, byField ? byField.message : error.detail);
    select.focus();
  });
  return h("section", { class: "card", id: "language-card", "aria-labelledby": "language-heading" },
    h("h2", { id: "language-heading" }, t("settings.language")), form);
}

const QUIET_MS = 48 * 3600 * 1000; // as the console's "not getting through" (receipts.py)

function shortWhen(instant) {
  const at = new Date(instant);
  const time = at.toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  const today = new Date();
  if (at.toDateString() === today.toDateString()) return t("settings.reachToday", { time });
  return t("settings.reachDay", { day: at.toLocaleDateString(locale(), { day: "numeric", month: "short" }), time });
}

/** Whether reminders reach this phone, from the receipts it sent (filled in when known). */
function reachCard() {
  const line = h("p", { id: "reach-line" });
  const card = h("section", { class: "card", "aria-labelledby": "reach-heading", hidden: true },
    h("h2", { id: "reach-heading" }, t("settings.reachHeading")), line);
  api("GET", "/api/me/reach").then(({ data }) => {
    // Not subscribed: the Reminders card above already says so, with its button.
    if (!data.subscribed) return;
    // DRAFT for clinical review: the three sentences below.
    if (data.last_shown_at && Date.now() - Date.parse(data.last_shown_at) > QUIET_MS) {
      line.textContent = t("settings.reachQuiet", { when: shortWhen(data.last_shown_at) });
    } else if (data.last_shown_at) line.textContent = t("settings.reachShown", { when: shortWhen(data.last_shown_at) });
    else line.textContent = t("settings.reachNever");
    card.hidden = false;
  }).catch(() => undefined); // offline: the card stays hidden rather than guess
  return card;
}
