// "Your earlier reports" on the Report tab: each report with the advice the patient was given,
// and whether the clinic has seen it (who, when, and what they wrote back). Everything shown
// comes from the server's list (GET /api/me/reports); nothing is judged here.

import { h, replace } from "./dom.js";
import { dayLong, relativeDay, timeOf, whenText, ymdIn } from "./time.js";

export const SLOT_ID = "my-reports";

/** "Pain 3 out of 10", or that none was given. */
function painText(pain) {
  // DRAFT for clinical review
  return pain === null || pain === undefined ? "No pain score given" : `Pain ${pain} out of 10`;
}

/** "Seen by Nurse Patel at 9:12 am: we will call you" (the day too, when not the report's). */
export function seenText(report, zone, today) {
  if (!report.seen_at) {
    // DRAFT for clinical review
    return "Not seen by the clinic yet";
  }
  const day = ymdIn(report.seen_at, zone);
  const at = `at ${timeOf(report.seen_at, zone)}`;
  const rel = relativeDay(day, today);
  const when = day === ymdIn(report.created_at, zone) ? at
    : rel ? `${rel.toLowerCase()} ${at}` : `on ${dayLong(day)} ${at}`;
  // DRAFT for clinical review
  const seen = `Seen by ${report.seen_by_name || "the clinic"} ${when}`;
  return report.reply ? `${seen}: ${report.reply}` : seen;
}

function reportCard(report, zone, today) {
  const signs = report.sign_labels || [];
  return h("li", { class: ["card", "my-report", `my-report-${report.level}`] },
    h("h3", { class: "my-report-when" }, whenText(report.created_at, zone, today)),
    report.reported_by ? h("p", { class: "my-report-by" }, `Sent by ${report.reported_by}`) : null,
    h("p", { class: "my-report-pain" }, painText(report.pain)),
    signs.length ? h("p", { class: "my-report-signs" }, `Signs: ${signs.join(", ")}`) : null,
    h("div", { class: "my-report-advice" },
      h("p", { class: "my-report-advice-title" }, h("strong", {}, report.title)),
      h("p", {}, report.advice)),
    h("p", { class: ["my-report-seen", report.seen_at ? "is-seen" : "not-seen"] }, seenText(report, zone, today)));
}

/** The section's contents: the reports newest first, or a line saying there are none. */
function contents(reports, zone, today) {
  const sent = (reports || []).filter((r) => r && r.id);
  return [
    h("h2", { id: "my-reports-heading" }, "Your earlier reports"),
    // DRAFT for clinical review
    h("p", { class: "my-reports-meaning" }, "“Seen” means someone at the clinic has read your report. It does not mean they will contact you. If you feel worse, follow the advice you were given, or report again."),
    sent.length
      ? h("ol", { class: "my-reports-list" }, sent.map((r) => reportCard(r, zone, today)))
      : h("p", {}, "You have not sent a report yet."),
  ];
}

/** The section below the report form. */
export function renderMyReports(reports, zone, today) {
  return h("section", { id: SLOT_ID, class: "my-reports", "aria-labelledby": "my-reports-heading" },
    contents(reports, zone, today));
}

/** Draw the list again in place (a push said a report was seen): the form above it, perhaps
 *  half filled in, is left alone. */
export function updateMyReports(reports, zone, today) {
  const slot = document.getElementById(SLOT_ID);
  if (slot) replace(slot, contents(reports, zone, today));
}
