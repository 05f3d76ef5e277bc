"""Triage (pure): a symptom report, the patient's recent pain and the clinic's hours -> level.

The rules are DATA (app/reports/triage_rules.toml, or a clinic's own copy). The PWA runs the
SAME algorithm on the same rules (GET /api/me/report-form gives them) to answer offline, and
tests/reports/triage_cases.json is run through both engines. Keep the two in step: the
algorithm, exactly:

Inputs: `pain` (0-10 or null), `signs` (ticked sign codes), `note` (free text), `history`
(the patient's earlier reports: `hours_ago` >= 0 before now, `pain` 0-10 or null),
`clinic_open` (is the clinic open now), and the numbers: emergency, clinic, out of hours.

1. Every sign code must be known to the rules, else error. `pain` may be null only when at
   least one sign is ticked or the note is not blank (after trimming), else error
   `pain_required`. A sign ticked twice counts once.
2. Note matching. normalize(text) = lower-case; replace each of U+2019, U+2018 (curly
   quotes) and ` with ';
   replace every character that is not a letter, a digit or ' with a space (Python
   `ch.isalnum()`, JS /[\\p{L}\\p{N}']/u); collapse runs of spaces into one; trim. A phrase
   matches when " " + normalize(phrase) + " " occurs in " " + normalize(note) + " ". The
   phrases of every language are tried. Each sign (in the order of the rules) of level
   emergency or urgent that was NOT ticked and has a matching phrase adds an URGENT reason
   `note mentions: <label>` and its code to `note_signs`: never emergency without the
   patient ticking the sign, and never the reassuring answer. Phrases of expected signs are
   never acted on.
3. Each ticked sign adds its code as a reason at its level (expected -> routine), in the
   order ticked.
4. Pain rules, only when `pain` is a number:
   a. pain >= pain.urgent_at_least -> urgent `pain N/10`;
   b. previous = the pain of the history entry with the smallest `hours_ago` among those
      with a pain (null pains are skipped); pain - previous >= pain.rise_since_previous ->
      urgent `pain up from A to B`;
   c. lowest = the lowest pain among history entries with a pain and
      hours_ago <= pain.rise_over_days * 24; pain - lowest >= pain.rise_over -> urgent
      `pain up from A to B in N days` (N = rise_over_days).
   Reasons are added in the order a, b, c (after steps 2 and 3: note, then ticked signs).
5. level = emergency if any reason is at emergency, else urgent if any is urgent, else
   routine. `reasons` = the reasons at that level, in the order added.
6. advice key: emergency -> `emergency`; urgent -> `urgent_closed` when the clinic is
   closed now AND the out-of-hours phone is not blank, else `urgent` (an old clinic without
   an out-of-hours phone: the clinic's advice and phone, never a blank number);
   routine -> `routine_moderate_pain` when pain >= moderate_at_least, else
   `routine_expected` when any expected sign is ticked, else `routine`.
7. call: emergency -> `emergency` (the emergency number); urgent -> `out_of_hours` (the
   out-of-hours phone) with `urgent_closed`, else `clinic` (the clinic's phone); routine ->
   none.
   Should that number be blank (an old clinic), the first non-blank of clinic,
   out_of_hours, emergency in that order (out_of_hours first when closed) is called, with
   the call label of the advice that belongs to it (urgent, urgent_closed, emergency).
8. Texts: in the title, advice and call label, {emergency_number} {clinic_phone}
   {out_of_hours_name} {out_of_hours_phone} {reopens} are replaced by their values
   (`reopens` e.g. "8:00 on Wednesday", in the patient's zone; blank when open).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.error_codes import ErrorCode

DEFAULT_RULES_FILE = Path(__file__).with_name("triage_rules.toml")
PLACEHOLDERS = frozenset(
    {"emergency_number", "clinic_phone", "out_of_hours_name", "out_of_hours_phone", "reopens"}
)
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class Level(StrEnum):
    EMERGENCY = "emergency"
    URGENT = "urgent"
    ROUTINE = "routine"


class AdviceKey(StrEnum):
    EMERGENCY = "emergency"
    URGENT = "urgent"
    URGENT_CLOSED = "urgent_closed"
    ROUTINE_EXPECTED = "routine_expected"
    ROUTINE_MODERATE_PAIN = "routine_moderate_pain"
    ROUTINE = "routine"


class Call(StrEnum):
    EMERGENCY = "emergency"
    CLINIC = "clinic"
    OUT_OF_HOURS = "out_of_hours"


class TriageError(ValueError):
    """A report the rules cannot triage; `code` says why (e.g. `pain_required`)."""

    def __init__(self, message: str, *, code: ErrorCode) -> None:
        super().__init__(message)
        self.code = code


_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})


def normalize(text: str) -> str:
    """Note and phrase alike: lower-case, plain apostrophes, only letters/digits/' and spaces."""
    lowered = text.lower().translate(_QUOTES)
    kept = "".join(ch if ch.isalnum() or ch == "'" else " " for ch in lowered)
    return " ".join(kept.split())


