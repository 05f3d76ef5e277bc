// Enrol a patient: details, first treatment, the consultation (Doppler) check; then the link and QR.

import { call } from "./http.js";
import { clinicZone } from "./session.js";
import { linkPanel } from "./linkcard.js";
import { h, replace, field, checkbox, messageLine, busy, pageHeading, confirmDialog, zoneSelect, announce } from "./ui.js";
import { localInputValue, instantOf, nowRounded } from "./format.js";
import { keepDraft } from "./drafts.js";
import { languageSelect } from "./languages.js";

export function render(view) {
  const zone = clinicZone();
  const name = h("input", { type: "text", name: "name", required: true, maxlength: "200", autocomplete: "off", spellcheck: "false" });
  const phone = h("input", { type: "tel", name: "phone", autocomplete: "off", maxlength: "40" });
  const timeZone = zoneSelect(zone, { name: "time_zone" });
  const wake = h("input", { type: "time", name: "wake_time", value: "07:30", required: true });
  const bed = h("input", { type: "time", name: "bed_time", value: "22:00", required: true });
  const stockings = checkbox("Compression stockings advised", { name: "stockings_advised", checked: true });
  const language = languageSelect("en", { name: "language" });
  const performed = h("input", { type: "datetime-local", name: "performed_at", required: true, value: localInputValue(nowRounded(), zone) });
  const method = h("select", { name: "method" },
    h("option", { value: "sclerotherapy" }, "Sclerotherapy"),
    h("option", { value: "laser" }, "Laser"));
  // At the consultation: the treatment is booked, not done; the plan starts once it is confirmed.
  const booked = checkbox("Not done yet: booked for this date and time (the plan starts when you confirm it done)", { name: "booked" });
  const doppler = checkbox("Duplex ultrasound (Doppler) done at the consultation: no deep reflux", { name: "doppler_checked" });
  const message = messageLine();
  const submit = h("button", { type: "submit", class: "button button-primary" }, "Enrol and create link");

  const form = h("form", { class: "card enrol-form", novalidate: true },
    h("div", { class: "form-grid" },
      field("Full name", name, { className: "wide" }),
      field("Time zone", timeZone, { hint: "Where the patient lives; reminders follow it." }),
      field("Mobile phone (optional)", phone),
      field("Usually gets up at", wake),
      field("Usually goes to bed at", bed),
      field("Language", language, { hint: "Everything the patient reads comes in it; they can change it in the app." })),
    stockings.el,
    h("fieldset", {},
      h("legend", {}, "Treatment"),
      h("div", { class: "form-grid" },
        field(`Date and time (${zone})`, performed),
        field("Method", method)),
      booked.el),
    doppler.el,
    message.el,
    h("div", { class: "actions" }, submit));

  const result = h("div");
  view.append(pageHeading("Enrol a patient"), form, result);

  keepDraft(form, "enrol");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.clear();
    if (!name.value.trim()) {
      message.error("Please enter the patient's name.");
      name.focus();
      return;
    }
    const at = instantOf(performed.value, zone);
    if (!at || Number.isNaN(at.getTime())) {
      message.error("Please enter the date and time of the treatment.");
      performed.focus();
      return;
    }
    if (!wake.value || !bed.value) {
      message.error("Please enter when the patient gets up and goes to bed.");
      (wake.value ? bed : wake).focus();
      return;
    }
    let withoutDoppler = false;
    if (!doppler.input.checked) {
      withoutDoppler = await confirmDialog({
        title: "Enrol without a Doppler check?",
        body: [
          "No duplex ultrasound (Doppler) check is recorded for this patient.",
          "Enrol only if the check was done elsewhere or is knowingly skipped. You can record it later on the patient page.",
        ],
        confirm: "Enrol without the check",
        cancel: "Go back",
      });
      if (!withoutDoppler) {
        doppler.input.focus();
        return;
      }
    }
    const body = {
      name: name.value.trim(),
      time_zone: timeZone.value,
      wake_time: wake.value,
      bed_time: bed.value,
      stockings_advised: stockings.input.checked,
      language: language.value,
      phone: phone.value.trim() || null,
      treatment: { performed_at: at.toISOString(), method: method.value, booked: booked.input.checked },
      doppler_checked: doppler.input.checked,
      confirm_without_doppler: withoutDoppler,
    };
    await busy(submit, async () => {
      try {
        const created = await call("POST", "/api/patients", body);
        showResult(result, body.name, created.id, created.enrolment, () => {
          form.reset();
          performed.value = localInputValue(nowRounded(), zone);
          timeZone.value = zone;
          replace(result);
          form.hidden = false;
          name.focus();
        });
        form.hidden = true;
      } catch (error) {
        message.error(error);
      }
    });
  });
  name.focus();
}

function showResult(box, name, patientId, enrolment, again) {
  const message = messageLine();
  const panel = h("div", {}, linkPanel(enrolment));
  const reissue = h("button", { type: "button", class: "button" }, "Re-issue link");
  reissue.addEventListener("click", () => busy(reissue, async () => {
    message.clear();
    try {
      const fresh = await call("POST", `/api/patients/${patientId}/enrolment`);
      replace(panel, linkPanel(fresh));
      message.ok("A new link is ready. The previous one no longer works.");
    } catch (error) {
      message.error(error);
    }
  }));
  const heading = h("h2", { tabindex: "-1" }, `${name} is enrolled`);
  replace(box, h("section", { class: "card", "aria-labelledby": "enrolled-heading" },
    heading,
    panel,
    message.el,
    h("div", { class: "actions" },
      h("a", { class: "button button-primary", href: `#/patients/${patientId}` }, "Open patient page"),
      reissue,
      h("button", { type: "button", class: "button button-link", onclick: again }, "Enrol another patient"))));
  heading.id = "enrolled-heading";
  heading.focus();
  announce(`${name} is enrolled. The link and QR code are ready.`);
}
