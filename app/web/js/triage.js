// Triage on the phone: an INTERPRETER of the rules document the server sends with the report
// form (GET /api/me/report-form, `rules`), the clinic's own rules included. No threshold, sign
// level, advice text or phone choice is written here: they all come from `rules` and the
// clinic's numbers. The server runs the same algorithm (app/reports/triage.py) on the same
// data, and tests/e2e/test_pwa_triage_cases.py runs one table of cases through both.
//
// Used when the report cannot reach the server (offline, or slow): the answer must still be
// immediate. The server's answer replaces it as soon as the report is sent.

const HOUR_MS = 3600 * 1000;
const ALARMING = new Set(["emergency", "urgent"]); // sign levels a note can raise (rule 2)

/** A note or a phrase as compared: lower-case, plain apostrophes, letters, digits and ' only,
 *  single spaces. (The server normalises identically.) */
export function normalize(text) {
  return String(text || "")
    .toLowerCase()
    .replace(/[\u2019\u2018`]/g, "'")
    .replace(/[^\p{L}\p{N}']/gu, " ")
    .replace(/ +/g, " ")
    .trim();
}

/** Does `phrase` occur in the (already normalised) note as whole words? */
function mentions(paddedNote, phrase) {
  const p = normalize(phrase);
  return p !== "" && paddedNote.includes(` ${p} `);
}

/** The emergency or urgent signs the note talks about that are not ticked, in the rules'
 *  order: [{code, level, label, description}]. Phrases of every language are tried. */
export function noteSigns(rules, note, ticked = []) {
  const padded = ` ${normalize(note)} `;
  if (padded.trim() === "") return [];
  const tickedSet = new Set(ticked);
  return ((rules && rules.signs) || []).filter((sign) => {
    if (!ALARMING.has(sign.level) || tickedSet.has(sign.code)) return false;
    const phrases = Object.values(sign.phrases || {}).flat();
    return phrases.some((phrase) => mentions(padded, phrase));
  });
}

/** Step 1: why the rules cannot triage this report ("unknown_sign", "pain_out_of_range",
 *  "pain_required": a pain number is needed only when no sign is ticked and no note
 *  written), or null when they can. */
export function checkReport(rules, { pain = null, signs = [], note = "" }) {
  const known = new Set(((rules && rules.signs) || []).map((s) => s.code));
  if (signs.some((code) => !known.has(code))) return "unknown_sign";
  if (pain !== null && pain !== undefined && !(Number.isInteger(pain) && pain >= 0 && pain <= 10)) return "pain_out_of_range";
  if ((pain === null || pain === undefined) && !signs.length && !String(note || "").trim()) return "pain_required";
  return null;
}

/** Epoch ms of a number or an ISO instant (one without a zone is UTC, as the server keeps). */
function at(instant) {
  if (typeof instant === "number") return instant;
  const text = String(instant);
  return Date.parse(/(Z|[+-]\d\d:?\d\d)$/i.test(text) || !text.includes("T") ? text : `${text}Z`);
}

/** The closed period `now` falls in (start included, end not), or null: the clinic is open. */
export function closedPeriodAt(closedPeriods, now) {
  const t = at(now);
  return (closedPeriods || []).find((p) => at(p.starts_at) <= t && t < at(p.ends_at)) || null;
}

function fill(text, values) {
  if (text === null || text === undefined) return null;
  return String(text).replace(/\{(\w+)\}/g, (whole, name) => (name in values ? values[name] : whole));
}

/**
 * triage(rules, {pain, signs, note, history, now, numbers, closedPeriods}) ->
 *   {level, advice_key, title, advice, call, call_number, call_label, reasons, note_signs}
 *
 * pain: 0-10 or null; signs: ticked codes; history: [{created_at, pain}] (the reports this
 * phone holds, queued ones included; pain may be null); now: epoch ms or ISO; numbers:
 * {emergency_number, clinic_phone, out_of_hours_name, out_of_hours_phone}; closedPeriods:
 * [{starts_at, ends_at, reopens}]. `call` is "emergency" | "clinic" | "out_of_hours" | null.
 */
export function triage(rules, { pain = null, signs = [], note = "", history = [], now, numbers = {}, closedPeriods = [] }) {
  const painRules = rules.pain || {};
  const byCode = new Map(rules.signs.map((s) => [s.code, s]));
  const ticked = [...new Set(signs)].filter((code) => byCode.has(code));
  const reasons = { emergency: [], urgent: [], routine: [] };
  const t = at(now);

  // 2. The note names an alarming sign the patient did not tick: at least urgent.
  const mentioned = noteSigns(rules, note, ticked);
  for (const sign of mentioned) reasons.urgent.push(`note mentions: ${sign.label}`);

  // 3. Ticked signs, at their own level ("expected" ones are routine).
  for (const code of ticked) {
    const level = byCode.get(code).level;
    reasons[level === "expected" ? "routine" : level].push(code);
  }

  // 4. Pain: high now, up since the last report, or up over the last few days.
  if (pain !== null && pain !== undefined) {
    if (pain >= painRules.urgent_at_least) reasons.urgent.push(`pain ${pain}/10`);
    const withPain = history
      .filter((r) => r.pain !== null && r.pain !== undefined)
      .map((r) => ({ at: at(r.created_at), pain: r.pain }))
      .sort((a, b) => b.at - a.at);
    const previous = withPain[0];
    if (previous && pain - previous.pain >= painRules.rise_since_previous) {
      reasons.urgent.push(`pain up from ${previous.pain} to ${pain}`);
    }
    const days = painRules.rise_over_days;
    const recent = withPain.filter((r) => t - r.at <= days * 24 * HOUR_MS);
    if (recent.length) {
      const lowest = Math.min(...recent.map((r) => r.pain));
      if (pain - lowest >= painRules.rise_over) reasons.urgent.push(`pain up from ${lowest} to ${pain} in ${days} days`);
    }
  }

  // 5. The most serious level any part reaches.
  const level = reasons.emergency.length ? "emergency" : reasons.urgent.length ? "urgent" : "routine";

  // 6. Which advice.
  // Closed, and a route to call instead: a clinic enrolled before it had an out-of-hours
  // phone keeps its own advice and number rather than "call  now" with no number.
  const period = closedPeriodAt(closedPeriods, t);
  const closed = period && String(numbers.out_of_hours_phone || "").trim() !== "" ? period : null;
  let adviceKey = level;
  if (level === "urgent") adviceKey = closed ? "urgent_closed" : "urgent";
  else if (level === "routine") {
    if (pain !== null && pain !== undefined && pain >= painRules.moderate_at_least) adviceKey = "routine_moderate_pain";
    else if (ticked.some((code) => byCode.get(code).level === "expected")) adviceKey = "routine_expected";
  }

  // 7. Whom to call: the first of these with a number (an old clinic may lack one), labelled
  // by the advice that belongs to that call.
  const calls = {
    emergency: [numbers.emergency_number, "emergency"],
    clinic: [numbers.clinic_phone, "urgent"],
    out_of_hours: [numbers.out_of_hours_phone, "urgent_closed"],
  };
  const order = level === "emergency" ? ["emergency"]
    : level === "urgent" ? (closed ? ["out_of_hours", "clinic", "emergency"] : ["clinic", "out_of_hours", "emergency"])
      : [];
  let call = order.find((name) => String(calls[name][0] || "").trim() !== "") || null;
  if (!call && order.length) call = "emergency"; // always something to call
  const number = call ? String(calls[call][0] || "").trim() : null;
  const values = {
    emergency_number: numbers.emergency_number || "",
    clinic_phone: numbers.clinic_phone || "",
    out_of_hours_name: numbers.out_of_hours_name || "",
    out_of_hours_phone: numbers.out_of_hours_phone || "",
    reopens: closed ? closed.reopens || "" : "",
  };
  const advice = rules.advice[adviceKey] || {};
  const label = call ? (rules.advice[calls[call][1]] || {}).call_label : null;
  return {
    level,
    advice_key: adviceKey,
    title: fill(advice.title, values),
    advice: fill(advice.advice, values),
    call,
    call_number: number,
    call_label: label ? fill(label, values) : null,
    reasons: reasons[level], // why this level, in the order found
    note_signs: mentioned.map((s) => s.code),
  };
}
