"""Triage rules: every sign and pain rule from the clinic's defaults, table-driven."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.reports.triage import (
    Level,
    Numbers,
    PastPain,
    Triage,
    TriageError,
    TriageRules,
    default_rules,
    rules_from,
    triage,
)

EMERGENCY = [
    "chest_pain_breathless", "throat_swelling", "stroke_signs", "sepsis_signs", "cold_pale_foot",
]  # fmt: skip
URGENT = [
    "calf_pain_swelling", "spreading_redness", "warmth", "discharge", "fever", "skin_ulcer",
    "visual_disturbance", "rash_hives", "pain_increase",
]  # fmt: skip
NUMBERS = Numbers(emergency="999", clinic="+44 20 7946 0001")
EXPECTED = ["bruising", "itching", "tender_lumps", "skin_staining"]


def run(pain: int = 2, signs: tuple[str, ...] = (), previous: int | None = None) -> Triage:
    return triage(
        default_rules(),
        pain=pain,
        signs=list(signs),
        history=[] if previous is None else [PastPain(hours_ago=24, pain=previous)],
        numbers=NUMBERS,
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
        default_rules(), pain=1, signs=["stroke_signs"],
        numbers=Numbers(emergency="112", clinic="+49 30 1234"),
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
    with pytest.raises(TriageError, match=r"pain|unknown"):
        run(pain, signs)


def test_a_clinic_can_carry_its_own_rules() -> None:
    data = default_rules().model_dump(mode="json")
    data["pain"]["urgent_at_least"] = 5
    rules = rules_from(data)
    result = triage(rules, pain=5, signs=[], numbers=Numbers(emergency="999", clinic="1"))
    assert result.level == Level.URGENT
    assert rules_from(None) is default_rules()


def test_broken_rules_are_refused() -> None:
    data = default_rules().model_dump(mode="json")
    data["signs"].append(data["signs"][0])
    with pytest.raises(ValidationError, match="twice"):
        TriageRules.model_validate(data)


# A clinic's rules stored before version 2 (the version-1 shape, as it shipped).
V1_RULES: dict[str, object] = {
    "version": 1,
    "urgent_pain_at_least": 6,
    "urgent_pain_rise": 3,
    "advice": {
        "emergency": {
            "title": "Ring {emergency_number}",
            "advice": "Ring now.",
            "call_label": "Ring",
        },
        "urgent": {"title": "Ring us", "advice": "Ring the clinic.", "call_label": "Ring us"},
        "routine": {"title": "All normal", "advice": "This is expected."},
    },
    "signs": [
        {"code": "chest_pain_breathless", "level": "emergency", "label": "Chest pain"},
        {"code": "fever", "level": "urgent", "label": "Fever", "description": ""},
        {"code": "bruising", "level": "expected", "label": "Bruising", "description": ""},
        {"code": "own_sign", "level": "urgent", "label": "Our own sign", "description": ""},
    ],
}


def test_a_clinics_version_1_rules_still_work_in_the_version_2_shape() -> None:
    rules = rules_from(V1_RULES)
    assert rules.version == 2
    assert (rules.pain.urgent_at_least, rules.pain.rise_since_previous) == (6, 3)
    defaults = default_rules()
    assert (rules.pain.rise_over, rules.pain.rise_over_days) == (
        defaults.pain.rise_over,
        defaults.pain.rise_over_days,
    )
    assert rules.pain.moderate_at_least == 5
    assert rules.advice["emergency"].title == "Ring {emergency_number}"
    assert rules.advice["routine_expected"].title == "All normal"  # v1 routine said "expected"
    assert rules.advice["routine"] == defaults.advice["routine"]
    assert rules.advice["urgent_closed"] == defaults.advice["urgent_closed"]
    codes = [sign.code for sign in rules.signs]
    assert codes[:4] == ["chest_pain_breathless", "fever", "bruising", "own_sign"]
    # The red flags added in version 2 are added to an old copy, and known signs get phrases.
    assert {"sepsis_signs", "cold_pale_foot", "rash_hives"} <= set(codes)
    chest = rules.sign("chest_pain_breathless")
    assert chest is not None and chest.label == "Chest pain" and chest.phrases["en"]
    result = triage(rules, pain=6, signs=["own_sign"], numbers=NUMBERS)
    assert (result.level, result.reasons) == (Level.URGENT, ("own_sign", "pain 6/10"))
    again = TriageRules.model_validate(rules.model_dump(mode="json"))
    assert again == rules


def test_a_version_1_copy_with_an_unknown_field_is_still_refused() -> None:
    with pytest.raises(ValidationError, match="surprise"):
        rules_from(V1_RULES | {"surprise": 1})


@pytest.mark.parametrize(
    ("where", "text", "message"),
    [
        ("title", "Call {clinic_number}", "unknown placeholder"),
        ("advice", "Call {emergency_number} or {nurse}", "nurse"),
        ("advice", "Call {emergency_number", "brace"),
        ("call_label", "Call }", "brace"),
    ],
)
def test_only_the_known_placeholders_are_allowed(where: str, text: str, message: str) -> None:
    data = default_rules().model_dump(mode="json")
    data["advice"]["urgent"][where] = text
    with pytest.raises(ValidationError, match=message):
        TriageRules.model_validate(data)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["advice"].pop("urgent_closed"), "advice missing for: urgent_closed"),
        (lambda d: d["pain"].update(rise_over_days=0), "rise_over_days"),
        (lambda d: d["pain"].update(surprise=1), "surprise"),
        (lambda d: d["signs"][0].update(phrases={"en": ["!!"]}), "letter or digit"),
        (lambda d: d["signs"][0].update(phrases={"English": ["x"]}), "language code"),
        (lambda d: d["signs"][0].update(label="Call {emergency_number}"), "placeholders"),
        (lambda d: d["advice"]["urgent"].update(call_label=None), "call_label"),
    ],
)
def test_rules_are_checked_strictly(change: object, message: str) -> None:
    data = default_rules().model_dump(mode="json")
    change(data)  # type: ignore[operator]
    with pytest.raises(ValidationError, match=message):
        TriageRules.model_validate(data)


def test_closed_without_an_out_of_hours_phone_gives_the_clinics_advice_and_number() -> None:
    # An old clinic (enrolled before the out-of-hours phone was required): never a blank.
    result = triage(
        default_rules(),
        pain=8,
        signs=[],
        clinic_open=False,
        numbers=Numbers(emergency="999", clinic="+44 20 7946 0001", reopens="8:00 on Monday"),
    )
    assert (result.advice_key, result.call, result.call_number) == (
        "urgent",
        "clinic",
        "+44 20 7946 0001",
    )
    assert "+44 20 7946 0001" in result.advice
    nothing = triage(
        default_rules(), pain=8, signs=[], clinic_open=False, numbers=Numbers("999", "")
    )
    assert (nothing.call, nothing.call_number, nothing.call_label) == (
        "emergency",
        "999",
        "Call 999 now",
    )