def _check_placeholders(text: str, where: str) -> str:
    unknown = sorted(set(_PLACEHOLDER.findall(text)) - PLACEHOLDERS)
    if unknown:
        raise ValueError(
            f"{where}: unknown placeholder(s) {', '.join('{' + u + '}' for u in unknown)}; "
            f"allowed: {', '.join('{' + p + '}' for p in sorted(PLACEHOLDERS))}"
        )
    stray = _PLACEHOLDER.sub("", text)
    if "{" in stray or "}" in stray:
        raise ValueError(f"{where}: a brace without its pair")
    return text


class _Rules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


LanguageCode = str


class Sign(_Rules):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    level: Literal["emergency", "urgent", "expected"]
    label: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=300)
    # Language code ("en", "de", "pt-BR") -> what patients write for it in a note.
    phrases: dict[LanguageCode, tuple[str, ...]] = Field(default_factory=dict)

    @field_validator("label", "description")
    @classmethod
    def _no_placeholders(cls, text: str) -> str:
        if "{" in text or "}" in text:
            raise ValueError("sign texts take no placeholders (no { or })")
        return text

    @field_validator("phrases")
    @classmethod
    def _phrases(cls, phrases: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for language, texts in phrases.items():
            if not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?", language):
                raise ValueError(f"phrases: {language!r} is not a language code like en or pt-BR")
            for text in texts:
                if len(text) > 120 or not normalize(text):
                    raise ValueError(
                        f"phrases.{language}: {text!r} must have a letter or digit "
                        "and at most 120 characters"
                    )
        return phrases

    def matches(self, normalized_note: str) -> bool:
        padded = f" {normalized_note} "
        return any(
            f" {normalize(phrase)} " in padded
            for texts in self.phrases.values()
            for phrase in texts
        )


class Advice(_Rules):
    title: str = Field(min_length=1, max_length=120)
    advice: str = Field(min_length=1, max_length=1000)
    call_label: str | None = Field(default=None, min_length=1, max_length=120)

    @model_validator(mode="after")
    def _placeholders(self) -> Advice:
        _check_placeholders(self.title, "title")
        _check_placeholders(self.advice, "advice")
        if self.call_label is not None:
            _check_placeholders(self.call_label, "call_label")
        return self


class PainRules(_Rules):
    urgent_at_least: int = Field(ge=1, le=10)
    rise_since_previous: int = Field(ge=1, le=10)
    rise_over: int = Field(ge=1, le=10)
    rise_over_days: int = Field(ge=1, le=14)
    moderate_at_least: int = Field(ge=1, le=10)


class TriageRules(_Rules):
    version: int = Field(ge=2)
    pain: PainRules
    advice: dict[AdviceKey, Advice]
    signs: tuple[Sign, ...] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _from_version_1(cls, data: Any) -> Any:
        """A clinic's stored version-1 rules, in the version-2 shape (see `upgrade_v1`)."""
        if isinstance(data, dict) and (
            data.get("version") == 1 or ("pain" not in data and "urgent_pain_at_least" in data)
        ):
            return upgrade_v1(data)
        return data

    @model_validator(mode="after")
    def _complete(self) -> TriageRules:
        codes = [sign.code for sign in self.signs]
        duplicates = {code for code in codes if codes.count(code) > 1}
        if duplicates:
            raise ValueError(f"sign codes appear twice: {sorted(duplicates)}")
        missing = set(AdviceKey) - set(self.advice)
        if missing:
            raise ValueError(f"advice missing for: {', '.join(sorted(missing))}")
        for key in (AdviceKey.EMERGENCY, AdviceKey.URGENT, AdviceKey.URGENT_CLOSED):
            if self.advice[key].call_label is None:
                raise ValueError(f"advice.{key} needs a call_label: it always offers a call")
        if self.pain.moderate_at_least > self.pain.urgent_at_least:
            raise ValueError("pain.moderate_at_least must not be above pain.urgent_at_least")
        return self

    def sign(self, code: str) -> Sign | None:
        return next((sign for sign in self.signs if sign.code == code), None)

    def unknown(self, codes: Sequence[str]) -> list[str]:
        known = {sign.code for sign in self.signs}
        return [code for code in codes if code not in known]


def _load_defaults() -> dict[str, Any]:
    with DEFAULT_RULES_FILE.open("rb") as file:
        return tomllib.load(file)


def upgrade_v1(data: dict[str, Any]) -> dict[str, Any]:
    """Version-1 rules (flat `urgent_pain_at_least`/`urgent_pain_rise`, advice per level) in
    the version-2 shape. Their pain numbers, signs and advice are kept (v1 `routine` advice
    said "this is expected": it becomes `routine_expected`); what v1 lacked comes from the
    defaults: the new pain rules, the new advice texts, each known sign's phrases, and the
    default signs the v1 copy does not have (the red flags added in version 2).
    Anything else in `data` is passed on, so an unexpected field is still refused."""
    defaults = _load_defaults()
    upgraded = {
        k: v
        for k, v in data.items()
        if k not in {"version", "urgent_pain_at_least", "urgent_pain_rise", "advice", "signs"}
    }
    pain = dict(defaults["pain"])
    if "urgent_pain_at_least" in data:
        pain["urgent_at_least"] = data["urgent_pain_at_least"]
        pain["moderate_at_least"] = min(pain["moderate_at_least"], data["urgent_pain_at_least"])
    if "urgent_pain_rise" in data:
        pain["rise_since_previous"] = data["urgent_pain_rise"]
    advice = dict(defaults["advice"])
    old_advice = data.get("advice")
    if isinstance(old_advice, dict):
        for old_key, new_key in (
            ("emergency", "emergency"),
            ("urgent", "urgent"),
            ("routine", "routine_expected"),
        ):
            if old_key in old_advice:
                advice[new_key] = old_advice[old_key]
        unknown = set(old_advice) - {"emergency", "urgent", "routine"}
        for key in unknown:
            advice[key] = old_advice[key]  # refused below, with its name
    default_signs = {sign["code"]: sign for sign in defaults["signs"]}
    old_signs = data.get("signs")
    signs: list[Any] = []
    if isinstance(old_signs, list | tuple):
        for sign in old_signs:
            if isinstance(sign, dict) and "phrases" not in sign:
                default = default_signs.get(sign.get("code", ""))
                sign = {**sign, "phrases": default.get("phrases", {}) if default else {}}
            signs.append(sign)
        have = {sign.get("code") for sign in signs if isinstance(sign, dict)}
        signs.extend(sign for code, sign in default_signs.items() if code not in have)
    return {"version": 2, "pain": pain, "advice": advice, "signs": signs or old_signs} | upgraded


@cache
def default_rules() -> TriageRules:
    return TriageRules.model_validate(_load_defaults())


def rules_from(data: dict[str, Any] | None) -> TriageRules:
    """A clinic's own rules, or the defaults when it has none."""
    return default_rules() if data is None else TriageRules.model_validate(data)


@dataclass(frozen=True)
class PastPain:
    """An earlier report: how long before now, and its pain (None: not given)."""

    hours_ago: float
    pain: int | None


@dataclass(frozen=True)
class Numbers:
    """Who the patient can call, and when the clinic reopens (rendered in their zone)."""

    emergency: str
    clinic: str
    out_of_hours_phone: str = ""
    out_of_hours_name: str = "the on-call nurse"
    reopens: str = ""


@dataclass(frozen=True)
class Triage:
    level: Level
    advice_key: AdviceKey
    title: str
    advice: str
    call: Call | None
    call_number: str | None
    call_label: str | None
    reasons: tuple[str, ...]  # why this level: sign codes and pain rules, for the clinic
    note_signs: tuple[str, ...]  # signs the note mentions that were not ticked

    @property
    def note_needs_reading(self) -> bool:
        return bool(self.note_signs)


def check_report(rules: TriageRules, *, pain: int | None, signs: Sequence[str], note: str) -> None:
    """Step 1: TriageError (code `unknown_sign`, `pain_out_of_range`, `pain_required`)."""
    if unknown := rules.unknown(signs):
        raise TriageError(
            f"unknown warning signs: {', '.join(unknown)}", code=ErrorCode.UNKNOWN_SIGN
        )
    if pain is not None and not 0 <= pain <= 10:
        raise TriageError("pain must be between 0 and 10", code=ErrorCode.PAIN_OUT_OF_RANGE)
    if pain is None and not signs and not note.strip():
        raise TriageError(
            "Please give your pain from 0 to 10, or tick a warning sign, or write a note.",
            code=ErrorCode.PAIN_REQUIRED,
        )


def triage(
    rules: TriageRules,
    *,
    pain: int | None,
    signs: Sequence[str],
    note: str = "",
    history: Sequence[PastPain] = (),
    clinic_open: bool = True,
    numbers: Numbers,
) -> Triage:
    """The most serious level any part of the report reaches, with what to do now: the
    algorithm in the module docstring. TriageError for a report that cannot be triaged."""
    check_report(rules, pain=pain, signs=signs, note=note)
    ticked = list(dict.fromkeys(signs))
    reasons: dict[Level, list[str]] = {level: [] for level in Level}
    note_signs: list[str] = []
    normalized_note = normalize(note)
    if normalized_note:
        for sign in rules.signs:
            if (
                sign.level != "expected"
                and sign.code not in ticked
                and sign.matches(normalized_note)
            ):
                reasons[Level.URGENT].append(f"note mentions: {sign.label}")
                note_signs.append(sign.code)
    any_expected = False
    for code in ticked:
        ticked_sign = rules.sign(code)
        assert ticked_sign is not None  # checked above
        expected = ticked_sign.level == "expected"
        any_expected = any_expected or expected
        reasons[Level.ROUTINE if expected else Level(ticked_sign.level)].append(code)
    p = rules.pain
    if pain is not None:
        if pain >= p.urgent_at_least:
            reasons[Level.URGENT].append(f"pain {pain}/10")
        known = [entry for entry in history if entry.pain is not None]
        if known:
            previous = min(known, key=lambda entry: entry.hours_ago).pain
            assert previous is not None
            if pain - previous >= p.rise_since_previous:
                reasons[Level.URGENT].append(f"pain up from {previous} to {pain}")
        window = [
            entry.pain
            for entry in known
            if entry.pain is not None and entry.hours_ago <= p.rise_over_days * 24
        ]
        if window and pain - min(window) >= p.rise_over:
            reasons[Level.URGENT].append(
                f"pain up from {min(window)} to {pain} in {p.rise_over_days} days"
            )
    level = next((lvl for lvl in (Level.EMERGENCY, Level.URGENT) if reasons[lvl]), Level.ROUTINE)
    closed = not clinic_open and bool(numbers.out_of_hours_phone.strip())
    if level == Level.EMERGENCY:
        key = AdviceKey.EMERGENCY
    elif level == Level.URGENT:
        key = AdviceKey.URGENT_CLOSED if closed else AdviceKey.URGENT
    elif pain is not None and pain >= p.moderate_at_least:
        key = AdviceKey.ROUTINE_MODERATE_PAIN
    elif any_expected:
        key = AdviceKey.ROUTINE_EXPECTED
    else:
        key = AdviceKey.ROUTINE
    call, number, label_key = _call(level, not closed, numbers)

    def fill(text: str) -> str:
        values = {
            "emergency_number": numbers.emergency,
            "clinic_phone": numbers.clinic,
            "out_of_hours_name": numbers.out_of_hours_name,
            "out_of_hours_phone": numbers.out_of_hours_phone,
            "reopens": numbers.reopens,
        }
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)

    advice = rules.advice[key]
    label = rules.advice[label_key].call_label if label_key else None
    return Triage(
        level=level,
        advice_key=key,
        title=fill(advice.title),
        advice=fill(advice.advice),
        call=call,
        call_number=number,
        call_label=fill(label) if label else None,
        reasons=tuple(reasons[level]),
        note_signs=tuple(note_signs),
    )


def _call(
    level: Level, clinic_open: bool, numbers: Numbers
) -> tuple[Call | None, str | None, AdviceKey | None]:
    """Step 7: who to call, their number, and whose call label names them."""
    if level == Level.ROUTINE:
        return None, None, None
    by_call = {
        Call.CLINIC: (numbers.clinic, AdviceKey.URGENT),
        Call.OUT_OF_HOURS: (numbers.out_of_hours_phone, AdviceKey.URGENT_CLOSED),
        Call.EMERGENCY: (numbers.emergency, AdviceKey.EMERGENCY),
    }
    if level == Level.EMERGENCY:
        order = [Call.EMERGENCY]
    elif clinic_open:
        order = [Call.CLINIC, Call.OUT_OF_HOURS, Call.EMERGENCY]
    else:
        order = [Call.OUT_OF_HOURS, Call.CLINIC, Call.EMERGENCY]
    for call in order:
        number, label_key = by_call[call]
        if number.strip():
            return call, number.strip(), label_key
    return Call.EMERGENCY, numbers.emergency, AdviceKey.EMERGENCY  # always something to call
