// Settings: own password, two-step sign-in (TOTP), own sessions, how alerts reach you when on
// call, and the clinic's settings (admins change them).

import { call } from "./http.js";
import { session, isAdmin } from "./session.js";
import { h, replace, field, checkbox, messageLine, busy, pageHeading, zoneSelect, announce, newPasswordFields } from "./ui.js";
import { showSessions, offerToEndOthers } from "./sessions.js";
import { showTotp } from "./totp.js";
import { soundOn, setSound, chime } from "./watch.js";
import { alertChannelForm } from "./oncall.js";

let sessionsCard = null; // "Your sessions", refreshed when a change ends other sessions

const DAYS = [["mon", "Monday"], ["tue", "Tuesday"], ["wed", "Wednesday"], ["thu", "Thursday"], ["fri", "Friday"], ["sat", "Saturday"], ["sun", "Sunday"]];

export function render(view) {
  const totp = h("section", { class: "card", "aria-labelledby": "totp-h" });
  const clinic = h("section", { class: "card", "aria-labelledby": "clinic-h" });
  sessionsCard = h("section", { class: "card", "aria-labelledby": "sessions-h" });
  view.append(
    pageHeading("Settings"),
    h("div", { class: "grid grid-2" },
      h("div", { class: "stack" }, passwordCard(), totp, sessionsCard, alertsCard(),
        alertChannelForm(session.me, { own: true, saved: (me) => { session.me = me; } })),
      clinic));
  // Sessions opened before the code was asked for are offered to end (the server ends them
  // itself where the role requires two-step sign-in).
  showTotp(totp, { onEnabled: () => offerToEndOthers(sessionsCard) });
  showSessions(sessionsCard);
  showClinic(clinic);
}

/** This browser's way of telling a new alert: the tab's title always, a sound if chosen. */
function alertsCard() {
  const sound = checkbox("Play a sound when a new alert comes in", { checked: soundOn() });
  sound.input.addEventListener("change", () => {
    setSound(sound.input.checked);
    if (sound.input.checked) chime(); // what it sounds like (and the browser's leave to play it)
    announce(sound.input.checked ? "A sound plays for a new alert." : "No sound for new alerts.");
  });
  return h("section", { class: "card", "aria-labelledby": "alerts-h" },
    h("h2", { id: "alerts-h" }, "New alerts"),
    h("p", {}, "While the console is open, the tab's title shows how many alerts are open, like “(2) Alerts”."),
    sound.el,
    h("p", { class: "muted" }, "For this browser only. Keep the tab open; a muted computer plays nothing."));
}

function passwordCard() {
  const current = h("input", { type: "password", autocomplete: "current-password", required: true });
  const password = newPasswordFields();
  const message = messageLine();
  const submit = h("button", { type: "submit", class: "button button-primary" }, "Change password");
  const form = h("form", { class: "card", novalidate: true, "aria-labelledby": "pw-h" },
    h("h2", { id: "pw-h" }, "Your password"),
    field("Current password", current),
    ...password.fields,
    message.el,
    h("div", { class: "actions" }, submit));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!current.value) {
      message.error("Please type your current password.");
      current.focus();
      return;
    }
    const problem = password.problem();
    if (problem) { message.error(problem); return; }
    busy(submit, async () => {
      try {
        await call("POST", "/api/auth/password", { current_password: current.value, new_password: password.value() });
        form.reset();
        message.ok("Password changed. Your other sessions were signed out.");
        showSessions(sessionsCard);
      } catch (error) {
        message.error(error.status === 401 || error.code === "wrong_password" ? "The current password is not right." : error);
      }
    });
  });
  return form;
}

function hoursText(intervals) {
  return (intervals || []).map(([a, b]) => `${a}-${b}`).join(", ");
}

/** "08:00-12:00, 13:00-18:00" → [["08:00","12:00"], ["13:00","18:00"]]; null when unreadable. */
function parseHours(text) {
  const out = [];
  for (const part of text.split(",").map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})$/.exec(part);
    if (!m) return null;
    out.push([m[1].padStart(5, "0"), m[2].padStart(5, "0")]);
  }
  return out;
}

