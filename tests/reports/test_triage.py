"""Triage rules: every sign and pain rule from the clinic's defaults, table-driven."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.reports.triage import Level, Triage, TriageRules, default_rules, rules_from, triage

EMERGENCY = ["chest_pain_breathless", "throat_swelling", "stroke_signs"]
URGENT = [
    "calf_pain_swelling", "spreading_redness", "warmth", "discharge", "fever", "skin_ulcer",
    "visual_disturbance", "pain_increase",
]  # fmt: skip
EXPECTED = ["bruising", "itching", "tender_lumps", "skin_staining"]


def run(pain: int = 2, signs: tuple[str, ...] = (), previous: int | None = None) -> Triage:
    return triage(
        default_rules(),
        pain=pain,
        signs=list(signs),
        previous_pain=previous,
        emergency_number="999",
        clinic_phone="+44 20 7946 0001",
    )


def test_the_defaults_list_exactly_the_agreed_signs() -> None:
    levels = {sign.code: sign.level for sign in default_rules().signs}
    assert levels == (
        {code: "emergency" for code in EMERGENCY}
        | {code: "urgent" for code in URGENT}
        | {code: "expected" for code in EXPECTED}
    )


@pytest.mark.parametrize(
    ("pain", "signs", "previous", "level", "reason"),
    [
        *[(2, (code,), None, Level.EMERGENCY, code) for code in EMERGENCY],
        *[(2, (code,), None, Level.URGENT, code) for code in URGENT],
        *[(2, (code,), None, Level.ROUTINE, code) for code in EXPECTED],
        (6, (), None, Level.ROUTINE, None),
        (7, (), None, Level.URGENT, "pain 7/10"),
        (10, (), None, Level.URGENT, "pain 10/10"),
        (4, (), 2, Level.URGENT, "pain up from 2 to 4"),
        (3, (), 2, Level.ROUTINE, None),
        (2, (), 6, Level.ROUTINE, None),  # falling pain is good news
        (0, (), None, Level.ROUTINE, None),
        (9, ("chest_pain_breathless", "fever"), 1, Level.EMERGENCY, "chest_pain_breathless"),
        (1, ("bruising", "warmth"), None, Level.URGENT, "warmth"),
    ],
)
def test_level_is_the_most_serious_part_of_the_report(
    pain: int, signs: tuple[str, ...], previous: int | None, level: Level, reason: str | None
) -> None:
    result = run(pain, signs, previous)
    assert result.level == level
    if reason:
        assert reason in result.reasons


def test_emergency_says_call_the_emergency_number_and_do_not_drive() -> None:
    result = triage(
        default_rules(), pain=1, signs=["stroke_signs"], previous_pain=None,
        emergency_number="112", clinic_phone="+49 30 1234",
    )  # fmt: skip
    assert result.title == "Call 112 now"
    assert "Do not drive" in result.advice
    assert (result.call_number, result.call_label) == ("112", "Call 112 now")


def test_urgent_offers_to_call_the_clinic() -> None:
    result = run(signs=("fever",))
    assert result.title == "Contact the clinic now"
    assert result.call_number == "+44 20 7946 0001"
    assert result.call_label == "Call the clinic"


def test_routine_needs_no_call() -> None:
    result = run(signs=("itching",))
    assert result.call_number is None
    assert result.call_label is None


@pytest.mark.parametrize(("pain", "signs"), [(11, ()), (-1, ()), (2, ("leg_fell_off",))])
def test_bad_reports_are_refused(pain: int, signs: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match=r"pain|unknown"):
        run(pain, signs)


def test_a_clinic_can_carry_its_own_rules() -> None:
    data = default_rules().model_dump(mode="json")
    data["version"] = 2
    data["urgent_pain_at_least"] = 5
    rules = rules_from(data)
    result = triage(
        rules, pain=5, signs=[], previous_pain=None, emergency_number="999", clinic_phone="1"
    )
    assert result.level == Level.URGENT
    assert rules_from(None) is default_rules()


def test_broken_rules_are_refused() -> None:
    data = default_rules().model_dump(mode="json")
    data["signs"].append(data["signs"][0])
    with pytest.raises(ValidationError, match="twice"):
        TriageRules.model_validate(data)
