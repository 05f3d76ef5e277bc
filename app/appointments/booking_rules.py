"""When a visit may be booked (pure): in the order of the course's visits, inside the clinic's
opening hours, and in the patient's day. The sentences are what staff read.

Out of order is a refusal nobody can override: a final review at or before its check-up
makes the plan wrong. Outside the opening hours and in the patient's night are warnings: a
clinic may see a patient on a day it does not usually open, and a patient may have agreed to
an early visit or be travelling; staff confirm with "book anyway", and the audit says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from app.careplan.daytime import Rhythm
from app.clinics.opening_hours import WEEKDAY_NAMES, Hours, day_hours_text, next_change
from app.error_codes import ErrorCode
from app.i18n.formats import short_when


@dataclass(frozen=True)
class PlannedVisit:
    """One of the patient's visits where it stands now (booked or planned)."""

    key: str
    title: str
    at: datetime


@dataclass(frozen=True)
class BookingWarning:
    """Why a booking needs "book anyway": its code and the sentence staff read."""

    code: ErrorCode
    sentence: str


def out_of_order(
    key: str, at: datetime, visits: Sequence[PlannedVisit], zone: ZoneInfo
) -> str | None:
    """Why visit `key` at `at` would break the order of `visits` (the patient's visits in the
    order the protocol puts them), or None. Each visit must come strictly after every earlier
    one and strictly before every later one, where those stand now; times in `zone`."""
    keys = [visit.key for visit in visits]
    if key not in keys:
        return None  # a visit the protocol no longer plans has no place in the order
    index = keys.index(key)
    title = visits[index].title
    earlier = [visit for visit in visits[:index] if visit.at >= at]
    if earlier:
        other = max(earlier, key=lambda visit: visit.at)
        return (
            f"“{title}” must come after “{other.title}” ({short_when(other.at, zone)}): "
            f"book it later, or move “{other.title}” first."
        )
    later = [visit for visit in visits[index + 1 :] if visit.at <= at]
    if later:
        other = min(later, key=lambda visit: visit.at)
        return (
            f"“{title}” must come before “{other.title}” ({short_when(other.at, zone)}): "
            f"book it earlier, or move “{other.title}” first."
        )
    return None


def outside_hours(at: datetime, *, clinic_name: str, hours: Hours, zone: ZoneInfo) -> str | None:
    """Why the clinic is closed at `at` (a closed day, or outside that day's hours), or None.

    The visit's start must fall inside the hours (an opening's end is already closed); a clinic
    that keeps no opening hours is always open."""
    is_open, _ = next_change(at, hours, zone)
    if is_open:
        return None
    local = at.astimezone(zone)
    day = WEEKDAY_NAMES[local.weekday()]
    opening = day_hours_text(hours, local.weekday())
    if not opening:
        return f"{clinic_name} is closed on {day}s."
    return f"{clinic_name} is open {opening} on {day}s; {local:%H:%M} is outside those hours."


def in_patients_night(at: datetime, rhythm: Rhythm) -> str | None:
    """Why `at` is in the patient's night (strictly between bed and wake time), or None."""
    if not rhythm.is_night(at):
        return None
    local = at.astimezone(rhythm.zone)
    return (
        f"That is {local:%H:%M} for the patient ({rhythm.zone.key}), in their night: they sleep "
        f"from {rhythm.bed:%H:%M} to {rhythm.wake:%H:%M}."
    )


def warnings(
    at: datetime, *, clinic_name: str, hours: Hours, clinic_zone: ZoneInfo, rhythm: Rhythm
) -> list[BookingWarning]:
    """What staff confirm with "book anyway" before `at` is booked; empty when nothing."""
    found = [
        (ErrorCode.BOOKING_OUTSIDE_HOURS, outside_hours(
            at, clinic_name=clinic_name, hours=hours, zone=clinic_zone
        )),
        (ErrorCode.BOOKING_IN_PATIENTS_NIGHT, in_patients_night(at, rhythm)),
    ]  # fmt: skip
    return [BookingWarning(code, sentence) for code, sentence in found if sentence is not None]
