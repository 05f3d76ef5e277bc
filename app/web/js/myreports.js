// "Your earlier reports" on the Report tab: each report with the advice the patient was given,
// and whether the clinic has seen it (who, when, and what they wrote back). Everything shown
// comes from the server's list (GET /api/me/reports); nothing is judged here. Reports still in the
// outbox come first, marked as not sent, with only what the patient gave (no advice: that is
// the server's, and the phone's own answer was shown once, when the report was made).

import { h, replace } from "./dom.js";
import { t } from "./i18n.js";
import { dayLong, relativeDay, timeOf, whenText, ymdIn } from "./time.js";

export const SLOT_ID = "my-reports";

/** "Pain 3 out of 10", or that none was given. */
function painText(pain) {
  // DRAFT for clinical review
  return pain === null || pain === undefined ? t("myreports.noPain") : t("myreports.pain", { pain });
}

/** "Seen by Nurse Patel at 9:12 am: we will call you" (the day too, when not the report's). */
export function seenText(report, zone, today) {
  if (!report.seen_at) {
    // DRAFT for clinical review
    return t("myreports.notSeen");
  }
  const day = ymdIn(report.seen_at, zone);
  const time = timeOf(report.seen_at, zone);
  const rel = relativeDay(day, today);
  const when = day === ymdIn(report.created_at, zone) ? t("myreports.atTime", { time })
    : rel ? t("myreports.relAt", { rel: rel.toLowerCase(), time }) : t("myreports.onDayAt", { day: dayLong(day), time });
  // DRAFT for clinical review
  const seen = t("myreports.seenBy", { name: report.seen_by_name || t("myreports.theClinic"), when });
  return report.reply ? t("myreports.seenReply", { seen, reply: report.reply }) : seen;
}

function reportCard(report, zone, today) {
  const signs = report.sign_labels || [];
  return h("li", { class: ["card", "my-report", `my-report-${report.level}`] },
    h("h3", { class: "my-report-when" }, whenText(report.created_at, zone, today)),
    report.reported_by ? h("p", { class: "my-report-by" }, t("myreports.sentBy", { name: report.reported_by })) : null,
    h("p", { class: "my-report-pain" }, painText(report.pain)),
    signs.length ? h("p", { class: "my-report-signs" }, t("myreports.signs", { signs: signs.join(", ") })) : null,
    h("div", { class: "my-report-advice" },
      h("p", { class: "my-report-advice-title" }, h("strong", {}, report.title)),
      h("p", {}, report.advice)),
    h("p", { class: ["my-report-seen", report.seen_at ? "is-seen" : "not-seen"] }, seenText(report, zone, today)));
}

/**
 * The outbox's reports for the person shown (`patientId`), newest first, as the list shows them:
 * [{client_id, created_at, pain, sign_labels}]. Those the server's list already has (sent, but
 * the answer was lost) are left out, so a report is never shown twice. Sign labels are the
 * form's now (its language may have changed since), else those kept when the report was made.
 * Items from before the outbox kept whom they are for have no `patient`: a carer's phone sends
 * everything waiting before it may show someone else, so they are the person shown's.
 */
export function waitingReports(items, { reports, signs, patientId }) {
  const known = new Set((reports || []).map((r) => r && r.client_id).filter(Boolean));
  const labels = new Map((signs || []).map((s) => [s.code, s.label]));
  return (items || [])
    .filter((i) => i.type === "report" && i.body && !known.has(i.body.client_id))
    .filter((i) => !i.patient || i.patient === patientId)
    .map((i) => ({
      client_id: i.body.client_id,
      created_at: i.at || i.createdAt,
      pain: i.body.pain,
      sign_labels: (i.body.signs || []).map((code, n) => labels.get(code) || (i.signLabels || [])[n] || code),
    }))
    .reverse();
}

/** A report still on the phone: when it was made and what was given; not seen, not judged. */
function waitingCard(report, zone, today) {
  const signs = report.sign_labels;
  return h("li", { class: ["card", "my-report", "my-report-waiting"] },
    h("h3", { class: "my-report-when" }, whenText(report.created_at, zone, today)),
    h("p", { class: "my-report-status" }, h("strong", {}, t("myreports.waiting"))),
    h("p", { class: "my-report-pain" }, painText(report.pain)),
    signs.length ? h("p", { class: "my-report-signs" }, t("myreports.signs", { signs: signs.join(", ") })) : null,
    // DRAFT for clinical review
    h("p", { class: "my-report-not-sent" }, t("myreports.waitingText")));
}

/** The section's contents: the reports waiting to be sent, then the server's newest first, or
 *  a line saying there are none. */
function contents(reports, waiting, zone, today) {
  const sent = (reports || []).filter((r) => r && r.id);
  const unsent = waiting || [];
  return [
    h("h2", { id: "my-reports-heading" }, t("myreports.heading")),
    // DRAFT for clinical review
    h("p", { class: "my-reports-meaning" }, t("myreports.meaning")),
    sent.length || unsent.length
      ? h("ol", { class: "my-reports-list" },
          unsent.map((r) => waitingCard(r, zone, today)),
          sent.map((r) => reportCard(r, zone, today)))
      : h("p", {}, t("myreports.none")),
  ];
}

/** The section below the report form (`waiting`: from waitingReports). */
export function renderMyReports(reports, waiting, zone, today) {
  return h("section", { id: SLOT_ID, class: "my-reports", "aria-labelledby": "my-reports-heading" },
    contents(reports, waiting, zone, today));
}

/** Draw the list again in place (a push said a report was seen, the outbox sent one): the form
 *  above it, perhaps half filled in, is left alone. */
export function updateMyReports(reports, waiting, zone, today) {
  const slot = document.getElementById(SLOT_ID);
  if (slot) replace(slot, contents(reports, waiting, zone, today));
}
