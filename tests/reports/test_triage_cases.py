"""The shared case table (triage_cases.json) through the Python triage.

The PWA's JavaScript engine runs the same file (tests/e2e). Each case: `pain` (int or null),
`signs`, `note`, `history` ([{hours_ago, pain}]), `clinic_open`, and `expect`: `level`,
`advice` (the advice key), `call` ("emergency" | "clinic" | "out_of_hours" | null),
`reasons_include` (each must be among the reasons), `note_signs` (exactly, in rules order).
An optional `numbers` object overrides the clinic's numbers (`clinic_phone`,
`out_of_hours_phone`) for that case, e.g. a clinic enrolled before it had an out-of-hours phone.
triage_error_cases.json holds reports the rules refuse: `expect` = {"error": <code>}.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from app.reports.triage import Numbers, PastPain, Triage, TriageError, default_rules, triage

HERE = Path(__file__).parent
CASES: list[dict[str, Any]] = json.loads((HERE / "triage_cases.json").read_text("utf-8"))
ERROR_CASES: list[dict[str, Any]] = json.loads(
    (HERE / "triage_error_cases.json").read_text("utf-8")
)
NUMBERS = Numbers(
    emergency="999",
    clinic="+44 20 7946 0001",
    out_of_hours_phone="+44 20 7946 0999",
    out_of_hours_name="the on-call nurse",
    reopens="8:00 on Monday",
)
CALL_NUMBERS = {
    "emergency": "999",
    "clinic": "+44 20 7946 0001",
    "out_of_hours": "+44 20 7946 0999",
    None: None,
}


def numbers_of(case: dict[str, Any]) -> Numbers:
    """The standard numbers, with the case's own overrides."""
    given = case.get("numbers", {})
    return replace(
        NUMBERS,
        clinic=given.get("clinic_phone", NUMBERS.clinic),
        out_of_hours_phone=given.get("out_of_hours_phone", NUMBERS.out_of_hours_phone),
    )


def run_case(case: dict[str, Any]) -> Triage:
    return triage(
        default_rules(),
        pain=case["pain"],
        signs=case["signs"],
        note=case["note"],
        history=[PastPain(h["hours_ago"], h["pain"]) for h in case["history"]],
        clinic_open=case["clinic_open"],
        numbers=numbers_of(case),
    )


def check(result: Triage, expect: dict[str, Any]) -> None:
    assert result.level == expect["level"]
    assert result.advice_key == expect["advice"]
    assert result.call == expect["call"]
    assert result.call_number == CALL_NUMBERS[expect["call"]]
    missing = [reason for reason in expect["reasons_include"] if reason not in result.reasons]
    assert not missing, f"reasons {result.reasons} lack {missing}"
    assert list(result.note_signs) == expect["note_signs"]


def test_the_table_is_well_formed_and_covers_every_sign() -> None:
    assert len(CASES) >= 40
    ids = [case["id"] for case in CASES + ERROR_CASES]
    assert len(ids) == len(set(ids))
    keys = {"id", "pain", "signs", "note", "history", "clinic_open", "expect"}
    assert all(keys <= set(case) <= keys | {"numbers"} for case in CASES + ERROR_CASES)
    ticked_alone = {case["signs"][0] for case in CASES if len(case["signs"]) == 1}
    assert {sign.code for sign in default_rules().signs} <= ticked_alone
    advice = {case["expect"]["advice"] for case in CASES}
    assert advice == set(default_rules().advice)


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_case(case: dict[str, Any]) -> None:
    check(run_case(case), case["expect"])


@pytest.mark.parametrize("case", ERROR_CASES, ids=[case["id"] for case in ERROR_CASES])
def test_error_case(case: dict[str, Any]) -> None:
    with pytest.raises(TriageError) as caught:
        run_case(case)
    assert caught.value.code == case["expect"]["error"]


def test_routine_never_says_expected_unless_only_expected_signs_and_low_pain() -> None:
    for case in CASES:
        result = run_case(case)
        if "expected" in result.title.lower():
            assert result.advice_key == "routine_expected", case["id"]
            assert case["signs"] and (case["pain"] is None or case["pain"] < 5), case["id"]
