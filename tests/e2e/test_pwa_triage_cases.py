"""One table of triage cases (tests/reports/triage_cases.json), run through the server's engine
(app/reports/triage.py) and through the PWA's (app/web/js/triage.js, in Chromium) on the same rules
document: both must meet every case's expectations and agree with each other on every case.

The PWA's engine only interprets the rules it is given; the same cases on a clinic's changed
rules (other thresholds, texts, a sign moved to another level, phrases in another language)
must still come out the same on both sides, which a threshold written into the JS would not.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.reports.triage import Numbers, PastPain, TriageError, TriageRules, default_rules, triage
from tests.e2e.pwa_support import Live, open_page

CASES_DIR = Path(__file__).resolve().parents[1] / "reports"
# As in tests/reports/test_triage_cases.py.
NUMBERS = {
    "emergency_number": "999",
    "clinic_phone": "+44 20 7946 0001",
    "out_of_hours_name": "the on-call nurse",
    "out_of_hours_phone": "+44 20 7946 0999",
}
CALL_NUMBERS = {
    "emergency": NUMBERS["emergency_number"],
    "clinic": NUMBERS["clinic_phone"],
    "out_of_hours": NUMBERS["out_of_hours_phone"],
    None: None,
}
REOPENS = "8:00 on Monday"
# Normalisation must be the same in both languages, whatever a patient types.
NOTES = [
    "I have CHEST PAIN!!",
    "I\u2019ve got chest-pain\u2026 since last night",
    "can\u2018t  breathe`properly",
    "fi\u00e8vre, 39\u00b0C; Schwellung am Bein",
    "tabs\tand\nnewlines\r\n and_underscores",
    "\u0130stanbul \u00df \u1e9e \u03a3\u039f\u03a3 \u00bd \u2167 \u0663\u0664",
    "emoji \U0001f62d pain\u200bpain",
    "",
    "   ",
]

RUN_IN_PAGE = """async ({cases, rules, now, numbers, notes}) => {
    const m = await import("/js/triage.js");
    const results = cases.map((c) => {
        const error = m.checkReport(rules, c);
        if (error) return {error};
        const r = m.triage(rules, {
            pain: c.pain, signs: c.signs, note: c.note, history: c.history, now,
            numbers: {...numbers, ...c.numbers}, closedPeriods: c.closedPeriods,
        });
        return {...r, asked: m.noteSigns(rules, c.note, c.signs).map((s) => s.code)};
    });
    return {results, normalized: notes.map((n) => m.normalize(n))};
}"""


def load_cases() -> list[dict[str, Any]]:
    """The table, and the reports the rules refuse (triage_error_cases.json)."""
    cases: list[dict[str, Any]] = []
    for name in ("triage_cases.json", "triage_error_cases.json"):
        cases += json.loads((CASES_DIR / name).read_text("utf-8"))
    assert len(cases) >= 40
    ids = [case["id"] for case in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    return cases


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def closed_periods(now: datetime, clinic_open: bool) -> list[dict[str, str]]:
    """Closed periods such that the clinic is open (or closed) at `now`."""

    def period(start_hours: float, end_hours: float, reopens: str) -> dict[str, str]:
        start, end = now + timedelta(hours=start_hours), now + timedelta(hours=end_hours)
        return {"starts_at": _iso(start), "ends_at": _iso(end), "reopens": reopens}

    if clinic_open:
        return [period(-20, -2, "8:00 today"), period(6, 20, REOPENS)]
    return [period(-1, 20, REOPENS)]


def for_page(case: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A case as the phone holds it: previous reports with their times, the closed periods."""
    return {
        "pain": case.get("pain"),
        "signs": case.get("signs", []),
        "note": case.get("note", ""),
        "history": [
            {"created_at": (now - timedelta(hours=h["hours_ago"])).isoformat(), "pain": h["pain"]}
            for h in case.get("history", [])
        ],
        "closedPeriods": closed_periods(now, case.get("clinic_open", True)),
        "numbers": case.get("numbers", {}),
    }


