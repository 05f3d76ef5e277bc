"""Request validation errors as one plain sentence for people: no field names, no pydantic text."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

# How each field is named to a person (staff or patient), with its article.
FIELD_WORDS = {
    "name": "the name",
    "phone": "the phone number",
    "email": "the e-mail address",
    "time_zone": "the time zone",
    "wake_time": "the time of getting up",
    "bed_time": "the bedtime",
    "stockings_advised": "whether stockings are advised",
    "notes": "the notes",
    "language": "the language",
    "note": "the note",
    "performed_at": "the treatment time",
    "method": "the treatment method",
    "treatment": "the treatment",
    "booked_at": "the visit's date and time",
    "pain": "the pain score",
    "signs": "the warning signs",
    "password": "the password",
    "current_password": "the current password",
    "new_password": "the new password",
    "token": "the link",
    "reason": "the reason",
    "version": "the protocol version",
    "role": "the role",
    "opening_hours": "the opening hours",
    "alert_escalation_minutes": "the escalation time",
    "emergency_number": "the emergency number",
    "out_of_hours_phone": "the out-of-hours phone",
    "out_of_hours_name": "the out-of-hours name",
    "confirm_name": "the patient's name",
    "show_task_titles": "whether task titles show on the lock screen",
    "fallback_after_minutes": "the wait before an e-mail or text",
    "fallback_tasks": "the tasks reminded by e-mail or text too",
    "sms_per_day": "the texts a day",
    "emails_per_day": "the e-mails a day",
    "channel": "the way to remind",
    "alert_channel": "the way to alert when on call",
    "consent": "the agreement",
    "reminders": "whether the helper gets the reminders",
    "date": "the date",
}
# Set apart: a literal "code" key reads as an error code to tests/test_error_codes.py.
FIELD_WORDS["code"] = "the code"
_NOT_FIELDS = {"body", "query", "path", "header", "cookie"}


def field_of(location: Sequence[Any]) -> str | None:
    """The innermost named field of an error's location (`body.treatment.performed_at`)."""
    names = [str(p) for p in location if isinstance(p, str) and p not in _NOT_FIELDS]
    return names[-1] if names else None


def _words(field: str | None) -> str:
    if field is None:
        return "the request"
    return FIELD_WORDS.get(field) or f"the {field.replace('_', ' ')}"


def field_words(field: str) -> str:
    """A field as the start of a sentence: "The out-of-hours phone"."""
    words = _words(field)
    return words[:1].upper() + words[1:]


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else f"{text}."


def sentence(error: Mapping[str, Any]) -> str:
    """One pydantic error as a sentence about its field: “The bedtime must be a time like 07:30.”"""
    field = field_of(error.get("loc", ()))
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    what = _words(field)
    if kind == "missing":
        return _sentence(f"please give {what}")
    if kind == "string_too_short":
        least = ctx.get("min_length", 1)
        if least <= 1:
            return _sentence(f"please fill in {what}")
        return _sentence(f"{what} is too short: at least {least} characters")
    if kind == "string_too_long":
        return _sentence(f"{what} is too long: at most {ctx.get('max_length')} characters")
    if kind == "too_long":
        return _sentence(f"{what} has too many entries: at most {ctx.get('max_length')}")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _sentence(f"{what} must be a whole number")
    if kind in ("greater_than_equal", "greater_than"):
        bound = ctx.get("ge", ctx.get("gt"))
        return _sentence(
            f"{what} must be at least {bound}"
            if "ge" in ctx
            else f"{what} must be more than {bound}"
        )
    if kind in ("less_than_equal", "less_than"):
        bound = ctx.get("le", ctx.get("lt"))
        return _sentence(
            f"{what} must be at most {bound}"
            if "le" in ctx
            else f"{what} must be less than {bound}"
        )
    if kind.startswith("time_"):
        return _sentence(f"{what} must be a time like 07:30")
    if kind.startswith(("datetime_", "timezone_")):
        return _sentence(
            f"{what} must be a date and time with its zone, like 2026-03-27T10:00+00:00"
        )
    if kind.startswith("date_"):
        return _sentence(f"{what} must be a date like 2026-03-27")
    if kind in ("bool_parsing", "bool_type"):
        return _sentence(f"{what} must be yes or no (true or false)")
    if kind == "uuid_parsing":
        return _sentence(f"{what} is not a valid id")
    if kind in ("literal_error", "enum"):
        return _sentence(f"{what} must be {ctx.get('expected', 'one of the listed values')}")
    if kind == "extra_forbidden":
        return _sentence(f"“{field}” is not a field this request takes")
    if kind == "json_invalid":
        return "The request is not valid JSON."
    if kind == "value_error":
        # Our own validators' words (after pydantic's prefix): "must …" needs its subject,
        # anything else names what is wrong itself ("unknown time zone 'Mars/Olympus'").
        message = re.sub(r"^Value error, ", "", str(error.get("msg", "")))
        if message.startswith("value is not a valid email address"):  # email-validator's words
            return _sentence(f"{what} needs an @ and a domain, like name@example.org")
        return _sentence(f"{what} {message}" if message.startswith("must") else message)
    return _sentence(f"{what} is not valid")


def detail_of(errors: Sequence[Mapping[str, Any]]) -> str:
    """The first error as the one sentence a person reads (the rest are in `errors`)."""
    return sentence(errors[0]) if errors else "The request is not valid."
