"""Triage rules with their patient texts in the patient's language (triage_rules.<lang>.toml).

Only texts change: levels, pain numbers and phrases stay, so a translated form triages exactly
as the English one. A clinic's own wording (different from the defaults) stays as written:
a translation of the default text would not say what the clinic chose to say.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path
from typing import Any

from app.i18n.languages import PSEUDO, PSEUDO_RTL, TRANSLATED
from app.i18n.pseudo import pseudo
from app.reports.triage import Advice, AdviceKey, Sign, TriageRules, default_rules

_DIR = Path(__file__).resolve().parent


def overlay_path(language: str) -> Path:
    return _DIR / f"triage_rules.{language}.toml"


@functools.cache
def overlay(language: str) -> dict[str, Any]:
    """The translation file's tables: advice by key, signs by code."""
    with overlay_path(language).open("rb") as f:
        return tomllib.load(f)


def rules_in(rules: TriageRules, language: str) -> TriageRules:
    """`rules` with each default text in `language` (pseudo-locales: every text pseudo)."""
    if language in (PSEUDO, PSEUDO_RTL):
        rtl = language == PSEUDO_RTL
        return _with(rules, lambda _kind, _key, _field, english: pseudo(english, rtl=rtl))
    if language not in TRANSLATED:
        return rules
    defaults, table = default_rules(), overlay(language)

    def text(kind: str, key: str, field: str, english: str) -> str:
        default = _default_text(defaults, kind, key, field)
        if english != default:
            return english  # the clinic's own words
        return str(table.get(kind, {}).get(key, {}).get(field, english))

    return _with(rules, text)


def _default_text(defaults: TriageRules, kind: str, key: str, field: str) -> str | None:
    if kind == "advice":
        advice = defaults.advice.get(AdviceKey(key))
        return None if advice is None else getattr(advice, field)
    sign = defaults.sign(key)
    return None if sign is None else str(getattr(sign, field))


def _with(rules: TriageRules, text: Any) -> TriageRules:
    """A copy of `rules` with every patient text passed through text(kind, key, field, it)."""

    def advice(key: AdviceKey, item: Advice) -> Advice:
        label = item.call_label
        return item.model_copy(
            update={
                "title": text("advice", key.value, "title", item.title),
                "advice": text("advice", key.value, "advice", item.advice),
                "call_label": None
                if label is None
                else text("advice", key.value, "call_label", label),
            }
        )

    def sign(item: Sign) -> Sign:
        description = item.description
        return item.model_copy(
            update={
                "label": text("signs", item.code, "label", item.label),
                "description": text("signs", item.code, "description", description)
                if description
                else "",
            }
        )

    return rules.model_copy(
        update={
            "advice": {key: advice(key, item) for key, item in rules.advice.items()},
            "signs": tuple(sign(item) for item in rules.signs),
        }
    )
