// The day view: a strip of the plan's days, that day's tasks to tick, advice, the next visit.

import { currentPatient, firstName } from "./carers.js";
import { h } from "./dom.js";
import { plural, t } from "./i18n.js";
import { standing, tally } from "./plan.js";
import { addDays, dayLong, dayOfMonth, monthShort, relativeDay, timeOf, untilText, visitWhen, weekdayShort, ymdIn } from "./time.js";

function greeting(now, zone, name) {
  const hour = Number(new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "numeric", hourCycle: "h23" }).format(now));
  const first = String(name || "").trim().split(/\s+/)[0];
  const [withName, plain] = hour < 12 ? ["today.morningName", "today.morning"]
    : hour < 18 ? ["today.afternoonName", "today.afternoon"] : ["today.eveningName", "today.evening"];
  return first ? t(withName, { name: first }) : t(plain);
}

function dayStrip(ctx) {
  const { first, last, today, selected, days, waiting, now } = ctx;
  const buttons = [];
  for (let ymd = first; ymd <= last; ymd = addDays(ymd, 1)) {
    const counts = tally(days.get(ymd), waiting, now);
    let mark = "none";
    let said = t("today.strip.nothing");
    const n = { done: counts.done, total: counts.total, missed: counts.missed };
    if (counts.total) {
      if (ymd > today) { mark = "open"; said = plural("today.strip.toDo", counts.total); }
      else if (counts.missed) { mark = "missed"; said = t("today.strip.doneMissed", n); }
      else if (counts.done === counts.total) { mark = "done"; said = t("today.strip.allDone"); }
      else { mark = "open"; said = t("today.strip.done", n); }
    }
    if (counts.visit) { said = t("today.strip.withVisit", { said }); if (mark === "none" || ymd > today) mark = "visit"; }
    const rel = relativeDay(ymd, today);
    const label = rel ? t("today.strip.labelRel", { rel, day: dayLong(ymd), said }) : t("today.strip.label", { day: dayLong(ymd), said });
    buttons.push(h("li", {},
      h("button", {
        type: "button",
        class: ["day", `mark-${mark}`, ymd === today && "is-today", ymd < today && "is-past"],
        id: `day-${ymd}`,
        "aria-pressed": ymd === selected ? "true" : "false",
        "aria-current": ymd === today ? "date" : false,
        onclick: () => ctx.onSelectDay(ymd),
      },
      // Short on screen, in full for screen readers.
      h("span", { class: "day-wd", "aria-hidden": "true" }, ymd === today ? t("time.today") : weekdayShort(ymd)),
      h("span", { class: "day-num", "aria-hidden": "true" }, dayOfMonth(ymd)),
      h("span", { class: "day-month", "aria-hidden": "true" }, monthShort(ymd)),
      h("span", { class: "day-mark", "aria-hidden": "true" }),
      h("span", { class: "visually-hidden" }, label))));
  }
  return h("nav", { class: "strip", "aria-label": t("today.strip.name") }, h("ol", { class: "strip-days" }, buttons));
}

/** Who ticked a done task, when it is worth saying: a carer ("Anna"); on a carer's phone also
 * "you" (ticked here) or the patient's first name. null: the patient, on their own phone. */
function doneBy(o, st, carer) {
  if (st.queued) return carer ? t("today.you") : null; // waiting to send: ticked on this phone
  if (o.completed_by) return carer && o.completed_by === carer.name ? t("today.you") : o.completed_by;
  const patient = carer ? currentPatient(carer) : null;
  return patient ? firstName(patient.name) : null;
}

function statusLine(o, st, zone, today, carer) {
  const waiting = (text) => (st.queued ? `${text} ${t("today.waitingToSend")}` : text);
  if (o.kind === "appointment") return st.status === "ended" ? t("today.visitPassed") : "";
  if (st.status === "done") {
    const time = o.completed_at && !st.queued ? timeOf(o.completed_at, zone) : null;
    const who = doneBy(o, st, carer);
    // DRAFT for clinical review: "Done by Anna at 2:05 pm."
    const key = who ? (time ? "today.doneByAt" : "today.doneBy") : time ? "today.doneAt" : "today.done";
    return waiting(t(key, { who, time }));
  }
  if (st.status === "missed") return waiting(t("today.missed"));
  if (st.timing === "now") return waiting(t("today.doNow", { time: timeOf(o.window_end, zone) }));
  if (st.timing === "soon") return waiting(t("today.soon"));
  if (o.local_due.slice(0, 10) > today) return "";
  return t("today.tickFrom", { time: timeOf(Date.parse(o.due_at) - 2 * 3600 * 1000, zone) });
}