async function showClinic(card) {
  let settings;
  const message = messageLine();
  try {
    settings = await call("GET", "/api/clinic");
  } catch (error) {
    message.error(error);
    replace(card, h("h2", { id: "clinic-h" }, "Clinic"), message.el);
    return;
  }
  const admin = isAdmin();
  const ro = admin ? {} : { readonly: true };
  const name = h("input", { type: "text", name: "name", value: settings.name, required: true, maxlength: "200", ...ro });
  const phone = h("input", { type: "tel", name: "phone", value: settings.phone, ...ro });
  const emergency = h("input", { type: "tel", name: "emergency_number", value: settings.emergency_number, ...ro });
  const outOfHoursPhone = h("input", { type: "tel", name: "out_of_hours_phone", value: settings.out_of_hours_phone || "", ...ro });
  const outOfHoursName = h("input", { type: "text", name: "out_of_hours_name", value: settings.out_of_hours_name || "", maxlength: "80", ...ro });
  const zone = zoneSelect(settings.time_zone, { name: "time_zone", disabled: !admin });
  const minutes = h("input", { type: "number", name: "alert_escalation_minutes", min: "1", max: "240", value: String(settings.alert_escalation_minutes), ...ro });
  const fallbackWait = h("input", { type: "number", name: "fallback_after_minutes", min: "1", max: "240", value: String(settings.fallback_after_minutes), ...ro });
  const fallbackTasks = h("input", { type: "text", name: "fallback_tasks", value: settings.fallback_tasks.join(", "), ...ro });
  const smsPerDay = h("input", { type: "number", name: "sms_per_day", min: "0", max: "50", value: String(settings.sms_per_day), ...ro });
  const emailsPerDay = h("input", { type: "number", name: "emails_per_day", min: "0", max: "50", value: String(settings.emails_per_day), ...ro });
  const hours = DAYS.map(([key, label]) => [key, h("input", { type: "text", value: hoursText(settings.opening_hours[key]), placeholder: "closed", "aria-label": `${label} opening hours`, ...ro })]);
  const submit = h("button", { type: "submit", class: "button button-primary" }, "Save clinic settings");
  const form = h("form", { novalidate: true },
    h("div", { class: "form-grid" },
      field("Clinic name", name, { className: "wide" }),
      field("Clinic phone", phone),
      field("Emergency number", emergency),
      field("Out-of-hours phone", outOfHoursPhone, { hint: "Who patients call with an urgent problem while the clinic is closed. Needed before patients can be enrolled." }),
      field("Out-of-hours name", outOfHoursName, { hint: "As patients are told: “Call the on-call nurse”, “Call NHS 111”." }),
      field("Time zone", zone),
      field("Escalate unacknowledged alerts after (minutes; out of hours too)", minutes)),
    h("fieldset", {},
      h("legend", {}, "Opening hours"),
      h("p", { class: "hint muted" }, "Like 08:00-18:00; several with commas; empty means closed."),
      h("table", { class: "table" }, h("tbody", {}, hours.map(([, input], i) => h("tr", {}, h("th", { scope: "row" }, DAYS[i][1]), h("td", {}, input)))))),
    h("fieldset", {},
      h("legend", {}, "Reminders by e-mail or text"),
      h("p", { class: "hint muted" }, "For patients who agreed: when a reminder of these tasks cannot reach their phone, or is not seen there in time."),
      h("div", { class: "form-grid" },
        field("Tasks (their codes, with commas)", fallbackTasks, { className: "wide", hint: "E.g. remove_stocking, hydrocortisone, follow_up. Empty: none." }),
        field("Wait for the phone (minutes)", fallbackWait),
        field("Texts a day per patient, at most", smsPerDay),
        field("E-mails a day per patient, at most", emailsPerDay))),
    message.el,
    admin ? h("div", { class: "actions" }, submit) : h("p", { class: "muted" }, "Only a clinic admin can change these."));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!admin) return;
    const opening = {};
    for (const [key, input] of hours) {
      const parsed = parseHours(input.value);
      if (parsed === null) {
        message.error(`${DAYS.find(([k]) => k === key)[1]}: write hours like 08:00-18:00.`);
        input.focus();
        return;
      }
      if (parsed.length) opening[key] = parsed;
    }
    busy(submit, async () => {
      try {
        const saved = await call("PATCH", "/api/clinic", {
          name: name.value.trim(), phone: phone.value.trim(), emergency_number: emergency.value.trim(),
          ...(outOfHoursPhone.value.trim() ? { out_of_hours_phone: outOfHoursPhone.value.trim() } : {}),
          ...(outOfHoursName.value.trim() ? { out_of_hours_name: outOfHoursName.value.trim() } : {}),
          time_zone: zone.value, alert_escalation_minutes: Number(minutes.value), opening_hours: opening,
          fallback_after_minutes: Number(fallbackWait.value),
          fallback_tasks: fallbackTasks.value.split(",").map((code) => code.trim()).filter(Boolean),
          sms_per_day: Number(smsPerDay.value), emails_per_day: Number(emailsPerDay.value),
        });
        session.clinic = saved;
        document.getElementById("clinic-name").textContent = saved.name;
        message.ok("Clinic settings saved.");
      } catch (error) {
        message.error(error);
      }
    });
  });
  replace(card, h("h2", { id: "clinic-h" }, "Clinic"), form);
}
