// Correct a patient's details: the form in the Details card, and, when the change moves the
// plan, what it moves (the server's preview: the same change made and undone) before saving.

import { call } from "./http.js";
import { h, replace, field, checkbox, messageLine, busy, confirmDialog, zoneSelect, announce } from "./ui.js";
import { keepDraft } from "./drafts.js";
import { languageSelect } from "./languages.js";

const PLAN_FIELDS = ["time_zone", "wake_time", "bed_time", "stockings_advised"];

/**
 * "12 future tasks move to New York time; 3 are added." from a PatientEditResult, or from a
 * TreatmentChangeResult ("4 tasks move to new times": a corrected treatment's pending tasks
 * move even where past).
 */
export function planEffect(result) {
  const zone = result.patient ? result.patient.time_zone.split("/").pop().replace(/_/g, " ") : null;
  const tasks = (n) => `${n} ${result.patient ? "future " : ""}task${n === 1 ? "" : "s"}`;
  const parts = [];
  if (result.tasks_moved) {
    const where = zone && result.changed.includes("time_zone") ? ` to ${zone} time` : " to new times";
    parts.push(`${tasks(result.tasks_moved)} ${result.tasks_moved === 1 ? "moves" : "move"}${where}`);
  }
  if (result.tasks_added) parts.push(`${tasks(result.tasks_added)} ${result.tasks_added === 1 ? "is" : "are"} added`);
  if (result.tasks_removed) parts.push(`${tasks(result.tasks_removed)} ${result.tasks_removed === 1 ? "is" : "are"} removed`);
  return parts.length ? `${parts.join("; ")}.` : "The plan does not change.";
}

/**
 * Show the edit form in `card` (labelled by #facts-h) for `patient` (PatientDetail).
 * `done(saved)` runs after a save (with the PatientEditResult) or a cancel (with null).
 */
export function editDetails(card, patient, base, done) {
  const name = h("input", { type: "text", name: "name", value: patient.name, required: true, maxlength: "200", autocomplete: "off", spellcheck: "false" });
  const phone = h("input", { type: "tel", name: "phone", value: patient.phone || "", maxlength: "40", autocomplete: "off" });
  const email = h("input", { type: "email", name: "email", value: patient.email || "", maxlength: "254", autocomplete: "off" });
  const timeZone = zoneSelect(patient.time_zone, { name: "time_zone" });
  const wake = h("input", { type: "time", name: "wake_time", value: String(patient.wake_time).slice(0, 5), required: true });
  const bed = h("input", { type: "time", name: "bed_time", value: String(patient.bed_time).slice(0, 5), required: true });
  const stockings = checkbox("Compression stockings advised", { checked: patient.stockings_advised });
  const language = languageSelect(patient.language, { name: "language" });
  const notes = h("textarea", { name: "notes", rows: "3", maxlength: "2000" }, patient.notes || "");
  const message = messageLine();
  const save = h("button", { type: "submit", class: "button button-primary" }, "Save changes");
  const cancel = h("button", { type: "button", class: "button button-link", onclick: () => done(null) }, "Cancel");
  const form = h("form", { novalidate: true, "aria-labelledby": "facts-h" },
    h("div", { class: "form-grid" },
      field("Full name", name, { className: "wide" }),
      field("Mobile phone (optional)", phone),
      field("E-mail (optional)", email),
      field("Time zone", timeZone, { hint: "Where the patient is now; reminders follow it.", className: "wide" }),
      field("Usually gets up at", wake),
      field("Usually goes to bed at", bed),
      field("Language", language, { hint: "Everything the patient reads comes in it." })),
    stockings.el,
    field("Notes for the clinic (the patient never sees them)", notes),
    message.el,
    h("div", { class: "actions" }, cancel, save));

  /** The fields whose values differ from the record, as the API takes them. */
  function changes() {
    const now = {
      name: name.value.trim(),
      phone: phone.value.trim() || null,
      email: email.value.trim() || null,
      time_zone: timeZone.value,
      wake_time: wake.value,
      bed_time: bed.value,
      stockings_advised: stockings.input.checked,
      language: language.value,
      notes: notes.value,
    };
    const was = { ...patient, wake_time: String(patient.wake_time).slice(0, 5), bed_time: String(patient.bed_time).slice(0, 5), notes: patient.notes || "" };
    return Object.fromEntries(Object.entries(now).filter(([key, value]) => value !== (was[key] ?? null)));
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!name.value.trim()) { message.error("Please give the patient's name."); name.focus(); return; }
    if (!wake.value || !bed.value) { message.error("Please give the times the patient gets up and goes to bed."); (wake.value ? bed : wake).focus(); return; }
    const body = changes();
    if (!Object.keys(body).length) { done(null); return; }
    busy(save, async () => {
      try {
        if (PLAN_FIELDS.some((key) => key in body)) {
          const preview = await call("PATCH", `${base}?preview=true`, body);
          const sure = await confirmDialog({
            title: `Save the changes to ${patient.name}?`,
            body: [planEffect(preview), "Tasks already done and everything already past stay as they are."],
            confirm: "Save changes",
          });
          if (!sure) return;
        }
        const saved = await call("PATCH", base, body);
        announce(`Saved. ${planEffect(saved)}`);
        done(saved);
      } catch (error) {
        message.error(error);
      }
    });
  });
  replace(card, h("h2", { id: "facts-h" }, "Edit details"), form);
  keepDraft(form, "patient-edit");
  name.focus();
}
