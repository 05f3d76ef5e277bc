// Dates and times in the patient's own time zone (from their profile), in their language.

import { locale, t } from "./i18n.js";

const cache = new Map();
function format(zone, options, lang = locale()) {
  const key = lang + zone + JSON.stringify(options);
  let f = cache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(lang, { timeZone: zone, ...options });
    cache.set(key, f);
  }
  return f;
}

// A phone's clock can be hours off (set by hand, never synced). Tasks would then show as
// missed or not yet due, and "today" as the wrong day: the server's clock is the truth.
const OFFSET_KEY = "aftercare-clock-offset";
const NOISE_MS = 5000; // a few seconds off is the network, not a wrong clock
let offsetMs = Number(globalThis.localStorage?.getItem(OFFSET_KEY)) || 0;

/** Now (epoch ms) by the server's clock as last measured; the phone's own clock until then. */
export function now() {
  return Date.now() + offsetMs;
}

/** Learn the phone's offset from a live answer's X-Server-Time, asked at `sentAt`, answered at
 * `receivedAt` (both phone time): the server read its clock about half-way between. */
export function learnServerTime(header, sentAt, receivedAt) {
  const server = Number(header);
  if (!header || !Number.isFinite(server)) return;
  const measured = server - (sentAt + receivedAt) / 2;
  const next = Math.abs(measured) < NOISE_MS ? 0 : Math.round(measured);
  if (next === offsetMs) return;
  offsetMs = next;
  try {
    localStorage.setItem(OFFSET_KEY, String(next)); // kept for when the phone opens offline
  } catch {
    // private mode: the offset still holds for this visit
  }
}

const noonUtc = (ymd) => new Date(`${ymd}T12:00:00Z`);

/** The local calendar date ("2026-03-27") of an instant in `zone`. */
export function ymdIn(instant, zone) {
  // Always the same digits and order, whatever the language.
  const parts = format(zone, { year: "numeric", month: "2-digit", day: "2-digit" }, "en-GB")
    .formatToParts(new Date(instant));
  const get = (type) => parts.find((p) => p.type === type).value;
  return `${get("year")}-${get("month")}-${get("day")}`;
}

export function addDays(ymd, days) {
  const d = noonUtc(ymd);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export function daysBetween(from, to) {
  return Math.round((noonUtc(to) - noonUtc(from)) / 86400000);
}

/** "Friday 27 March" */
export function dayLong(ymd) {
  return format("UTC", { weekday: "long", day: "numeric", month: "long" }).format(noonUtc(ymd));
}

/** "27 March" */
export function dateShort(ymd) {
  return format("UTC", { day: "numeric", month: "long" }).format(noonUtc(ymd));
}

export function weekdayShort(ymd) {
  return format("UTC", { weekday: "short" }).format(noonUtc(ymd));
}

export function monthShort(ymd) {
  return format("UTC", { month: "short" }).format(noonUtc(ymd));
}

export function dayOfMonth(ymd) {
  return String(Number(ymd.slice(8, 10)));
}

/** "7:30 am"; "midnight" rather than "12:00 am", which people read as midday or the wrong night.
 *  English (and the pseudo-locales) in the 12-hour clock the app has always used; other
 *  languages in their own clock ("7:30" in Polish). Midnight is a word that some languages
 *  change after a preposition (Polish "do północy", but "północ" alone): `alone` for a time
 *  shown by itself, as a task's time line; otherwise it goes in a sentence after "by", "at". */
export function timeOf(instant, zone, { alone = false } = {}) {
  const at = new Date(instant);
  if (format(zone, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(at) === "00:00") {
    return t(alone ? "time.midnightAlone" : "time.midnight");
  }
  const twelve = locale() === "en-GB";
  return format(zone, twelve ? { hour: "numeric", minute: "2-digit", hour12: true } : { hour: "numeric", minute: "2-digit" }).format(at);
}

/** "Today", "Yesterday", "Tomorrow" or null; always null without `today` (a page for another
 * day names days by weekday: "tomorrow" there would be read as the day after that page). */
export function relativeDay(ymd, today) {
  if (!today) return null;
  const n = daysBetween(today, ymd);
  return n === 0 ? t("time.today") : n === -1 ? t("time.yesterday") : n === 1 ? t("time.tomorrow") : null;
}

/** "today", "tomorrow" or "on Friday 27 March". */
function onDay(ymd, today) {
  const rel = relativeDay(ymd, today);
  return rel ? rel.toLowerCase() : t("time.onDay", { day: dayLong(ymd) });
}

/** When a span (advice, restriction) ends: "until and including Friday 8 May" (it ends at the
 * midnight after that day: `lastDay`, the server's date, names it) or "until 12:00 pm tomorrow". */
export function untilText(windowEnd, zone, today, lastDay = null) {
  const end = Date.parse(windowEnd);
  if (lastDay) {
    // DRAFT for clinical review
    return lastDay === today ? t("time.untilEndOfToday") : t("time.untilIncluding", { day: dayLong(lastDay) });
  }
  return t("time.untilTime", { time: timeOf(end, zone), day: onDay(ymdIn(end, zone), today) });
}

/** "Friday 10 April at 12:00 pm" */
export function whenText(instant, zone, today) {
  const ymd = ymdIn(instant, zone);
  const rel = relativeDay(ymd, today);
  return t("time.dayAt", { day: rel || dayLong(ymd), time: timeOf(instant, zone) });
}

/** When a clinic visit is, for the patient: the day and time once the clinic has booked it,
 * only the day while it is tentative (its time of day is the planner's guess, never shown).
 * "Friday 10 April at 10:00 am", or "Around Tuesday 14 April — the clinic will confirm the time". */
export function visitWhen(visit, zone, today) {
  if (!visit.tentative) return whenText(visit.due_at, zone, today);
  // DRAFT for clinical review
  return t("time.visitAround", { day: dayLong(ymdIn(visit.due_at, zone)) });
}

/** "07:30:00" → "07:30" for <input type=time>. */
export function hhmm(value) {
  return String(value || "").slice(0, 5);
}
