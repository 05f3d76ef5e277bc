// An enrolment link as staff hand it over: the QR code to scan, the link to copy, its expiry.

import { clinicZone } from "./session.js";
import { h, safeSvg, copyBox } from "./ui.js";
import { dateTime } from "./format.js";

/** The panel for one EnrolmentPublic {url, code, expires_at, qr_svg}; `person`: whose phone
 *  it is for ("the patient", or a carer by name: "Anna, the carer"). */
export function linkPanel(enrolment, { small = false, person = "the patient" } = {}) {
  const qr = safeSvg(enrolment.qr_svg);
  return h("div", { class: "result" },
    h("figure", { class: ["qr", small && "qr-small"], "aria-label": "QR code of the enrolment link" },
      qr || h("p", { class: "muted" }, "No QR code: use the link.")),
    h("div", {},
      h("p", {}, `Ask ${person} to scan the code with the phone camera, or send them the link. It opens the app on their phone and can be used once.`),
      copyBox(enrolment.url, "Enrolment link"),
      h("p", { class: "muted" }, `Valid until ${dateTime(enrolment.expires_at, clinicZone())}.`)));
}