/** After "Remind me in 30 minutes": when the reminder comes again, in the patient's time. */
export function snoozedText(remindAt, zone) {
  // DRAFT for clinical review
  return t("today.snoozed", { time: timeOf(remindAt, zone) });
}

function taskItem(o, ctx) {
  const { zone, today, waiting, now } = ctx;
  const st = standing(o, waiting.filter((i) => i.taskId === o.id), now);
  const titleId = `title-${o.id}`;
  const status = statusLine(o, st, zone, today, ctx.profile.carer || null);
  const canTick = o.kind === "task" && (st.status === "done" || st.status === "missed" || st.timing === "now" || st.timing === "soon");
  const done = st.status === "done";
  const snoozedAt = !done && ctx.snoozed ? ctx.snoozed.get(o.id) : null;
  const tick = canTick
    ? h("button", {
        type: "button",
        id: `tick-${o.id}`,
        class: ["tick", done ? "tick-undo" : "tick-do"],
        // The visible words first, then which task: "Mark as done: Raise your legs".
        "aria-label": t("today.actionLabel", { action: done ? t("today.undo") : t("today.markDone"), title: o.title }),
        onclick: () => ctx.onToggle(o, !done),
      },
      h("span", { class: "tick-icon", "aria-hidden": "true" }),
      h("span", {}, done ? t("today.undo") : t("today.markDone")))
    : null;
  // DRAFT for clinical review: "Remind me in 30 minutes" (the length: app/notifications/snooze.py).
  const snooze = o.kind === "task" && o.notifies && !done && st.timing === "now" && !st.queued
    ? h("button", {
        type: "button",
        id: `snooze-${o.id}`,
        class: "button button-secondary snooze",
        "aria-label": t("today.actionLabel", { action: t("today.snooze"), title: o.title }),
        onclick: () => ctx.onSnooze(o),
      }, t("today.snooze"))
    : null;
  const check = o.task === "symptom_check" && !done
    ? h("a", { class: "button button-secondary", href: `#report?task=${encodeURIComponent(o.id)}` }, t("today.reportIt"))
    : null;
  return h("li", {
      class: ["task", `kind-${o.kind}`, `state-${st.status}`, st.timing && `timing-${st.timing}`, st.queued && "is-queued", ctx.highlight === o.id && "highlight"],
      id: `task-${o.id}`,
      tabindex: "-1",
      "aria-labelledby": titleId,
    },
    h("div", { class: "task-head" },
      h("span", { class: "task-icon", "aria-hidden": "true" }),
      h("div", { class: "task-text" },
        h("p", { class: "task-when" }, whenLine(o, zone, pageToday(ctx))),
        h("h3", { class: "task-title", id: titleId }, o.title),
        status ? h("p", { class: "task-status" }, status) : null,
        snoozedAt ? h("p", { class: "task-status task-snoozed" }, snoozedText(snoozedAt, zone)) : null)),
    o.instructions ? h("details", { class: "task-how", id: `how-${o.id}` }, h("summary", {}, t("today.howTo")), h("p", {}, o.instructions)) : null,
    tick || snooze || check ? h("div", { class: "task-actions" }, tick, snooze, check) : null);
}

/** Today, for naming days relative to it ("tomorrow"), only on today's own page: on another
 * day's page "tomorrow" would be read as the day after that page, so days go by weekday there. */
function pageToday(ctx) {
  return ctx.selected === ctx.today ? ctx.today : null;
}

/** The line above a task's title: its time; a visit's time once booked, its day while not. */
function whenLine(o, zone, today) {
  if (o.kind !== "appointment") return timeOf(o.due_at, zone, { alone: true });
  return o.tentative ? visitWhen(o, zone, today) : t("today.visitAt", { time: timeOf(o.due_at, zone) });
}

