"""Signs and triage reasons in the words the patient saw, for the clinic's screens."""

from __future__ import annotations

import re
from collections.abc import Iterable

from app.reports.triage import TriageRules, default_rules

# The reasons app/reports/triage.py writes besides sign codes (the stored form, kept as is).
_PAIN = re.compile(r"pain (\d+)/10")
_RISE = re.compile(r"pain up from (\d+) to (\d+)")
_RISE_OVER = re.compile(r"pain up from (\d+) to (\d+) in (\d+) days")
_NOTE = "note mentions: "


def sign_labels(rules: TriageRules) -> dict[str, str]:
    """Each sign's label by its code: the clinic's own rules, then the shipped ones (a report
    may name a sign the clinic's rules have since dropped)."""
    return {sign.code: sign.label for sign in (*default_rules().signs, *rules.signs)}


def sign_words(codes: Iterable[str], labels: dict[str, str]) -> list[str]:
    """The ticked signs as the form showed them; an unknown code as readable words."""
    return [labels.get(code) or _readable(code) for code in codes]


def reason_words(reasons: Iterable[str], labels: dict[str, str]) -> list[str]:
    """Why a report got its level, as sentences ("Pain 8 out of 10")."""
    return [_reason(reason, labels) for reason in reasons]


def _reason(reason: str, labels: dict[str, str]) -> str:
    if reason in labels:
        return labels[reason]
    if match := _PAIN.fullmatch(reason):
        return f"Pain {match[1]} out of 10"
    if match := _RISE_OVER.fullmatch(reason):
        return f"Pain up from {match[1]} to {match[2]} within {match[3]} days"
    if match := _RISE.fullmatch(reason):
        return f"Pain up from {match[1]} to {match[2]} since the last report"
    if reason.startswith(_NOTE):
        return f"The note mentions: {reason.removeprefix(_NOTE)}"
    return _readable(reason)


def _readable(code: str) -> str:
    text = code.replace("_", " ").strip()
    return text[:1].upper() + text[1:]
