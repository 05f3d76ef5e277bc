"""Triage (pure): a symptom report and the patient's previous pain -> level and advice."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

DEFAULT_RULES_FILE = Path(__file__).with_name("triage_rules.toml")


class Level(StrEnum):
    EMERGENCY = "emergency"
    URGENT = "urgent"
    ROUTINE = "routine"


class _Rules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sign(_Rules):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    level: Literal["emergency", "urgent", "expected"]
    label: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=300)


class Advice(_Rules):
    title: str = Field(min_length=1, max_length=120)
    advice: str = Field(min_length=1, max_length=1000)
    call_label: str | None = None


class TriageRules(_Rules):
    version: int = Field(ge=1)
    urgent_pain_at_least: int = Field(ge=1, le=10)
    urgent_pain_rise: int = Field(ge=1, le=10)
    advice: dict[Level, Advice]
    signs: tuple[Sign, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _complete(self) -> TriageRules:
        codes = [sign.code for sign in self.signs]
        duplicates = {code for code in codes if codes.count(code) > 1}
        if duplicates:
            raise ValueError(f"sign codes appear twice: {sorted(duplicates)}")
        missing = set(Level) - set(self.advice)
        if missing:
            raise ValueError(f"advice missing for levels: {sorted(missing)}")
        return self

    def sign(self, code: str) -> Sign | None:
        return next((sign for sign in self.signs if sign.code == code), None)

    def unknown(self, codes: Sequence[str]) -> list[str]:
        known = {sign.code for sign in self.signs}
        return [code for code in codes if code not in known]


@cache
def default_rules() -> TriageRules:
    with DEFAULT_RULES_FILE.open("rb") as file:
        return TriageRules.model_validate(tomllib.load(file))


def rules_from(data: dict[str, Any] | None) -> TriageRules:
    """A clinic's own rules, or the defaults when it has none."""
    return default_rules() if data is None else TriageRules.model_validate(data)


@dataclass(frozen=True)
class Triage:
    level: Level
    title: str
    advice: str
    call_number: str | None
    call_label: str | None
    reasons: tuple[str, ...]  # why this level: sign codes and pain rules, for the clinic


def triage(
    rules: TriageRules,
    *,
    pain: int,
    signs: Sequence[str],
    previous_pain: int | None,
    emergency_number: str,
    clinic_phone: str,
) -> Triage:
    """The most serious level any part of the report reaches, with what to do now.

    Signs must be known codes (ValueError otherwise). Pain is 0-10.
    """
    if not 0 <= pain <= 10:
        raise ValueError("pain must be between 0 and 10")
    if unknown := rules.unknown(signs):
        raise ValueError(f"unknown warning signs: {', '.join(unknown)}")
    by_level: dict[Level, list[str]] = {level: [] for level in Level}
    for code in signs:
        sign = rules.sign(code)
        assert sign is not None
        by_level[Level.ROUTINE if sign.level == "expected" else Level(sign.level)].append(code)
    if pain >= rules.urgent_pain_at_least:
        by_level[Level.URGENT].append(f"pain {pain}/10")
    if previous_pain is not None and pain - previous_pain >= rules.urgent_pain_rise:
        by_level[Level.URGENT].append(f"pain up from {previous_pain} to {pain}")
    level = next((lvl for lvl in (Level.EMERGENCY, Level.URGENT) if by_level[lvl]), Level.ROUTINE)
    advice = rules.advice[level]
    number = {Level.EMERGENCY: emergency_number, Level.URGENT: clinic_phone}.get(level)

    def fill(text: str) -> str:
        return text.replace("{emergency_number}", emergency_number)

    return Triage(
        level=level,
        title=fill(advice.title),
        advice=fill(advice.advice),
        call_number=number or None,
        call_label=fill(advice.call_label) if advice.call_label and number else None,
        reasons=tuple(by_level[level]),
    )
