// The plan as days: which occurrences belong to which local day, and how each one stands now.

import { addDays, ymdIn } from "./time.js";

const EARLY_MS = 2 * 60 * 60 * 1000; // the server takes a tick up to 2 hours before the due time

/**
 * Group occurrences by the patient's local day between `first` and `last` (inclusive):
 * tasks and appointments on the day they are due; advice and restrictions on every day they
 * are active (one per kind of advice, the one that lasts longest).
 */
export function byDay(occurrences, zone, first, last) {
  const days = new Map();
  const day = (ymd) => {
    let d = days.get(ymd);
    if (!d) days.set(ymd, (d = { ymd, items: [], advice: new Map() }));
    return d;
  };
  for (const o of occurrences) {
    if (o.kind === "task" || o.kind === "appointment") {
      const ymd = o.local_due.slice(0, 10);
      if (ymd >= first && ymd <= last) day(ymd).items.push(o);
      continue;
    }
    let from = ymdIn(o.due_at, zone);
    let to = ymdIn(Date.parse(o.window_end) - 1, zone);
    if (from < first) from = first;
    if (to > last) to = last;
    for (let ymd = from; ymd <= to; ymd = addDays(ymd, 1)) {
      const advice = day(ymd).advice;
      const known = advice.get(o.task);
      if (!known || Date.parse(known.window_end) < Date.parse(o.window_end)) advice.set(o.task, o);
    }
  }
  for (const d of days.values()) {
    d.items.sort((a, b) => Date.parse(a.due_at) - Date.parse(b.due_at));
    d.advice = [...d.advice.values()].sort((a, b) => (a.kind === b.kind ? 0 : a.kind === "restriction" ? -1 : 1));
  }
  return days;
}

/** The first and last day that have something to do or a visit. */
export function planBounds(occurrences) {
  let first = null;
  let last = null;
  for (const o of occurrences) {
    if (o.kind !== "task" && o.kind !== "appointment") continue;
    const ymd = o.local_due.slice(0, 10);
    if (!first || ymd < first) first = ymd;
    if (!last || ymd > last) last = ymd;
  }
  return { first, last };
}

/**
 * How a task stands now, with anything still waiting to be sent applied on top:
 * {status: "done"|"pending"|"missed"|"ended", timing: "later"|"soon"|"now"|null, queued}.
 */
export function standing(o, waiting, now) {
  let status = o.status;
  let queued = false;
  for (const item of waiting) {
    if (item.taskId !== o.id) continue;
    queued = true;
    status = item.type === "complete" ? "done" : "pending";
  }
  const due = Date.parse(o.due_at);
  const end = Date.parse(o.window_end);
  if (status === "pending" && o.kind === "task" && now >= end) status = "missed";
  if (o.kind === "appointment") status = now >= Math.max(end, due) ? "ended" : "pending";
  let timing = null;
  if (status === "pending") timing = now < due - EARLY_MS ? "later" : now < due ? "soon" : "now";
  return { status, timing, queued };
}

/** Counts for a day's tasks: {total, done, missed, open}. */
export function tally(day, waiting, now) {
  const counts = { total: 0, done: 0, missed: 0, open: 0, visit: false };
  if (!day) return counts;
  for (const o of day.items) {
    if (o.kind === "appointment") {
      counts.visit = true;
      continue;
    }
    counts.total += 1;
    const { status } = standing(o, waiting, now);
    if (status === "done") counts.done += 1;
    else if (status === "missed") counts.missed += 1;
    else counts.open += 1;
  }
  return counts;
}
