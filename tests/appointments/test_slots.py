"""suggest_slot: the preferred time if the clinic is open then, else its first opening."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from app.appointments.slots import suggest_slot
from app.clinics.opening_hours import Hours

LONDON = ZoneInfo("Europe/London")
WEEKDAYS: Hours = {day: [["08:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
ALL_DAY: Hours = {"sun": [["00:00", "24:00"]]}


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("target", "preferred", "hours", "expected"),
    [
        # Open at the preferred time: that time, on the clinic's wall clock (BST: UTC+1).
        (date(2026, 4, 14), time(10, 0), WEEKDAYS, utc(2026, 4, 14, 9, 0)),
        # Closed at the preferred time (after hours): the day's first opening.
        (date(2026, 4, 14), time(19, 0), WEEKDAYS, utc(2026, 4, 14, 7, 0)),
        (date(2026, 4, 14), time(7, 0), WEEKDAYS, utc(2026, 4, 14, 7, 0)),
        # Exactly at closing time is closed.
        (date(2026, 4, 14), time(18, 0), WEEKDAYS, utc(2026, 4, 14, 7, 0)),
        # A weekend: Monday's opening.
        (date(2026, 4, 11), time(10, 0), WEEKDAYS, utc(2026, 4, 13, 7, 0)),
        # A weekend across the spring change: Saturday is GMT, Monday's 08:00 is BST.
        (date(2026, 3, 28), time(10, 0), WEEKDAYS, utc(2026, 3, 30, 7, 0)),
        # On the day of the change: 10:00 is BST already.
        (date(2026, 3, 29), time(10, 0), ALL_DAY, utc(2026, 3, 29, 9, 0)),
        # 01:30 never shows on the clock that day: closed, so the day's first opening.
        (date(2026, 3, 29), time(1, 30), ALL_DAY, utc(2026, 3, 29, 0, 0)),
        # In autumn 01:30 shows twice: the first one (still BST).
        (date(2026, 10, 25), time(1, 30), {"sun": [["00:00", "24:00"]]}, utc(2026, 10, 25, 0, 30)),
        # A week closed up to Friday: the Friday.
        (date(2026, 4, 13), time(9, 0), {"fri": [["09:00", "12:00"]]}, utc(2026, 4, 17, 8, 0)),
        # No opening hours at all: the preferred time, whatever the day.
        (date(2026, 4, 12), time(10, 0), {}, utc(2026, 4, 12, 9, 0)),
    ],
)
def test_suggested_slot(target: date, preferred: time, hours: Hours, expected: datetime) -> None:
    slot = suggest_slot(target, preferred, hours, LONDON)
    assert slot == expected
    assert slot.tzinfo is UTC


def test_the_slot_is_on_the_clinics_clock_not_the_patients() -> None:
    # A clinic in New York open 09:00-17:00: 09:00 EDT is 13:00 UTC.
    new_york = ZoneInfo("America/New_York")
    hours: Hours = {"mon": [["09:00", "17:00"]]}
    slot = suggest_slot(date(2026, 4, 13), time(8, 0), hours, new_york)
    assert slot == utc(2026, 4, 13, 13, 0)
    assert slot.astimezone(new_york).time() == time(9, 0)