def on_server(rules: TriageRules, case: dict[str, Any]) -> dict[str, Any]:
    clinic_open = case.get("clinic_open", True)
    numbers = {**NUMBERS, **case.get("numbers", {})}
    try:
        result = triage(
            rules,
            pain=case.get("pain"),
            signs=case.get("signs", []),
            note=case.get("note", ""),
            history=[PastPain(h["hours_ago"], h["pain"]) for h in case.get("history", [])],
            clinic_open=clinic_open,
            numbers=Numbers(
                emergency=NUMBERS["emergency_number"],
                clinic=numbers["clinic_phone"],
                out_of_hours_phone=numbers["out_of_hours_phone"],
                out_of_hours_name=NUMBERS["out_of_hours_name"],
                reopens="" if clinic_open else REOPENS,
            ),
        )
    except TriageError as error:
        return {"error": error.code}
    return {
        "level": str(result.level),
        "advice_key": str(result.advice_key),
        "title": result.title,
        "advice": result.advice,
        "call": None if result.call is None else str(result.call),
        "call_number": result.call_number,
        "call_label": result.call_label,
        "reasons": list(result.reasons),
        "note_signs": list(result.note_signs),
    }


COMPARED = ("error", "level", "advice_key", "title", "advice", "call", "call_number",
            "call_label", "reasons", "note_signs")  # fmt: skip


def problems(case: dict[str, Any], js: dict[str, Any], py: dict[str, Any]) -> list[str]:
    """What is wrong with one case: each engine against the expectations, and JS against
    Python. Every line names the case."""
    found: list[str] = []
    expect = case["expect"]
    for engine, got in (("js", js), ("python", py)):
        if "error" in expect:
            if got.get("error") != expect["error"]:
                found.append(
                    f"{case['id']} [{engine}]: expected error {expect['error']}, got {got}"
                )
            continue
        if "error" in got:
            found.append(f"{case['id']} [{engine}]: refused the report ({got['error']})")
            continue
        for key, mine in (("level", "level"), ("advice", "advice_key"), ("call", "call")):
            if key in expect and got[mine] != expect[key]:
                found.append(
                    f"{case['id']} [{engine}]: {key} {got[mine]!r}, expected {expect[key]!r}"
                )
        numbers = {**NUMBERS, **case.get("numbers", {})}
        wanted = {**CALL_NUMBERS, "clinic": numbers["clinic_phone"],
                  "out_of_hours": numbers["out_of_hours_phone"]}  # fmt: skip
        if "call" in expect and got.get("call_number") != wanted[expect["call"]]:
            found.append(
                f"{case['id']} [{engine}]: calls {got['call_number']!r} for {expect['call']}"
            )
        missing = [r for r in expect.get("reasons_include", []) if r not in got["reasons"]]
        if missing:
            found.append(f"{case['id']} [{engine}]: reasons {got['reasons']} lack {missing}")
        if "note_signs" in expect and got["note_signs"] != expect["note_signs"]:
            found.append(
                f"{case['id']} [{engine}]: note_signs {got['note_signs']}, "
                f"expected {expect['note_signs']}"
            )
    for key in COMPARED:
        if js.get(key) != py.get(key):
            found.append(
                f"{case['id']}: JS and Python disagree on {key}: {js.get(key)!r} != {py.get(key)!r}"
            )
    # What the form asks about before sending is what the server will act on.
    if "error" not in js and js.get("asked") != js.get("note_signs"):
        found.append(
            f"{case['id']}: the form would ask about {js.get('asked')}, "
            f"triage used {js.get('note_signs')}"
        )
    return found


