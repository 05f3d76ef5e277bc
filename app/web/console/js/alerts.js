// The alert inbox: open alerts live (emergencies first), acknowledge with a note, recently handled.

import { call } from "./http.js";
import { keepDraft } from "./drafts.js";
import * as watch from "./watch.js";
import { clinicZone } from "./session.js";
import { pushControl } from "./push.js";
import { byCarer } from "./carers.js";
import { replyField } from "./reportseen.js";
import { h, replace, field, messageLine, busy, badge, pageHeading, announce } from "./ui.js";
import { dateTime, timeOnly, duration, humanize, ymdIn, painText } from "./format.js";

const HANDLED_SHOWN = 20;

export function render(view) {
  const openList = h("ul", { class: "alert-list", "aria-label": "Open alerts" });
  const openEmpty = h("p", { class: "card muted" }, "No open alerts. New ones appear here by themselves.");
  const handledList = h("ul", { class: "alert-list", "aria-label": "Recently acknowledged" });
  const summary = h("span", { class: "count-text" });
  const message = messageLine();
  const items = new Map(); // alert id → {li, alert}
  let first = true;

  view.append(
    pageHeading("Alerts", summary, h("span", { class: "spacer" }), pushControl()),
    message.el,
    h("section", { "aria-labelledby": "open-h" },
      h("h2", { id: "open-h", class: "visually-hidden" }, "Open alerts"), openEmpty, openList),
    h("section", { "aria-labelledby": "handled-h", class: "handled" },
      h("h2", { id: "handled-h" }, "Recently acknowledged"), handledList));

  function show(alerts, fresh) {
    const freshIds = new Set(fresh.map((a) => a.id));
    const wanted = new Set(alerts.map((a) => a.id));
    for (const [id, entry] of items) {
      if (!wanted.has(id)) {
        entry.li.remove();
        items.delete(id);
      }
    }
    alerts.forEach((alert, index) => {
      let entry = items.get(alert.id);
      if (!entry) {
        entry = { li: openItem(alert, acknowledged), alert };
        if (freshIds.has(alert.id) && !first) entry.li.classList.add("alert-new", "row-new");
        items.set(alert.id, entry);
      } else {
        updateMeta(entry.li, alert);
      }
      // Move only what is out of place: a moved node loses focus and what is being typed stays.
      if (openList.children[index] !== entry.li) openList.insertBefore(entry.li, openList.children[index] || null);
    });
    const emergencies = alerts.filter((a) => a.level === "emergency").length;
    summary.textContent = alerts.length
      ? `${alerts.length} open${emergencies ? `, ${emergencies} emergency` : ""}`
      : "none open";
    openEmpty.hidden = alerts.length > 0;
    first = false;
  }

  async function loadHandled() {
    try {
      const handled = await call("GET", `/api/alerts?status=acknowledged&limit=${HANDLED_SHOWN}`);
      replace(handledList, handled.length
        ? handled.map((a) => handledItem(a))
        : h("li", { class: "muted" }, "Nothing acknowledged yet."));
    } catch (error) {
      message.error(error);
    }
  }

  function acknowledged(alert) {
    const entry = items.get(alert.id);
    if (entry) {
      entry.li.remove();
      items.delete(alert.id);
    }
    announce(`Alert for ${alert.patient_name} acknowledged.`);
    watch.refresh();
    loadHandled();
  }

  const stop = watch.onAlerts((alerts, fresh) => {
    message.clear();
    show(alerts, fresh);
  });
  show(watch.openAlerts(), []);
  first = !watch.openAlerts().length;
  watch.refresh();
  loadHandled();
  return stop;
}

function levelBadge(alert) {
  return badge(alert.level === "emergency" ? "Emergency" : humanize(alert.level), alert.level);
}

