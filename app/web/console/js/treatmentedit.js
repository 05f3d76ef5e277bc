// Keep a treatment right: correct its time, method or notes, or void it, each with a reason;
// what the change does to the plan (the server's preview: made and undone) is shown first.

import { call } from "./http.js";
import { h, replace, field, messageLine, busy, badge, confirmDialog, reasonDialog, announce } from "./ui.js";
import { keepDraft } from "./drafts.js";
import { planEffect } from "./patientedit.js";
import { dateTime, humanize, localInputValue, instantOf } from "./format.js";

const KEPT = "Tasks already done stay done.";

/** One treatment as the Details card lists it: when, how, and what happened to it since. */
export function treatmentLine(treatment, zone, actions) {
  const what = `${dateTime(treatment.performed_at, zone)} · ${humanize(treatment.method)}`;
  if (treatment.voided_at) {
    return h("li", { class: "treatment-voided" },
      h("s", {}, what), " ", badge("voided", "muted"),
      h("div", { class: "muted" }, `Voided ${dateTime(treatment.voided_at, zone)}: ${treatment.void_reason}`));
  }
  if (treatment.booked) {
    const due = Date.parse(treatment.performed_at) <= Date.now();
    return h("li", { class: "treatment-booked" }, what, " ",
      due ? badge("to confirm", "warn", "Booked for this time and not confirmed done: its reminders are held") : badge("booked", "muted"),
      actions ? h("div", { class: "actions actions-inline" }, actions) : null);
  }
  return h("li", {}, what,
    treatment.corrected_at ? [" ", badge("corrected", "muted", `Corrected ${dateTime(treatment.corrected_at, zone)}: ${treatment.correction_reason}`)] : null,
    actions ? h("div", { class: "actions actions-inline" }, actions) : null);
}

/**
 * The correction form in `card` (labelled by #facts-h) for `treatment` (TreatmentPublic).
 * `done(saved)` runs after a save (with the TreatmentChangeResult) or a cancel (with null).
 */
export function correctTreatment(card, treatment, zone, base, done) {
  const at = h("input", { type: "datetime-local", name: "performed_at", required: true, value: localInputValue(treatment.performed_at, zone) });
  const method = h("select", { name: "method" },
    ["sclerotherapy", "laser"].map((m) => h("option", { value: m, selected: m === treatment.method }, humanize(m))));
  const notes = h("input", { type: "text", name: "notes", maxlength: "2000", value: treatment.notes || "" });
  const reason = h("textarea", { name: "reason", rows: "2", maxlength: "500", required: true });
  const message = messageLine();
  const save = h("button", { type: "submit", class: "button button-primary" }, "Save correction");
  const cancel = h("button", { type: "button", class: "button button-link", onclick: () => done(null) }, "Cancel");
  const form = h("form", { novalidate: true, "aria-labelledby": "facts-h" },
    h("div", { class: "form-grid" }, field(`Date and time (${zone})`, at), field("Method", method)),
    field("Notes (optional)", notes),
    field("Reason for the correction (required)", reason, { hint: "Kept with the treatment; the audit keeps the times before and after." }),
    message.el,
    h("div", { class: "actions" }, cancel, save));
  const path = `${base}/treatments/${treatment.id}`;

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const instant = instantOf(at.value, zone);
    if (!instant) { message.error("Please enter the date and time of the treatment."); at.focus(); return; }
    if (!reason.value.trim()) { message.error("Please say why the treatment is corrected."); reason.focus(); return; }
    const body = { reason: reason.value.trim() };
    if (instant.getTime() !== Date.parse(treatment.performed_at)) body.performed_at = instant.toISOString();
    if (method.value !== treatment.method) body.method = method.value;
    if (notes.value.trim() !== (treatment.notes || "")) body.notes = notes.value.trim();
    if (Object.keys(body).length === 1) { message.error("Nothing was changed: change the time, the method or the notes."); at.focus(); return; }
    busy(save, async () => {
      try {
        if ("performed_at" in body || "method" in body) {
          const preview = await call("PATCH", `${path}?preview=true`, body);
          const sure = await confirmDialog({
            title: "Save the correction?",
            body: [planEffect(preview), KEPT],
            confirm: "Save correction",
          });
          if (!sure) return;
        }
        const saved = await call("PATCH", path, body);
        announce(`Treatment corrected. ${planEffect(saved)}`);
        done(saved);
      } catch (error) {
        message.error(error);
      }
    });
  });
  replace(card, h("h2", { id: "facts-h" }, treatment.booked ? "Move the booked treatment" : `Correct treatment ${treatment.number}`), form);
  keepDraft(form, `treatment-${treatment.id}`);
  at.focus();
}

/** Ask, with what it does to the plan, and void `treatment`; the result, or null if not. */
export async function voidTreatment(treatment, zone, base) {
  const path = `${base}/treatments/${treatment.id}/void`;
  // The preview needs a reason too; this one is never saved.
  const preview = await call("POST", `${path}?preview=true`, { reason: "preview" });
  const reason = await reasonDialog({
    title: `Void the treatment of ${dateTime(treatment.performed_at, zone)}?`,
    body: treatment.booked
      ? ["For a booking that was cancelled. It stays in the record, marked voided; the patient's app stops showing it."]
      : [
        "For a treatment recorded for the wrong patient or that never happened. It stays in the record, marked voided, and leaves the plan.",
        `${planEffect(preview)} ${KEPT}`,
      ],
    confirm: "Void treatment",
    label: "Reason (required)",
    missing: "Please say why the treatment is voided.",
    danger: true,
  });
  if (reason === null) return null;
  const saved = await call("POST", path, { reason });
  announce(`Treatment voided. ${planEffect(saved)}`);
  return saved;
}

/**
 * The confirmation form in `card` for a booked `treatment`: it was done, at the booked time or
 * at the time typed. `done(saved)` runs after a confirmation (the result) or a cancel (null).
 */
export function confirmTreatment(card, treatment, zone, base, done) {
  const at = h("input", { type: "datetime-local", name: "performed_at", required: true, value: localInputValue(treatment.performed_at, zone) });
  const message = messageLine();
  const save = h("button", { type: "submit", class: "button button-primary" }, "Confirm done");
  const cancel = h("button", { type: "button", class: "button button-link", onclick: () => done(null) }, "Cancel");
  const form = h("form", { novalidate: true, "aria-labelledby": "facts-h" },
    h("p", {}, `Booked for ${dateTime(treatment.performed_at, zone)}. Change the time if the treatment was done at another time.`),
    field(`Done at (${zone})`, at),
    message.el,
    h("div", { class: "actions" }, cancel, save));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const instant = instantOf(at.value, zone);
    if (!instant) { message.error("Please enter the date and time the treatment was done."); at.focus(); return; }
    const body = instant.getTime() === Date.parse(treatment.performed_at) ? {} : { performed_at: instant.toISOString() };
    busy(save, async () => {
      try {
        const saved = await call("POST", `${base}/treatments/${treatment.id}/confirm`, body);
        announce("Treatment confirmed done. The plan starts from it.");
        done(saved);
      } catch (error) {
        message.error(error);
      }
    });
  });
  replace(card, h("h2", { id: "facts-h" }, "Confirm the treatment done"), form);
  at.focus();
}
