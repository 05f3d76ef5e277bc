// "Report a problem": pain 0-10, warning signs in plain words, a note; then an answer that
// cannot be missed (emergency, urgent or routine). The signs, their levels and the numbers
// come from the clinic's rules (the report form the server sends); nothing clinical is
// written here.

import { h, telHref } from "./dom.js";
import { locale, t } from "./i18n.js";
import { checkReport, noteSigns } from "./triage.js";

// How each sign level is introduced on the form (the levels themselves come from the rules).
const GROUPS = () => [
  ["emergency", t("report.group.emergency"), t("report.group.emergencyHint")],
  ["urgent", t("report.group.urgent"), t("report.group.urgentHint")],
  ["expected", t("report.group.expected"), t("report.group.expectedHint")],
];

/** The form's signs as the rules list them: [{code, level, label, description}]. */
export function formSigns(form) {
  if (form && form.rules && Array.isArray(form.rules.signs)) return form.rules.signs;
  return ((form && form.signs) || []).map((s) => ({ ...s, level: s.level || s.group }));
}

/** The clinic's numbers as the rules' placeholders name them. */
export function formNumbers(form, profile) {
  const clinic = (profile && profile.clinic) || {};
  return {
    emergency_number: (form && form.emergency_number) || clinic.emergency_number || "",
    clinic_phone: (form && form.clinic_phone) || clinic.phone || "",
    out_of_hours_name: (form && form.out_of_hours_name) || "",
    out_of_hours_phone: (form && form.out_of_hours_phone) || "",
  };
}

function painScale(error) {
  const options = [];
  for (let n = 0; n <= 10; n += 1) {
    // The ends' words, shown under the scale for the eye, are in the ends' names for the ear.
    const end = n === 0 ? t("report.noPain") : n === 10 ? t("report.worstPain") : "";
    options.push(h("label", { class: "pain-option" },
      h("input", { type: "radio", name: "pain", value: String(n), class: "pain-input" }),
      h("span", { class: `pain-face pain-${n}` }, n.toLocaleString(locale())),
      end ? h("span", { class: "visually-hidden" }, end) : null));
  }
  return h("fieldset", { class: "field pain", id: "pain-field", "aria-describedby": "pain-hint pain-error" },
    h("legend", {}, t("report.painQuestion")),
    h("p", { class: "hint", id: "pain-hint" }, t("report.painHint")),
    error,
    h("div", { class: "pain-scale" }, options),
    h("p", { class: "pain-ends", "aria-hidden": "true" }, h("span", {}, t("report.noPainEnd")), h("span", {}, t("report.worstPainEnd"))));
}

function signGroup(signs, [level, title, hint]) {
  const mine = signs.filter((s) => s.level === level);
  if (!mine.length) return null;
  return h("fieldset", { class: ["field", "signs", `signs-${level}`] },
    h("legend", {}, title),
    h("p", { class: "hint" }, hint),
    mine.map((s) => h("label", { class: "sign" },
      h("input", { type: "checkbox", name: "signs", value: s.code }),
      h("span", { class: "sign-text" },
        h("span", { class: "sign-label" }, s.label),
        s.description ? h("span", { class: "sign-desc" }, s.description) : null))));
}

/** A tap-to-call button: its label, and the number itself underneath. */
function callButton(number, label, extra = "") {
  const shown = label && !label.includes(number) ? h("span", { class: "call-number" }, number) : null;
  return h("a", { class: ["button", "button-call", extra], href: telHref(number) },
    h("span", { class: "call-icon", "aria-hidden": "true" }),
    h("span", { class: "call-text" }, h("span", { class: "call-label" }, label || number), shown));
}

/** The banner's emergency button, labelled as the rules label the emergency call. */
function emergencyLabel(form, numbers) {
  const label = form && form.rules && form.rules.advice && form.rules.advice.emergency
    && form.rules.advice.emergency.call_label;
  return label ? label.replace(/\{emergency_number\}/g, numbers.emergency_number) : t("report.call", { number: numbers.emergency_number });
}

/**
 * The form. ctx: {form, profile, checkTask (the daily check occurrence, or null), checkReady
 * (it can be ticked now), onSubmit(fields) → {error}|null, onAllWell(task)}.
 * fields: {pain (0-10, or null when a sign is ticked or a note written), signs, note}.
 */
