// The patient page's "Reminded also by" line: push only, or e-mail or text as the patient
// agreed; the latest message that could not be delivered; and a small form to record a change.

import { call } from "./http.js";
import { h, replace, field, checkbox, messageLine, busy } from "./ui.js";
import { dateOnly } from "./format.js";

const NAMES = { "": "push only", email: "e-mail", sms: "text message" };

/** The <dd> content for `patient.reminders_by`; `base` is the patient's API path; `saved(detail)`. */
export function channelLine(patient, base, zone, saved) {
  const reach = patient.reminders_by;
  const box = h("div", { class: "channel-line" });
  if (!reach) return box;
  const show = () => {
    const agreed = reach.consent_at
      ? ` (agreed ${dateOnly(reach.consent_at, zone)}${reach.consent_by === "staff" ? ", told to staff" : " in the app"})`
      : "";
    const change = h("button", { type: "button", class: "button button-small button-quiet" }, "Change");
    change.hidden = reach.offered.length === 0;
    change.addEventListener("click", edit);
    replace(box,
      h("span", {}, reach.channel ? `push, then ${NAMES[reach.channel]}${agreed}` : NAMES[""]), " ", change,
      reach.problem ? h("div", { class: "warn-text" }, `Not delivered ${dateOnly(reach.problem_at, zone)}: ${reach.problem}`) : null);
  };
  const edit = () => {
    const m = messageLine();
    const choice = h("select", {},
      h("option", { value: "" }, "Push only"),
      reach.offered.includes("email") ? h("option", { value: "email", disabled: !reach.email }, `E-mail${reach.email ? ` to ${reach.email}` : " (no address in the record)"}`) : null,
      reach.offered.includes("sms") ? h("option", { value: "sms", disabled: !reach.sms_number }, `Text${reach.sms_number ? ` to ${reach.sms_number}` : " (no number with the country code)"}`) : null);
    choice.value = reach.channel;
    const agreed = checkbox("The patient agreed to be reminded this way");
    const save = h("button", { type: "submit", class: "button button-primary button-small" }, "Save");
    const cancel = h("button", { type: "button", class: "button button-small" }, "Cancel");
    cancel.addEventListener("click", show);
    const form = h("form", { class: "channel-form", "aria-label": "Reminded also by" },
      field("Also remind by", choice), agreed.el, m.el, h("div", { class: "actions" }, save, cancel));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy(save, async () => {
        try {
          const detail = await call("PUT", `${base}/reminder-channel`, { channel: choice.value, consent: agreed.input.checked });
          saved(detail);
        } catch (error) { m.error(error); }
      });
    });
    replace(box, form);
    choice.focus();
  };
  show();
  return box;
}