function reportBlock(report, zone, noteNeedsReading = false) {
  if (!report) return null;
  return h("div", { class: "alert-report" },
    h("div", {}, h("strong", {}, painText(report.pain)), ` · reported ${dateTime(report.created_at, zone)}`,
      report.reported_by ? h("span", { class: "reported-by" }, ` ${byCarer(report.reported_by)}`) : null),
    // The note names a warning sign the patient did not tick: the note is why this alert exists.
    noteNeedsReading ? h("p", { class: "note-needs-reading escalated" }, h("strong", {}, "The note needs reading")) : null,
    report.sign_labels && report.sign_labels.length
      ? h("ul", { class: "sign-list" }, report.sign_labels.map((label) => h("li", {}, label)))
      : null,
    report.note ? h("p", { class: "report-note" }, `“${report.note}”`) : null,
    report.title ? h("div", { class: "muted" }, `${report.reported_by ? `${report.reported_by} (carer) was told` : "Patient was told"}: ${report.title}`) : null);
}

function metaLine(alert) {
  const zone = clinicZone();
  const now = Date.now();
  const waitedMs = now - Date.parse(alert.created_at);
  const when = (at) => (ymdIn(at, zone) === ymdIn(now, zone) ? timeOnly(at, zone) : dateTime(at, zone));
  const parts = [h("span", {}, `raised ${when(alert.created_at)}, ${waitedMs < 60000 ? "just now" : `waiting ${duration(waitedMs)}`}`)];
  if (alert.escalated_at) parts.push(h("span", { class: "escalated" }, ` · escalated ${when(alert.escalated_at)}`));
  else if (alert.escalate_at && Date.parse(alert.escalate_at) <= now) parts.push(h("span", { class: "escalated" }, ` · escalation due since ${when(alert.escalate_at)}`));
  else if (alert.escalate_at) parts.push(h("span", {}, ` · escalates ${when(alert.escalate_at)} if still open`));
  return parts;
}

function updateMeta(li, alert) {
  const meta = li.querySelector(".alert-meta");
  if (meta) replace(meta, metaLine(alert));
}

function openItem(alert, done) {
  const zone = clinicZone();
  const note = h("textarea", { rows: "2", maxlength: "2000", placeholder: "e.g. Called the patient, advised A&E" });
  const submit = h("button", { type: "submit", class: ["button", alert.level === "emergency" ? "button-danger" : "button-primary"] }, "Acknowledge");
  const message = messageLine();
  const reply = replyField(); // for the patient; the note stays with the clinic
  const form = h("form", { class: "alert-ack", novalidate: true },
    field("Note (what was done)", note, { hint: "For colleagues: never shown to the patient." }), reply.el, message.el, h("div", { class: "actions" }, submit));
  keepDraft(form, `acknowledge-${alert.id}`);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!note.value.trim()) {
      message.error("Please write what was done, e.g. who called the patient.");
      note.focus();
      return;
    }
    busy(submit, async () => {
      try {
        const result = await call("POST", `/api/alerts/${alert.id}/acknowledge`, { note: note.value.trim(), reply: reply.value() });
        done(result);
      } catch (error) {
        message.error(error);
      }
    });
  });
  const titleId = `alert-${alert.id}`;
  return h("li", { class: ["alert-item", `alert-${alert.level}`], "aria-labelledby": titleId, "data-alert-id": alert.id },
    h("div", {},
      h("div", { class: "alert-head" },
        levelBadge(alert),
        h("h3", { class: "alert-title", id: titleId }, h("a", { href: `#/patients/${alert.patient_id}` }, alert.patient_name)),
        h("span", { class: "alert-meta" }, metaLine(alert))),
      reportBlock(alert.report, zone, alert.note_needs_reading)),
    form);
}

function handledItem(alert) {
  const zone = clinicZone();
  return h("li", { class: ["alert-item", "alert-acknowledged"], "data-alert-id": alert.id },
    h("div", {},
      h("div", { class: "alert-head" },
        levelBadge(alert),
        h("h3", { class: "alert-title" }, h("a", { href: `#/patients/${alert.patient_id}` }, alert.patient_name)),
        h("span", { class: "alert-meta" }, `raised ${dateTime(alert.created_at, zone)}`)),
      reportBlock(alert.report, zone, alert.note_needs_reading)),
    h("div", { class: "ack-by" },
      h("div", {}, h("strong", {}, `Acknowledged by ${alert.acknowledged_by_name || "a former staff member"}`)),
      h("div", { class: "muted" }, dateTime(alert.acknowledged_at, zone)),
      alert.acknowledgement_note ? h("p", { class: "report-note" }, alert.acknowledgement_note) : null));
}