function adviceItem(o, ctx) {
  return h("li", { class: ["advice", `advice-${o.kind}`] },
    h("h3", { class: "advice-title" }, o.title),
    h("p", { class: "advice-until" }, capitalise(untilText(o.window_end, ctx.zone, pageToday(ctx), o.last_day))),
    o.instructions ? h("p", { class: "advice-text" }, o.instructions) : null);
}

function capitalise(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function nextVisit(ctx) {
  const visit = (ctx.profile.appointments || []).find((a) => Date.parse(a.due_at) > ctx.now - 3600 * 1000);
  const link = h("a", { class: "button button-secondary", href: "/api/me/calendar.ics" }, t("today.addToCalendar"));
  if (!visit) return null;
  return h("section", { class: "card visit", "aria-labelledby": "visit-heading" },
    h("h2", { id: "visit-heading" }, t("today.nextVisit")),
    h("p", { class: "visit-when" }, visitWhen(visit, ctx.zone, ctx.today)),
    h("p", {}, visit.title),
    h("p", {}, link));
}

/** A treatment booked ahead (enrolled at the consultation): when it is and what to prepare; the
 * plan, and its reminders, start once the clinic confirms it was done. */
function bookedTreatment(ctx) {
  const booked = ctx.profile.booked_treatment;
  if (!booked) return null;
  // DRAFT for clinical review: the sentences below; the list comes from the protocol.
  return h("section", { class: "card booked", "aria-labelledby": "booked-heading" },
    h("h2", { id: "booked-heading" }, t("today.treatment")),
    h("p", { class: "visit-when" }, t("today.treatmentOn", { day: dayLong(ymdIn(booked.performed_at, ctx.zone)), time: timeOf(booked.performed_at, ctx.zone) })),
    booked.preparation.length
      ? [h("h3", {}, t("today.prepare")), h("ul", { class: "prepare-list" }, booked.preparation.map((line) => h("li", {}, line)))]
      : null,
    h("p", {}, t("today.planStarts")));
}

/** Everything inside <main> for the day view. */
export function renderToday(ctx) {
  const { selected, today, days, waiting, now } = ctx;
  const day = days.get(selected);
  const rel = relativeDay(selected, today);
  const items = day ? day.items : [];
  const advice = day ? day.advice : [];
  const counts = tally(day, waiting, now);
  const isToday = selected === today;

  const heading = h("h1", { class: "day-heading", id: "view-heading", tabindex: "-1" },
    rel ? h("span", {}, rel) : null,
    h("span", { class: rel ? "day-heading-date" : "" }, dayLong(selected)));

  let progress = null;
  if (counts.total) {
    const text = selected > today
      ? plural("today.planned", counts.total)
      : t(counts.missed ? "today.countDoneMissed" : "today.countDone", { done: counts.done, total: counts.total, missed: counts.missed });
    progress = h("p", { class: "progress" }, text);
  }

  return [
    // On a carer's phone, the carer is greeted (the banner above says whom they are helping).
    isToday ? h("p", { class: "greeting" }, greeting(now, ctx.zone, ctx.profile.carer ? ctx.profile.carer.name : ctx.profile.name)) : null,
    heading,
    ctx.first ? dayStrip(ctx) : null,
    !isToday ? h("p", {}, h("button", { type: "button", class: "button button-secondary", onclick: () => ctx.onSelectDay(today) }, t("today.backToToday"))) : null,
    isToday ? bookedTreatment(ctx) : null,
    isToday ? ctx.remindersPrompt : null,
    h("section", { class: "tasks-section", "aria-labelledby": "tasks-heading" },
      h("h2", { id: "tasks-heading" }, isToday ? t("today.toDoToday") : t("today.toDo")),
      progress,
      items.length
        ? h("ul", { class: "tasks" }, items.map((o) => taskItem(o, ctx)))
        : h("p", { class: "empty" }, t("today.nothing"))),
    advice.length
      ? h("section", { class: "advice-section", "aria-labelledby": "advice-heading" },
          h("h2", { id: "advice-heading" }, t("today.keepInMind")),
          h("ul", { class: "advice-list" }, advice.map((o) => adviceItem(o, ctx))))
      : null,
    isToday ? nextVisit(ctx) : null,
  ];
}
