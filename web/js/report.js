// "Report a problem": pain 0-10, warning signs in plain words, a note; then an answer that
// cannot be missed (emergency, urgent or routine).

import { h, telHref } from "./dom.js";

const GROUPS = [
  ["emergency", "Serious warning signs", "Tick any you have now."],
  ["urgent", "Signs the clinic needs to know about", "Tick any you have."],
  ["expected", "Common after treatment", "These are usually normal. Tick any you have."],
];

function painScale() {
  const options = [];
  for (let n = 0; n <= 10; n += 1) {
    options.push(h("label", { class: "pain-option" },
      h("input", { type: "radio", name: "pain", value: String(n), class: "pain-input" }),
      h("span", { class: `pain-face pain-${n}` }, String(n))));
  }
  return h("fieldset", { class: "field pain", id: "pain-field", "aria-describedby": "pain-hint" },
    h("legend", {}, "How bad is your pain right now?"),
    h("p", { class: "hint", id: "pain-hint" }, "0 means no pain. 10 means the worst pain you can imagine."),
    h("div", { class: "pain-scale" }, options),
    h("p", { class: "pain-ends", "aria-hidden": "true" }, h("span", {}, "No pain"), h("span", {}, "Worst pain")));
}

function signGroup(signs, [group, title, hint]) {
  const mine = signs.filter((s) => s.group === group);
  if (!mine.length) return null;
  return h("fieldset", { class: ["field", "signs", `signs-${group}`] },
    h("legend", {}, title),
    h("p", { class: "hint" }, hint),
    mine.map((s) => h("label", { class: "sign" },
      h("input", { type: "checkbox", name: "signs", value: s.code }),
      h("span", { class: "sign-text" },
        h("span", { class: "sign-label" }, s.label),
        s.description ? h("span", { class: "sign-desc" }, s.description) : null))));
}

function callButton(number, label, extra = "") {
  return h("a", { class: ["button", "button-call", extra], href: telHref(number) },
    h("span", { class: "call-icon", "aria-hidden": "true" }), label || `Call ${number}`);
}

/**
 * The form. ctx: {form, profile, checkTask (the daily check occurrence, or null), checkReady
 * (it can be ticked now), onSubmit(fields) → {error}|null, onAllWell(task)}.
 */
export function renderReportForm(ctx) {
  const { form, profile, checkTask } = ctx;
  const emergency = (form && form.emergency_number) || profile.clinic.emergency_number || "999";
  const banner = h("aside", { class: "card emergency-note", "aria-label": "Emergency" },
    h("p", {}, h("strong", {}, "Very unwell? "), `Chest pain, trouble breathing or a swollen throat: call ${emergency} now.`),
    callButton(emergency, `Call ${emergency}`, "button-danger"));

  const daily = checkTask
    ? h("section", { class: "card daily-check", "aria-labelledby": "check-heading" },
        h("h2", { id: "check-heading" }, checkTask.title),
        h("p", {}, checkTask.instructions),
        ctx.checkReady
          ? [
              h("p", {}, "If everything looks as expected, tap the button. If something worries you, fill in the form below."),
              h("button", { type: "button", class: "button button-primary", id: "all-well", onclick: () => ctx.onAllWell(checkTask) }, "All is well"),
            ]
          : h("p", {}, "If something worries you, fill in the form below."))
    : null;

  if (!form) {
    const phone = profile.clinic.phone;
    return [
      h("h1", { id: "view-heading", tabindex: "-1" }, "Report a problem"),
      banner,
      h("section", { class: "card" },
        h("p", {}, "The form cannot be shown while your phone is offline. If something worries you, please phone the clinic."),
        phone ? callButton(phone, "Call the clinic") : null),
    ];
  }

  const error = h("p", { class: "form-error", id: "report-error", hidden: true });
  const submit = h("button", { type: "submit", class: "button button-primary", id: "report-submit" }, "Send to my clinic");
  const formEl = h("form", { class: "report-form", novalidate: true, "aria-labelledby": "view-heading" },
    painScale(),
    GROUPS.map((g) => signGroup(form.signs, g)),
    h("div", { class: "field" },
      h("label", { for: "note", class: "label" }, "Anything else you want to tell the clinic? (optional)"),
      h("textarea", { id: "note", name: "note", rows: "4", maxlength: "2000" })),
    error,
    submit);

  formEl.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(formEl);
    const pain = data.get("pain");
    if (pain === null) {
      error.textContent = "Please choose a number for your pain (0 if you have none).";
      error.hidden = false;
      formEl.querySelector(".pain-input").focus();
      return;
    }
    error.hidden = true;
    submit.disabled = true;
    submit.textContent = "Sending…";
    const outcome = await ctx.onSubmit({
      pain: Number(pain),
      signs: data.getAll("signs"),
      note: String(data.get("note") || "").trim(),
    });
    if (outcome && outcome.error) {
      error.textContent = outcome.error.detail;
      error.hidden = false;
      submit.disabled = false;
      submit.textContent = "Send to my clinic";
      error.focus();
    }
  });
  error.setAttribute("tabindex", "-1");

  return [
    h("h1", { id: "view-heading", tabindex: "-1" }, checkTask ? "Your daily check" : "Report a problem"),
    daily,
    banner,
    checkTask ? h("h2", {}, "Report a problem") : null,
    formEl,
  ];
}

/**
 * The answer. result: the server's report, or a local one when offline ({queued: true}).
 */
export function renderReportResult(result, ctx) {
  const level = result.level;
  const sentence = result.queued
    ? "Your report is saved on this phone. It will be sent to the clinic as soon as your phone is online."
    : level === "routine"
      ? "Your report has been sent to the clinic."
      : "Your report has been sent to the clinic, and they have been alerted.";
  const call = result.call_number ? callButton(result.call_number, result.call_label, level === "emergency" ? "button-call-big" : "") : null;
  return [
    h("section", { class: ["result", `result-${level}`], "aria-labelledby": "view-heading" },
      h("h1", { id: "view-heading", tabindex: "-1" }, result.title),
      level === "emergency" ? h("p", { class: "result-lead" }, "Do not drive yourself.") : null,
      call,
      h("p", { class: "result-advice" }, result.advice),
      h("p", { class: "result-sent" }, sentence),
      h("p", {}, h("button", { type: "button", class: "button button-secondary", onclick: ctx.onDone }, "Back to my plan"))),
  ];
}