export function renderReportForm(ctx) {
  const { form, profile, checkTask } = ctx;
  const numbers = formNumbers(form, profile);
  const emergency = numbers.emergency_number;
  const banner = emergency
    ? h("aside", { class: "card emergency-note", "aria-label": t("report.emergency") },
        // DRAFT for clinical review
        h("p", {}, h("strong", {}, t("report.veryUnwell")), " ", t("report.veryUnwellText", { number: emergency })),
        callButton(emergency, emergencyLabel(form, numbers), "button-danger"))
    : null;

  const daily = checkTask
    ? h("section", { class: "card daily-check", "aria-labelledby": "check-heading" },
        h("h2", { id: "check-heading" }, checkTask.title),
        h("p", {}, checkTask.instructions),
        ctx.checkReady
          ? [
              h("p", {}, t("report.checkReady")),
              h("button", { type: "button", class: "button button-primary", id: "all-well", onclick: () => ctx.onAllWell(checkTask) }, t("report.allWell")),
            ]
          : h("p", {}, t("report.checkNotReady")))
    : null;

  if (!form) {
    const phone = profile.clinic.phone;
    return [
      h("h1", { id: "view-heading", tabindex: "-1" }, t("report.heading")),
      banner,
      h("section", { class: "card" },
        h("p", {}, t("report.offline")),
        phone ? callButton(phone, t("report.callClinic")) : null),
    ];
  }

  const rules = form.rules || { signs: formSigns(form) };
  const painError = h("p", { class: "form-error", id: "pain-error", tabindex: "-1", hidden: true });
  const error = h("p", { class: "form-error", id: "report-error", tabindex: "-1", hidden: true });
  const submit = h("button", { type: "submit", class: "button button-primary", id: "report-submit" }, t("report.send"));
  const confirmSlot = h("div", { id: "note-confirm-slot" });
  const declined = new Set(); // signs the patient said they do not have now
  const formEl = h("form", { class: "report-form", novalidate: true, "aria-labelledby": "view-heading" },
    painScale(painError),
    GROUPS().map((g) => signGroup(formSigns(form), g)),
    h("div", { class: "field" },
      h("label", { for: "note", class: "label" }, t("report.note")),
      h("textarea", { id: "note", name: "note", rows: "4", maxlength: "2000" })),
    error,
    confirmSlot,
    submit);

  const fields = () => {
    const data = new FormData(formEl);
    const pain = data.get("pain");
    return {
      pain: pain === null ? null : Number(pain),
      signs: data.getAll("signs"),
      note: String(data.get("note") || "").trim(),
    };
  };

  const tick = (code) => {
    const box = [...formEl.querySelectorAll('input[name="signs"]')].find((input) => input.value === code);
    if (box) box.checked = true;
  };

  // The note names a sign that is not ticked: ask, one sign at a time, before sending.
  const ask = (sign) => {
    const id = `note-confirm-${sign.code}`;
    const question = h("p", { class: "confirm-question", id: `${id}-q`, tabindex: "-1" },
      // DRAFT for clinical review
      t("report.wroteAbout", { sign: sign.label }));
    const answer = (yes) => {
      if (yes) tick(sign.code);
      else declined.add(sign.code);
      confirmSlot.replaceChildren();
      submit.hidden = false;
      proceed();
    };
    confirmSlot.replaceChildren(h("section", { class: "card note-confirm", id, role: "group", "aria-labelledby": `${id}-q` },
      question,
      h("div", { class: "confirm-actions" },
        h("button", { type: "button", class: "button button-primary", onclick: () => answer(true) }, t("report.yesAdd")),
        h("button", { type: "button", class: "button button-secondary", onclick: () => answer(false) }, t("report.noSend")))));
    submit.hidden = true;
    question.scrollIntoView({ block: "center" });
    question.focus({ preventScroll: true });
  };

  const proceed = async () => {
    const report = fields();
    if (checkReport(rules, report) === "pain_required") {
      painError.textContent = t("report.painMissing");
      painError.hidden = false;
      formEl.querySelector("#pain-field").classList.add("pain-missing");
      formEl.querySelector("#pain-field").scrollIntoView({ block: "start" });
      formEl.querySelector(".pain-input").focus({ preventScroll: true });
      return;
    }
    painError.hidden = true;
    formEl.querySelector("#pain-field").classList.remove("pain-missing");
    const pending = noteSigns(rules, report.note, report.signs).filter((s) => !declined.has(s.code));
    if (pending.length) {
      ask(pending[0]);
      return;
    }
    error.hidden = true;
    submit.disabled = true;
    submit.textContent = t("report.sending");
    const outcome = await ctx.onSubmit(report);
    if (outcome && outcome.error) {
      error.textContent = outcome.error.detail;
      error.hidden = false;
      submit.disabled = false;
      submit.textContent = t("report.send");
      error.focus();
    }
  };

  formEl.addEventListener("submit", (event) => {
    event.preventDefault();
    confirmSlot.replaceChildren();
    submit.hidden = false;
    proceed();
  });
  formEl.addEventListener("change", (event) => {
    if (event.target.name === "pain") {
      painError.hidden = true;
      formEl.querySelector("#pain-field").classList.remove("pain-missing");
    }
  });

  return [
    h("h1", { id: "view-heading", tabindex: "-1" }, checkTask ? t("report.dailyCheck") : t("report.heading")),
    daily,
    banner,
    checkTask ? h("h2", {}, t("report.heading")) : null,
    formEl,
  ];
}

/**
 * The answer. result: the server's report, or the phone's own when offline ({queued: true}).
 */
export function renderReportResult(result, ctx) {
  const level = result.level;
  const sentence = result.queued
    ? t("report.queued")
    : level === "routine"
      ? t("report.sent")
      : t("report.sentAlerted");
  const call = result.call_number ? callButton(result.call_number, result.call_label, "button-call-big") : null;
  return [
    h("section", { class: ["result", `result-${level}`], "aria-labelledby": "view-heading" },
      h("h1", { id: "view-heading", tabindex: "-1" }, result.title),
      call,
      h("p", { class: "result-advice" }, result.advice),
      h("p", { class: "result-sent" }, sentence),
      h("p", {}, h("button", { type: "button", class: "button button-secondary", onclick: ctx.onDone }, t("report.backToPlan")))),
  ];
}