def run_in_browser(
    live: Live, browser: Any, rules: dict[str, Any], cases: list[dict[str, Any]]
) -> dict[str, Any]:
    context = browser.new_context(base_url=live.base_url, locale="en-GB")
    try:
        now = live.clock.now()
        page, _ = open_page(context, now)
        page.goto("/manifest.webmanifest")  # same origin, no app booting
        result: dict[str, Any] = page.evaluate(
            RUN_IN_PAGE,
            {
                "cases": [for_page(case, now) for case in cases],
                "rules": rules,
                "now": now.timestamp() * 1000,
                "numbers": NUMBERS,
                "notes": NOTES,
            },
        )
        return result
    finally:
        context.close()


def clinic_variant(rules: dict[str, Any]) -> dict[str, Any]:
    """A clinic's own rules, different in every way the engines must read from the data."""
    variant = copy.deepcopy(rules)
    variant["pain"] = {"urgent_at_least": 6, "rise_since_previous": 3, "rise_over": 2,
                       "rise_over_days": 2, "moderate_at_least": 4}  # fmt: skip
    for key, advice in variant["advice"].items():
        advice["title"] = f"[{key}] " + advice["title"]
        if advice.get("call_label"):
            advice["call_label"] = "Ring: " + advice["call_label"]
    levels = {"expected": "urgent", "urgent": "expected", "emergency": "emergency"}
    for index, sign in enumerate(variant["signs"]):
        if index % 3 == 0:
            sign["level"] = levels[sign["level"]]
        sign["phrases"] = {**sign.get("phrases", {}), "de": [f"zeichen {index}"]}
    return variant


def test_every_case_gives_the_same_answer_on_the_phone_and_on_the_server(
    live: Live, browser: Any
) -> None:
    cases = load_cases()
    rules = default_rules().model_dump(mode="json")
    page = run_in_browser(live, browser, rules, cases)
    found: list[str] = []
    for case, js in zip(cases, page["results"], strict=True):
        found += problems(case, js, on_server(default_rules(), case))
    from app.reports.triage import normalize

    for note, js_normal in zip(NOTES, page["normalized"], strict=True):
        if js_normal != normalize(note):
            found.append(f"normalize({note!r}): JS {js_normal!r} != Python {normalize(note)!r}")
    assert not found, f"{len(found)} problem(s):\n" + "\n".join(found)


def test_a_clinics_own_rules_give_the_same_answers_on_both_sides(live: Live, browser: Any) -> None:
    cases = load_cases()
    variant = clinic_variant(default_rules().model_dump(mode="json"))
    rules = TriageRules.model_validate(variant)
    # The cases' expectations are for the default rules: here only agreement counts.
    agreement_only = [
        {**case, "expect": {k: v for k, v in case["expect"].items() if k == "error"}}
        for case in cases
    ]
    agreement_only.append({"id": "variant-german-phrase", "pain": 1, "signs": [],
                           "note": "Ich habe Zeichen 1", "expect": {}})  # fmt: skip
    page = run_in_browser(live, browser, variant, agreement_only)
    found: list[str] = []
    for case, js in zip(agreement_only, page["results"], strict=True):
        found += problems(case, js, on_server(rules, case))
    assert not found, f"{len(found)} problem(s):\n" + "\n".join(found)
    german = page["results"][-1]
    assert (german["level"], german["note_signs"]) == ("urgent", [variant["signs"][1]["code"]])


def test_a_case_that_fails_is_named() -> None:
    expect = {"level": "urgent", "advice": "urgent", "call": "clinic",
              "reasons_include": ["pain up from 3 to 5"]}  # fmt: skip
    case = {"id": "rise-3-to-5", "expect": expect}
    good = {"level": "urgent", "advice_key": "urgent", "call": "clinic",
            "call_number": CALL_NUMBERS["clinic"], "reasons": ["pain up from 3 to 5"],
            "note_signs": [], "asked": []}  # fmt: skip
    reassured = {**good, "level": "routine", "advice_key": "routine", "call": None,
                 "call_number": None, "reasons": []}  # fmt: skip
    assert problems(case, good, {k: v for k, v in good.items() if k != "asked"}) == []
    found = problems(case, reassured, {k: v for k, v in good.items() if k != "asked"})
    assert found and all(line.startswith("rise-3-to-5") for line in found)
