"""Reports as the patient saw them: sign labels, and the triage reasons as sentences."""

from __future__ import annotations

import pytest

from app.reports.triage import Numbers, PastPain, default_rules, triage
from app.reports.wording import reason_words, sign_labels, sign_words

RULES = default_rules()
LABELS = sign_labels(RULES)
NUMBERS = Numbers(emergency="999", clinic="+44 20 7946 0001")


def reasons_of(**report: object) -> list[str]:
    return list(triage(RULES, numbers=NUMBERS, **report).reasons)  # type: ignore[arg-type]


def test_every_sign_has_its_label() -> None:
    codes = [sign.code for sign in RULES.signs]
    assert sign_words(codes, LABELS) == [sign.label for sign in RULES.signs]
    assert sign_words(["chest_pain_breathless"], LABELS) != ["chest_pain_breathless"]


def test_a_sign_the_rules_no_longer_have_is_still_words() -> None:
    assert sign_words(["leg_turned_purple"], LABELS) == ["Leg turned purple"]


@pytest.mark.parametrize(
    "report",
    [
        {"pain": 9, "signs": []},
        {"pain": 8, "signs": [], "history": [PastPain(hours_ago=20, pain=2)]},
        {
            "pain": 8,
            "signs": [],
            "history": [PastPain(hours_ago=60, pain=1), PastPain(hours_ago=1, pain=6)],
        },
        {"pain": 2, "signs": [], "note": "I have chest pain and I am short of breath"},
        {"pain": None, "signs": [RULES.signs[0].code]},
        {"pain": 1, "signs": [s.code for s in RULES.signs if s.level == "expected"][:1]},
    ],
)
def test_every_reason_triage_gives_reads_as_a_sentence(report: dict[str, object]) -> None:
    reasons = reasons_of(**report)
    assert reasons, report
    for words in reason_words(reasons, LABELS):
        assert words[0].isupper(), words
        assert "_" not in words and "/10" not in words, words


def test_the_pain_reasons_in_words() -> None:
    assert reason_words(["pain 8/10"], LABELS) == ["Pain 8 out of 10"]
    assert reason_words(["pain up from 2 to 8"], LABELS) == [
        "Pain up from 2 to 8 since the last report"
    ]
    assert reason_words(["pain up from 1 to 8 in 3 days"], LABELS) == [
        "Pain up from 1 to 8 within 3 days"
    ]
