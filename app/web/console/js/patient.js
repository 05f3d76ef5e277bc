// One patient: details, the plan as a timeline, reports with a pain chart, visits, re-treatment,
// the enrolment link, carers, devices, export, erase.

import { call } from "./http.js";
import { navigate } from "./app.js";
import { clinicZone, isAdmin } from "./session.js";
import { linkPanel } from "./linkcard.js";
import { byCarer, carersCard } from "./carers.js";
import { channelLine } from "./channelline.js";
import { editDetails, planEffect } from "./patientedit.js";
import { confirmTreatment, correctTreatment, treatmentLine, voidTreatment } from "./treatmentedit.js";
import { deviceName } from "./sessions.js";
import { hasDraft, keepDraft } from "./drafts.js";
import { painChart } from "./chart.js";
import { reportSeen } from "./reportseen.js";
import {
  h, replace, field, messageLine, busy, badge, confirmDialog, reasonDialog, emptyRow, announce,
} from "./ui.js";
import { whenShort, duration, dateTime, dateOnly, dayOnly, relative, localInputValue, instantOf, nowRounded, daysBetween, ymdIn, dayHeading, painText } from "./format.js";

// A booking time refused with a sentence for the field: staff may book anyway past the first
// two (the clinic closed, the patient's night), never past the others.
const OVERRIDABLE = new Set(["booking_outside_hours", "booking_in_patients_night"]);
const REFUSED_TIMES = new Set([...OVERRIDABLE, "booking_out_of_order", "booking_in_past", "booking_too_far"]);

const ENROLMENT = {
  none: ["no link", "muted"],
  active: ["link not used yet", "warn"],
  used: ["app paired", "ok"],
  expired: ["link expired", "warn"],
  revoked: ["link revoked", "muted"],
};

/** "No aspirin until and including Tue 12 Jan 2027": one line per restriction, to its latest
 * end (a re-treatment adds a row per treatment; the restriction is their union). The last day
 * is the server's (`last_day`), the same day the patient's app names. */
function restrictionsUntil(spans, zone) {
  const ends = new Map();
  for (const s of spans) {
    const known = ends.get(s.title);
    if (!known || Date.parse(s.window_end) > Date.parse(known.window_end)) ends.set(s.title, s);
  }
  return [...ends].map(([title, s]) => s.last_day
    ? `${title} until and including ${dayOnly(s.last_day)}`
    : `${title} until ${dateTime(s.window_end, zone)}`).join(" · ");
}

/** A treatment booked ahead whose time has passed and that nobody has confirmed done. */
function bookingDue(patient) {
  return patient.treatments.some((t) => t.booked && !t.voided_at && Date.parse(t.performed_at) <= Date.now());
}

