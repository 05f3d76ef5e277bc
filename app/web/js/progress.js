// "Your progress" on Today: the server's words about where the patient is in the plan, each
// span with a plain row of days passed. The words and the numbers are the server's
// (app/careplan/progress.py); nothing here works out a day, an end or a count.

import { h } from "./dom.js";
import { t } from "./i18n.js";

// With more days than this, the row's days are drawn thinner so that it fits a small phone.
const DENSE_AFTER = 31;

/** The row of days: `day` of `total` filled. Its name is the line's own words; the days
 *  themselves are decoration. */
function visual(line) {
  if (line.total === null || line.total === undefined || line.total < 1) return null;
  const passed = Math.max(0, Math.min(line.day || 0, line.total));
  const days = [];
  for (let i = 0; i < line.total; i += 1) {
    days.push(h("span", { class: ["plan-progress-day", i < passed && "is-passed"], "aria-hidden": "true" }));
  }
  return h("div", {
    class: ["plan-progress-visual", line.total > DENSE_AFTER && "is-dense"],
    role: "img",
    "aria-label": t("progress.label", { title: line.title, text: line.text }),
  }, days);
}

function lineItem(line) {
  return h("li", { class: ["plan-progress-line", `plan-progress-${line.kind}`] },
    h("h3", { class: "plan-progress-title" }, line.title),
    h("p", { class: "plan-progress-text" }, line.text),
    line.more ? h("p", { class: "plan-progress-more" }, line.more) : null,
    visual(line));
}

/** The section, or null when there is nothing to say (no plan yet, or not loaded). */
export function renderProgress(progress) {
  const lines = progress && Array.isArray(progress.lines) ? progress.lines : [];
  if (!lines.length) return null;
  return h("section", { class: "card plan-progress", id: "progress", "aria-labelledby": "progress-heading" },
    // DRAFT for clinical review
    h("h2", { id: "progress-heading" }, t("progress.heading")),
    h("ul", { class: "plan-progress-list" }, lines.map(lineItem)));
}
