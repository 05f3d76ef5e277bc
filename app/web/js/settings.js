// Settings: reminders, the patient's day (wake and bed time, time zone), the people who help
// them, the clinic, sign out. On a carer's phone only what is about this phone (reminders, the
// clinic, sign out): the rest is the patient's to change, on their own phone.

import { carersCard, carerSettingsNote } from "./carers.js";
import { renderChannelCard } from "./channel.js";
import { h, telHref } from "./dom.js";
import { hhmm } from "./time.js";
import { api } from "./api.js";

function phoneZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || null;
  } catch {
    return null;
  }
}

/** The server's sentence under `input` (none: `text` empty), tied to it for screen readers. */
function fieldError(input, text) {
  const id = `${input.id}-error`;
  let line = document.getElementById(id);
  if (!text) {
    if (line) line.remove();
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
    return;
  }
  if (!line) {
    line = h("p", { class: "form-error", id });
    input.after(line);
  }
  line.textContent = text;
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-describedby", id);
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
          h("span", {}, `Use this phone's time zone (${zone}) instead of ${profile.time_zone}`)))
    : h("p", { class: "hint" }, `Times are shown for ${profile.time_zone}.`);

  const form = h("form", { class: "day-form", novalidate: true },
    h("p", {}, "Reminders follow your own day: nothing is planned while you sleep."),
    h("div", { class: "field field-row" },
      h("div", {}, h("label", { for: "wake", class: "label" }, "I usually get up at"), wake),
      h("div", {}, h("label", { for: "bed", class: "label" }, "I usually go to bed at"), bed)),
    zoneChoice,
    h("div", { class: "field" },
      h("label", { class: "check" }, titles,
        h("span", {}, "Show what the task is on the lock screen"),
      ),
      h("p", { class: "hint" }, "If this is off, reminders only say \u201cTime for your aftercare task\u201d, so others cannot read them.")),
    status,
    h("button", { type: "submit", class: "button button-primary", id: "save-day" }, "Save"));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const changes = {
      wake_time: wake.value,
      bed_time: bed.value,
      show_task_titles: titles.checked,
    };
    if (useZone.checked && zone) changes.time_zone = zone;
    status.textContent = "Saving…";
    for (const input of [wake, bed]) fieldError(input, "");
    const error = await ctx.onSave(changes);
    if (!error) {
      status.textContent = "Saved. Your plan has been updated.";
      return;
    }
    // Each sentence by the field it is about, the first field focused; the rest in the status.
    const byField = { wake_time: wake, bed_time: bed };
    const placed = error.fields.filter((f) => byField[f.field]);
    for (const f of placed) fieldError(byField[f.field], f.message);
    if (placed.length) byField[placed[0].field].focus();
    status.textContent = placed.length ? "Nothing was saved. Please check the time above." : error.detail;
  });

  const clinic = profile.clinic;
  const carer = profile.carer || null;
  return [
    h("h1", { id: "view-heading", tabindex: "-1" }, "Settings"),
    carer ? carerSettingsNote(carer) : null,
    ctx.reminders,
    reachCard(),
    carer ? null : renderChannelCard({ reach: profile.reminders_by, onChoose: ctx.onChooseChannel }),
    carer ? null : h("section", { class: "card", "aria-labelledby": "day-heading" }, h("h2", { id: "day-heading" }, "Your day"), form),
    carer ? null : carersCard({ profile }),
    h("section", { class: "card", "aria-labelledby": "clinic-heading" },
      h("h2", { id: "clinic-heading" }, "Your clinic"),
      h("p", { class: "clinic-line" }, clinic.name),
      clinic.phone ? h("p", {}, h("a", { class: "button button-call", href: telHref(clinic.phone) },
        h("span", { class: "call-icon", "aria-hidden": "true" }), `Call ${clinic.phone}`)) : null,
      h("p", {}, h("a", { class: "button button-secondary", href: "/api/me/calendar.ics" }, "Add visits to my calendar"))),
    h("section", { class: "card", "aria-labelledby": "phone-heading" },
      h("h2", { id: "phone-heading" }, "This phone"),
      // DRAFT for clinical review: the carer's sentence.
      h("p", {}, carer
        ? "Sign out if this phone is not yours. To help again you will need a new link."
        : "Sign out if this phone is not yours. To use Aftercare again you will need a new link from your clinic."),
      h("button", { type: "button", class: "button button-secondary", id: "sign-out", onclick: ctx.onSignOut }, "Sign out of this phone")),
  ];
}

const QUIET_MS = 48 * 3600 * 1000; // as the console's "not getting through" (receipts.py)

function shortWhen(instant) {
  const at = new Date(instant);
  const time = at.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  const today = new Date();
  if (at.toDateString() === today.toDateString()) return `today ${time}`;
  return `${at.toLocaleDateString("en-GB", { day: "numeric", month: "short" })} ${time}`;
}

/** Whether reminders reach this phone, from the receipts it sent (filled in when known). */
function reachCard() {
  const line = h("p", { id: "reach-line" });
  const card = h("section", { class: "card", "aria-labelledby": "reach-heading", hidden: true },
    h("h2", { id: "reach-heading" }, "Reminders on this phone"), line);
  api("GET", "/api/me/reach").then(({ data }) => {
    // Not subscribed: the Reminders card above already says so, with its button.
    if (!data.subscribed) return;
    // DRAFT for clinical review: the three sentences below.
    if (data.last_shown_at && Date.now() - Date.parse(data.last_shown_at) > QUIET_MS) {
      line.textContent = `We have not seen a reminder on this phone since ${shortWhen(data.last_shown_at)}.`;
    } else if (data.last_shown_at) line.textContent = `Reminders reach this phone: last shown ${shortWhen(data.last_shown_at)}.`;
    else line.textContent = "We have not seen a reminder on this phone yet.";
    card.hidden = false;
  }).catch(() => undefined); // offline: the card stays hidden rather than guess
  return card;
}