export function render(view, { params, setTitle, query }) {
  const id = params[0];
  const bookKey = query ? query.get("book") : null; // set by the visits-to-book page: open that visit's form
  const base = `/api/patients/${id}`;
  let alive = true;
  const head = h("div", { class: "page-head" }, h("h1", { tabindex: "-1" }, "Patient"));
  const message = messageLine();
  const facts = h("section", { class: "card", "aria-labelledby": "facts-h" });
  const plan = h("section", { class: "card", "aria-labelledby": "plan-h" });
  const reports = h("section", { class: "card", "aria-labelledby": "reports-h" });
  const visits = h("section", { class: "card", "aria-labelledby": "visits-h" });
  const link = h("section", { class: "card", "aria-labelledby": "link-h" });
  const carers = h("section", { class: "card", "aria-labelledby": "carers-h" });
  const devices = h("section", { class: "card", "aria-labelledby": "devices-h" });
  const retreat = h("section", { class: "card", "aria-labelledby": "retreat-h" });
  const records = h("section", { class: "card", "aria-labelledby": "records-h" });
  view.append(head, message.el,
    h("div", { class: "grid grid-main" },
      h("div", { class: "stack" }, plan, reports, visits),
      h("div", { class: "stack" }, facts, link, carers, devices, retreat, records)));

  let patient = null;
  let bookingShown = false;
  // One line for the Visits card: a booking reloads the card, and its result must outlive that.
  const visitsMessage = messageLine();

  async function loadPatient() {
    try {
      patient = await call("GET", base);
    } catch (error) {
      if (!alive) return false;
      replace(head, h("h1", { tabindex: "-1" }, "Patient not found"));
      message.error(error);
      for (const s of [facts, plan, reports, visits, link, carers, devices, retreat, records]) s.hidden = true;
      return false;
    }
    if (!alive) return false;
    setTitle(patient.name);
    const [label, kind] = ENROLMENT[patient.enrolment_status] || [patient.enrolment_status, "muted"];
    replace(head,
      h("h1", { tabindex: "-1" }, patient.name),
      badge(label, kind),
      bookingDue(patient) ? badge("treatment to confirm", "warn", "A booked treatment's time has passed: confirm it done (its reminders are held) or void it") : null,
      patient.active_devices ? badge(`${patient.active_devices} device${patient.active_devices === 1 ? "" : "s"}`, "ok") : badge("no device", "warn"),
      h("span", { class: "sub" }, `Last active ${relative(patient.last_active_at)}`),
      reachLine(patient.reach),
      h("a", { class: "button", href: "#/patients" }, "Back to the list"));
    showFacts();
    showLink();
    return true;
  }

  /** "Last reminder shown 08:01 today on Chrome on Android"; "No reminder shown for 2 days". */
  function reachLine(reach) {
    if (!reach) return null;
    const zone = clinicZone();
    const last = reach.last_shown_at;
    const device = reach.last_shown_device ? ` on ${deviceName(reach.last_shown_device)}` : "";
    if (reach.getting_through) {
      return h("span", { class: "sub", "data-reach": "ok" }, last ? `Last reminder shown ${whenShort(last, zone)}${device}` : "No reminder sent yet");
    }
    const text = last ? `No reminder shown for ${duration(Date.now() - new Date(last).getTime())}` : "No reminder shown yet";
    return h("span", { class: "sub", "data-reach": "not-getting-through" },
      badge("reminders not getting through", "warn", reach.reason), ` ${text}`);
  }

  function showFacts() {
    const zone = clinicZone();
    const doppler = patient.doppler_checked_at
      ? `${dateOnly(patient.doppler_checked_at, zone)}${patient.doppler_checked_by_name ? `, ${patient.doppler_checked_by_name}` : ""}`
      : null;
    const note = messageLine();
    const record = h("button", { type: "button", class: "button button-small" }, "Record check now");
    record.addEventListener("click", () => busy(record, async () => {
      try {
        patient = await call("POST", `${base}/doppler`);
        showFacts();
        announce("Doppler check recorded.");
      } catch (error) {
        note.error(error);
      }
    }));
    const edit = h("button", { type: "button", class: "button button-small" }, "Edit details");
    edit.addEventListener("click", () => editDetails(facts, patient, base, async (saved) => {
      if (saved) {
        message.ok(`Saved. ${planEffect(saved)}`);
        await loadPatient(); // the header, the title and these details
        if (saved.tasks_moved || saved.tasks_added || saved.tasks_removed) loadPlan();
      } else {
        showFacts();
      }
      const again = facts.querySelector(".card-head button");
      if (again) again.focus();
    }));
    replace(facts,
      h("div", { class: "card-head" }, h("h2", { id: "facts-h" }, "Details"), h("div", { class: "actions" }, edit)),
      h("dl", { class: "facts" },
        h("dt", {}, "Time zone"), h("dd", {}, patient.time_zone),
        h("dt", {}, "Day"), h("dd", {}, `up ${String(patient.wake_time).slice(0, 5)}, bed ${String(patient.bed_time).slice(0, 5)}`),
        h("dt", {}, "Stockings"), h("dd", {}, patient.stockings_advised ? "advised" : "not advised"),
        h("dt", {}, "Language"), h("dd", { lang: patient.language }, patient.language_name),
        h("dt", {}, "Phone"), h("dd", {}, patient.phone || "—"),
        h("dt", {}, "E-mail"), h("dd", {}, patient.email || "—"),
        h("dt", {}, "Reminded by"), h("dd", {}, channelLine(patient, base, zone, async () => {
          await loadPatient();
          message.ok("Saved.");
        })),
        patient.notes ? [h("dt", {}, "Notes"), h("dd", { class: "pre-line" }, patient.notes)] : null,
        h("dt", {}, "Doppler"), h("dd", {}, doppler || h("span", {}, h("span", { class: "warn-text" }, "not recorded "), record)),
        h("dt", {}, "Treatments"), h("dd", {},
          patient.treatments.length
            ? h("ul", { class: "plain-list treatment-list" }, patient.treatments.map((t) => treatmentLine(t, zone, treatmentActions(t, note))))
            : "—"),
        h("dt", {}, "Protocol"), h("dd", { id: "protocol-line" }, protocolLine(note)),
        h("dt", {}, "Enrolled"), h("dd", {}, dateOnly(patient.created_at, zone))),
      note.el);
    if (hasDraft("patient-edit")) edit.click(); // back to the form the ended session left
    const drafted = patient.treatments.find((t) => !t.voided_at && hasDraft(`treatment-${t.id}`));
    if (drafted) openCorrection(drafted);
  }

  /** After a treatment changed: say what moved, and show the record and plan as they are. */
  async function treatmentChanged(saved, what) {
    message.ok(`${what} ${planEffect(saved)}`);
    await loadPatient();
    loadPlan();
    loadVisits();
  }

  function openCorrection(treatment) {
    correctTreatment(facts, treatment, clinicZone(), base, async (saved) => {
      if (saved) await treatmentChanged(saved, "Treatment corrected.");
      else showFacts();
      const again = facts.querySelector(".card-head button");
      if (again) again.focus();
    });
  }

  /** Correct and void buttons of a treatment (none for a voided one); a booked one is
   * confirmed done, moved, or voided (cancelled). */
  function treatmentActions(treatment, note) {
    if (treatment.voided_at) return null;
    const label = `treatment of ${dateTime(treatment.performed_at, clinicZone())}`;
    const fix = h("button", { type: "button", class: "button button-small", "aria-label": `${treatment.booked ? "Move" : "Correct"} the ${label}` }, treatment.booked ? "Move" : "Correct");
    fix.addEventListener("click", () => openCorrection(treatment));
    const live = patient.treatments.filter((t) => !t.voided_at && !t.booked).length;
    const actions = [fix];
    if (treatment.booked) {
      const confirm = h("button", { type: "button", class: "button button-small button-primary", "aria-label": `Confirm the ${label} done` }, "Confirm done");
      confirm.addEventListener("click", () => confirmTreatment(facts, treatment, clinicZone(), base, async (saved) => {
        if (saved) await treatmentChanged(saved, "Treatment confirmed done: the plan starts from it.");
        else showFacts();
      }));
      actions.unshift(confirm);
    } else if (live < 2) {
      return actions; // a plan needs one: the only treatment is corrected, not voided
    }
    const drop = h("button", { type: "button", class: "button button-small button-quiet", "aria-label": `Void the ${label}` }, "Void…");
    drop.addEventListener("click", () => busy(drop, async () => {
      try {
        const saved = await voidTreatment(treatment, clinicZone(), base);
        if (saved) await treatmentChanged(saved, "Treatment voided.");
      } catch (error) { note.error(error); }
    }));
    return [...actions, drop];
  }

  function protocolLine(note) {
    const text = `${patient.protocol} v${patient.protocol_version}`;
    const newest = patient.protocol_newest_version;
    if (newest === patient.protocol_version) return text;
    const move = h("button", { type: "button", class: "button button-small" }, `Move to v${newest}…`);
    move.addEventListener("click", async () => {
      const reason = await reasonDialog({
        title: `Move ${patient.name} to ${patient.protocol} v${newest}?`,
        body: `The plan is recomputed at once from v${newest}'s rules. Tasks already done and everything already past stay as they are.`,
        confirm: `Move to v${newest}`,
        label: "Reason for the move (required)",
        missing: "Please give the reason for the move.",
      });
      if (reason === null) return;
      await busy(move, async () => {
        try {
          patient = await call("PUT", `${base}/protocol`, { version: newest, reason });
          showFacts();
          announce(`Moved to ${patient.protocol} v${patient.protocol_version}. The plan was recomputed.`);
          loadPlan();
          loadVisits();
        } catch (error) { note.error(error); }
      });
    });
    return h("span", {}, `${text} `, h("span", { class: "muted" }, `(v${newest} available)`), " ", move);
  }

  // ------------------------------------------------------------ plan timeline
  async function loadPlan() {
    replace(plan, h("h2", { id: "plan-h" }, "Plan"), h("p", { class: "muted" }, "Loading…"));
    let rows;
    try {
      rows = await call("GET", `${base}/tasks`);
    } catch (error) {
      const m = messageLine();
      m.error(error);
      replace(plan, h("h2", { id: "plan-h" }, "Plan"), m.el);
      return;
    }
    if (!alive) return;
    const zone = patient.time_zone;
    const today = ymdIn(Date.now(), zone);
    const first = patient.treatments.find((t) => !t.voided_at && !t.booked);
    const firstDay = first ? ymdIn(first.performed_at, zone) : today;
    const timed = rows.filter((r) => r.kind === "task" || r.kind === "appointment");
    const spans = rows.filter((r) => r.kind === "restriction");
    const counts = { done: 0, missed: 0, pending: 0, ended: 0 };
    for (const r of timed) if (r.kind === "task") counts[r.status] = (counts[r.status] || 0) + 1;
    const days = new Map();
    for (const r of timed) {
      const day = String(r.local_due).slice(0, 10);
      if (!days.has(day)) days.set(day, []);
      days.get(day).push(r);
    }
    const body = h("tbody");
    let todayRow = null;
    for (const [day, items] of days) {
      const tr = h("tr", { class: day === today ? "day-today" : null },
        h("th", { scope: "row", class: "nowrap" },
          dayHeading(day).replace(/ \d{4}$/, ""),
          h("div", { class: "muted" }, `day ${daysBetween(firstDay, day)}${day === today ? " · today" : ""}`)),
        h("td", {}, h("div", { class: "chips" }, items.map((r) => {
          const time = String(r.local_due).slice(11, 16);
          const status = r.kind === "appointment" ? "info" : r.status;
          const past = Date.parse(r.due_at) <= Date.now();
          // Done by a carer on their own phone: "by Anna (carer)", on the chip itself.
          const by = r.status === "done" ? byCarer(r.completed_by) : "";
          const what = (r.kind !== "appointment" ? r.status : !r.tentative ? "visit" : past ? "visit, never booked" : "visit, not booked yet")
            + (r.voided ? ", for a voided treatment" : "");
          return h("span", {
            class: ["chip", `chip-${status}`, r.tentative && "chip-tentative", r.voided && "chip-voided"],
            title: `${r.title} · ${time} · ${what}${by ? ` ${by}` : ""}`,
          }, r.tentative ? `${r.title} · ${past ? "not booked" : "to book"}` : `${time} ${r.title}${r.voided ? " · voided treatment" : ""}`,
          h("span", { class: "visually-hidden" }, ` (${what})`),
          by ? h("span", { class: "chip-by" }, ` · ${by}`) : null);
        }))));
      if (day === today) todayRow = tr;
      body.append(tr);
    }
    if (!days.size) body.append(emptyRow(2, patient.treatments.some((t) => t.booked && !t.voided_at) ? "The plan starts when the booked treatment is confirmed done." : "No tasks planned."));
    const scroller = h("div", { class: "timeline", tabindex: "0", "aria-label": "Plan by day" },
      h("table", { class: "table" }, h("caption", { class: "visually-hidden" }, "Plan by day"),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Day"), h("th", { scope: "col" }, "Tasks (patient's time)"))), body));
    replace(plan,
      h("div", { class: "card-head" }, h("h2", { id: "plan-h" }, "Plan"),
        h("span", { class: "muted" }, `times in ${zone}`)),
      h("div", { class: "summary-line" },
        badge(`${counts.done} done`, "done"), badge(`${counts.missed} missed`, "missed"),
        badge(`${counts.pending} pending`, "pending"),
        spans.length ? h("span", { class: "muted" }, restrictionsUntil(spans, zone)) : null),
      scroller);
    // Open at yesterday and today (under the sticky header): what needs attention now.
    if (todayRow) {
      const from = todayRow.previousElementSibling || todayRow;
      scroller.scrollTop = Math.max(0, from.offsetTop - scroller.querySelector("thead").offsetHeight);
    }
  }

  // ------------------------------------------------------------ reports
  async function loadReports() {
    let list;
    try {
      list = await call("GET", `${base}/reports`);
    } catch (error) {
      const m = messageLine();
      m.error(error);
      replace(reports, h("h2", { id: "reports-h" }, "Reports"), m.el);
      return;
    }
    if (!alive) return;
    const zone = clinicZone();
    replace(reports,
      h("div", { class: "card-head" }, h("h2", { id: "reports-h" }, "Reports"), h("span", { class: "muted" }, `${list.length} in all`)),
      painChart(list, zone),
      list.length
        ? h("ul", { class: "report-list" }, list.slice(0, 20).map((r) => h("li", {},
          h("div", { class: "alert-head" },
            badge(r.level, r.level), h("strong", {}, painText(r.pain)),
            h("span", { class: "muted" }, dateTime(r.created_at, zone)),
            r.reported_by ? h("span", { class: "reported-by" }, `reported ${byCarer(r.reported_by)}`) : null),
          r.sign_labels.length ? h("div", {}, `Signs: ${r.sign_labels.join("; ")}`) : null,
          r.reason_labels.length ? h("div", { class: "muted" }, `Why: ${r.reason_labels.join("; ")}`) : null,
          r.note ? h("p", { class: "report-note" }, r.note) : null,
          reportSeen(r, { url: `${base}/reports/${r.id}/seen`, zone }))))
        : h("p", { class: "muted" }, "No reports yet."));
  }

  // ------------------------------------------------------------ visits
  async function loadVisits() {
    let list;
    try {
      list = await call("GET", `${base}/appointments`);
    } catch (error) {
      const m = messageLine();
      m.error(error);
      replace(visits, h("h2", { id: "visits-h" }, "Visits"), m.el);
      return;
    }
    if (!alive) return;
    const zone = clinicZone();
    const m = visitsMessage;
    const body = h("tbody");
    let wanted = null;
    for (const a of list) {
      const at = h("input", { type: "datetime-local", value: localInputValue(a.due_at, zone), "aria-label": `Book ${a.title} at`, "data-key": a.key });
      if (a.key === bookKey) wanted = at;
      const save = h("button", { type: "button", class: "button button-small" }, "Book");
      const reset = a.booked
        ? h("button", { type: "button", class: "button button-small button-link" }, "Back to planned time")
        : null;
      const path = `${base}/appointments/${a.key.split("/").map(encodeURIComponent).join("/")}`;
      // Beside the field: why this time was refused, and "Book anyway" where staff may decide.
      const note = h("div", { class: "booking-note", id: `visit-note-${a.key.replace(/\W/g, "-")}`, hidden: true });
      const clearNote = () => {
        note.hidden = true;
        replace(note);
        at.removeAttribute("aria-invalid");
        at.removeAttribute("aria-describedby");
      };
      const refused = (error, instant) => {
        const sentence = h("p", { class: "field-error", role: "alert" }, error.detail);
        let anyway = null;
        if (OVERRIDABLE.has(error.code)) {
          sentence.className = "booking-warning";
          anyway = h("button", { type: "button", class: "button button-small" }, "Book anyway");
          anyway.addEventListener("click", () => busy(anyway, () => put(instant, true)));
        }
        replace(note, sentence, anyway);
        note.hidden = false;
        at.setAttribute("aria-invalid", "true");
        at.setAttribute("aria-describedby", note.id);
        (anyway || at).focus();
      };
      const put = async (instant, bookAnyway) => {
        try {
          await call("PUT", path, { booked_at: instant.toISOString(), book_anyway: bookAnyway });
          m.ok(`${a.title} booked for ${dateTime(instant, zone)}. The patient's plan and reminders follow, and the patient is told.`);
          loadVisits();
          loadPlan();
        } catch (error) {
          if (REFUSED_TIMES.has(error.code)) refused(error, instant);
          else m.error(error);
        }
      };
      at.addEventListener("input", clearNote);
      save.addEventListener("click", () => busy(save, async () => {
        clearNote();
        m.clear();
        const instant = instantOf(at.value, zone);
        if (!instant) { m.error("Please enter a date and time."); at.focus(); return; }
        await put(instant, false);
      }));
      if (reset) {
        reset.addEventListener("click", () => busy(reset, async () => {
          try {
            await call("DELETE", path);
            m.ok(`${a.title} is back at the planned time.`);
            loadVisits();
            loadPlan();
          } catch (error) { m.error(error); }
        }));
      }
      body.append(h("tr", {},
        h("th", { scope: "row" }, a.title),
        h("td", { class: "nowrap" }, a.tentative ? `around ${dateOnly(a.due_at, zone)}` : dateTime(a.due_at, zone), " ",
          a.booked ? badge("booked", "ok")
            : a.tentative && Date.parse(a.due_at) <= Date.now() ? badge("never booked", "muted")
            : a.tentative ? badge("to book", "warn", "Not booked: the patient sees the day only and gets no reminder")
            : badge("planned", "muted"),
          a.booked && a.computed_at ? h("div", { class: "muted" }, `planned ${dateOnly(a.computed_at, zone)}`) : null),
        h("td", { class: "actions-cell" }, h("div", { class: "link-box" }, at, save), note, reset)));
    }
    if (!list.length) body.append(emptyRow(3, "No visits planned."));
    replace(visits,
      h("div", { class: "card-head" }, h("h2", { id: "visits-h" }, "Visits"), h("span", { class: "muted" }, `times in ${zone}`)),
      h("table", { class: "table table-visits" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Visit"), h("th", { scope: "col" }, "When"), h("th", { scope: "col" }, "Book at"))),
        body),
      m.el);
    if (wanted && !bookingShown) {
      bookingShown = true; // once: a reload after booking must not jump back here
      wanted.closest("tr").classList.add("row-new");
      wanted.scrollIntoView({ block: "center" });
      wanted.focus();
    }
  }

  // ------------------------------------------------------------ link
  function showLink(fresh = null, sentNote = "") {
    const m = messageLine();
    const zone = clinicZone();
    const reissue = h("button", { type: "button", class: "button" }, patient.enrolment_status === "none" ? "Create link" : "Re-issue link");
    const revoke = h("button", { type: "button", class: "button button-quiet" }, "Revoke link");
    revoke.hidden = patient.enrolment_status !== "active";
    reissue.addEventListener("click", () => busy(reissue, async () => {
      try {
        const enrolment = await call("POST", `${base}/enrolment`);
        patient.enrolment_status = "active";
        patient.enrolment_expires_at = enrolment.expires_at;
        showLink(enrolment);
        announce("A new link is ready. The previous one no longer works.");
      } catch (error) { m.error(error); }
    }));
    revoke.addEventListener("click", async () => {
      const sure = await confirmDialog({ title: "Revoke the link?", body: "The unused link stops working. Devices already paired stay signed in.", confirm: "Revoke", danger: true });
      if (!sure) return;
      await busy(revoke, async () => {
        try {
          await call("POST", `${base}/enrolment/revoke`);
          patient.enrolment_status = "revoked";
          showLink();
          announce("Link revoked.");
        } catch (error) { m.error(error); }
      });
    });
    const sends = sendButtons(m);
    const [label, kind] = ENROLMENT[patient.enrolment_status] || [patient.enrolment_status, "muted"];
    replace(link,
      h("div", { class: "card-head" }, h("h2", { id: "link-h" }, "Enrolment link"), badge(label, kind)),
      fresh ? linkPanel(fresh, { small: true }) : h("p", { class: "muted" },
        patient.enrolment_status === "active" && patient.enrolment_expires_at
          ? `An unused link is valid until ${dateTime(patient.enrolment_expires_at, zone)}. Re-issue it to see the QR code again.`
          : "Re-issue a link to pair a new phone."),
      m.el,
      h("div", { class: "actions" }, reissue, ...sends, revoke));
    if (sentNote) m.ok(sentNote);
  }

  /** "Send by e-mail" / "Send by text": a new link to the record's address or number. */
  function sendButtons(m) {
    const reach = patient.reminders_by;
    if (!reach) return [];
    const ways = [
      ["email", "Send by e-mail", reach.email],
      ["sms", "Send by text", reach.sms_number],
    ].filter(([channel, , to]) => reach.offered.includes(channel) && to);
    return ways.map(([channel, label, to]) => {
      const button = h("button", { type: "button", class: "button" }, label);
      button.addEventListener("click", () => busy(button, async () => {
        try {
          const sent = await call("POST", `${base}/enrolment/send`, { channel });
          patient.enrolment_status = "active";
          patient.enrolment_expires_at = sent.expires_at;
          showLink(null, `A new link was sent to ${to}. The previous one no longer works.`);
        } catch (error) { m.error(error); }
      }));
      return button;
    });
  }

  // ------------------------------------------------------------ devices
  async function loadDevices() {
    let list;
    try {
      list = await call("GET", `${base}/devices`);
    } catch (error) {
      const m = messageLine();
      m.error(error);
      replace(devices, h("h2", { id: "devices-h" }, "Devices"), m.el);
      return;
    }
    if (!alive) return;
    const zone = clinicZone();
    const m = messageLine();
    const body = h("tbody");
    for (const d of list) {
      const revoke = h("button", { type: "button", class: "button button-small" }, "Revoke");
      revoke.addEventListener("click", async () => {
        const sure = await confirmDialog({ title: "Sign this device out?", body: "The app on it stops working and its reminders stop.", confirm: "Revoke", danger: true });
        if (!sure) return;
        await busy(revoke, async () => {
          try {
            await call("POST", `${base}/devices/${d.id}/revoke`);
            announce("Device revoked.");
            loadDevices();
            loadPatient();
          } catch (error) { m.error(error); }
        });
      });
      body.append(h("tr", { class: d.revoked_at ? "row-disabled" : null },
        // As people know it ("Chrome on Android, paired 27 Mar"); the raw User-Agent on hover.
        h("th", { scope: "row", title: d.label }, `${d.label ? deviceName(d.label) : "Phone"}, paired ${dateOnly(d.created_at, zone)}`),
        h("td", { title: dateTime(d.last_seen_at, zone) }, relative(d.last_seen_at)),
        h("td", {}, d.revoked_at ? badge("revoked", "muted") : d.push ? badge("push on", "ok") : badge("no push", "warn", "Reminders cannot reach this device")),
        h("td", { class: "actions-cell" }, d.revoked_at ? "" : revoke)));
    }
    if (!list.length) body.append(emptyRow(4, "No device has used the link yet."));
    replace(devices,
      h("h2", { id: "devices-h" }, "Devices"),
      h("table", { class: "table" },
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Device"), h("th", { scope: "col" }, "Last seen"), h("th", { scope: "col" }, "Reminders"), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")))),
        body),
      m.el);
  }

  // ------------------------------------------------------------ re-treatment
  function showRetreat() {
    const zone = clinicZone();
    const at = h("input", { type: "datetime-local", required: true, value: localInputValue(nowRounded(), zone) });
    const method = h("select", {}, h("option", { value: "sclerotherapy" }, "Sclerotherapy"), h("option", { value: "laser" }, "Laser"));
    const notes = h("input", { type: "text", maxlength: "500" });
    const m = messageLine();
    const submit = h("button", { type: "submit", class: "button" }, "Record treatment");
    const form = h("form", { novalidate: true },
      h("div", { class: "form-grid" }, field(`Date and time (${zone})`, at), field("Method", method)),
      field("Notes (optional)", notes),
      m.el,
      h("div", { class: "actions" }, submit));
    keepDraft(form, "retreat");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const instant = instantOf(at.value, zone);
      if (!instant) { m.error("Please enter the date and time of the treatment."); at.focus(); return; }
      busy(submit, async () => {
        try {
          await call("POST", `${base}/treatments`, { performed_at: instant.toISOString(), method: method.value, notes: notes.value.trim() });
          m.ok("Treatment recorded. The plan was recomputed from it.");
          notes.value = "";
          await loadPatient();
          loadPlan();
          loadVisits();
        } catch (error) { m.error(error); }
      });
    });
    replace(retreat, h("h2", { id: "retreat-h" }, "Record a re-treatment"), form);
  }

  // ------------------------------------------------------------ export and erase
  function showRecords() {
    const items = [
      h("h2", { id: "records-h" }, "Record"),
      h("p", {}, h("a", { class: "button", href: `${base}/export`, download: `patient-${id}.json` }, "Export all data (JSON)")),
    ];
    if (isAdmin()) {
      const m = messageLine();
      const erase = h("button", { type: "button", class: "button button-danger" }, "Erase patient…");
      erase.addEventListener("click", async () => {
        const sure = await confirmDialog({
          title: `Erase ${patient.name}?`,
          body: ["Every record of this patient goes for good: treatments, plan, reminders, reports, alerts, links and devices. The audit trail stays.",
            "Export the data first if it must be kept."],
          confirm: "Erase for good",
          danger: true,
          typeToConfirm: patient.name,
        });
        if (!sure) return;
        await busy(erase, async () => {
          try {
            await call("DELETE", base, { confirm_name: patient.name });
            announce(`${patient.name} was erased.`);
            navigate("#/patients");
          } catch (error) { m.error(error); }
        });
      });
      items.push(h("div", { class: "danger-zone" }, h("p", { class: "muted" }, "Erasing removes the patient and all their data."), erase, m.el));
    }
    replace(records, ...items);
  }

  (async () => {
    if (!(await loadPatient())) return;
    carersCard(carers, { base, patientName: () => patient.name });
    showRetreat();
    showRecords();
    await Promise.all([loadPlan(), loadReports(), loadVisits(), loadDevices()]);
  })();
  return () => { alive = false; };
}
