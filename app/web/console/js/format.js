// Dates, times and numbers for staff: in a named zone (the clinic's or the patient's), en-GB.

const formats = new Map();
function fmt(zone, options) {
  const key = zone + JSON.stringify(options);
  if (!formats.has(key)) formats.set(key, new Intl.DateTimeFormat("en-GB", { timeZone: zone, ...options }));
  return formats.get(key);
}

function parts(instant, zone) {
  const out = {};
  const list = fmt(zone, {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  }).formatToParts(new Date(instant));
  for (const p of list) out[p.type] = p.value;
  return out;
}

/** "2026-03-27" in `zone`. */
export function ymdIn(instant, zone) {
  const p = parts(instant, zone);
  return `${p.year}-${p.month}-${p.day}`;
}

/** "2026-03-27T12:00", the value of a datetime-local input showing `instant` in `zone`. */
export function localInputValue(instant, zone) {
  const p = parts(instant, zone);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

/** The instant a wall-clock "2026-03-27T12:00" in `zone` names (the earlier one in a repeated hour). */
export function instantOf(localValue, zone) {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(localValue || "");
  if (!match) return null;
  const [y, mo, d, h, mi] = match.slice(1).map(Number);
  const asUtc = Date.UTC(y, mo - 1, d, h, mi);
  // The zone's offset at a guess, then again at the corrected guess (it may cross a change).
  let guess = asUtc;
  for (let i = 0; i < 2; i++) {
    const p = parts(guess, zone);
    const shown = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute);
    guess = asUtc - (shown - guess);
  }
  return new Date(guess);
}

/** Now, rounded down to 5 minutes (a sensible default for "when was it done"). */
export function nowRounded() {
  const step = 5 * 60000;
  return new Date(Math.floor(Date.now() / step) * step);
}

/** "Fri 27 Mar 2026, 12:00" */
export function dateTime(instant, zone) {
  if (!instant) return "—";
  return fmt(zone, { weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
    .format(new Date(instant));
}

/** "Tue 12 Jan 2027" for a calendar day "2027-01-12" (a date, not an instant: no zone). */
export function dayOnly(ymd) {
  return fmt("UTC", { weekday: "short", day: "numeric", month: "short", year: "numeric" }).format(new Date(`${ymd}T12:00:00Z`));
}

/** "27 Mar 2026" */
export function dateOnly(instant, zone) {
  if (!instant) return "—";
  return fmt(zone, { day: "numeric", month: "short", year: "numeric" }).format(new Date(instant));
}

/** "12:00" */
export function timeOnly(instant, zone) {
  return fmt(zone, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(instant));
}

/** "Friday 27 March 2026" for a "2026-03-27" day. */
export function dayHeading(ymd) {
  return fmt("UTC", { weekday: "long", day: "numeric", month: "long", year: "numeric" }).format(new Date(`${ymd}T12:00:00Z`));
}

/** Whole days from one "YYYY-MM-DD" to another. */
export function daysBetween(from, to) {
  return Math.round((Date.parse(`${to}T12:00:00Z`) - Date.parse(`${from}T12:00:00Z`)) / 86400000);
}

/** "4 min", "2 h 5 min", "3 days" */
export function duration(ms) {
  const minutes = Math.max(0, Math.floor(ms / 60000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  return `${Math.floor(hours / 24)} days`;
}

/** "08:01 today", "21:40 yesterday", "08:01 on 27 Mar 2026" in `zone`. */
export function whenShort(instant, zone, now = Date.now()) {
  const day = ymdIn(instant, zone);
  const today = ymdIn(new Date(now).toISOString(), zone);
  const gap = daysBetween(day, today);
  const at = timeOnly(instant, zone);
  if (gap === 0) return `${at} today`;
  if (gap === 1) return `${at} yesterday`;
  return `${at} on ${dateOnly(instant, zone)}`;
}

/** "just now", "5 min ago", "in 3 days" */
export function relative(instant, now = Date.now()) {
  if (!instant) return "never";
  const diff = new Date(instant).getTime() - now;
  if (Math.abs(diff) < 60000) return "just now";
  return diff < 0 ? `${duration(-diff)} ago` : `in ${duration(diff)}`;
}

export function percent(value) {
  return value === null || value === undefined ? "—" : `${Math.round(value)}%`;
}

/** "spreading_redness" → "Spreading redness" (codes the API gives without their label). */
export function humanize(code) {
  const text = String(code || "").replace(/[_/-]+/g, " ").trim();
  return text ? text[0].toUpperCase() + text.slice(1) : "";
}

/** The IANA zones this browser knows, for the time zone pickers. */
export function zoneNames() {
  try {
    const names = Intl.supportedValuesOf("timeZone");
    return names.includes("UTC") ? names : ["UTC", ...names];
  } catch {
    return ["Europe/London", "Europe/Dublin", "Europe/Paris", "Europe/Berlin", "UTC"];
  }
}

/** The browser's own zone, a fallback when the clinic's is not known. */
export function browserZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "Europe/London";
}

// A report's pain as staff read it; a patient may report a warning sign without a number.
export function painText(pain) {
  return Number.isFinite(pain) ? `Pain ${pain}/10` : "Pain not given";
}
