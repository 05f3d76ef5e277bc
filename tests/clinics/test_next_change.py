"""Open or closed now, until when, and the closed periods: pure, across the DST changes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app.clinics.models import DEFAULT_OPENING_HOURS
from app.clinics.opening_hours import DAYS, closed_periods, next_change, reopens_text

LONDON = ZoneInfo("Europe/London")
WEEKDAYS = DEFAULT_OPENING_HOURS  # Monday to Friday 08:00-18:00


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (utc(2026, 3, 27, 12, 0), (True, utc(2026, 3, 27, 18, 0))),  # Friday, GMT
        (utc(2026, 3, 27, 18, 0), (False, utc(2026, 3, 30, 7, 0))),  # closes; Monday 08:00 BST
        # Tuesday 31 March 20:27 BST (after the spring change): reopens Wednesday 08:00 BST.
        (utc(2026, 3, 31, 19, 27), (False, utc(2026, 4, 1, 7, 0))),
        (utc(2026, 3, 30, 6, 59), (False, utc(2026, 3, 30, 7, 0))),
        (utc(2026, 3, 30, 7, 0), (True, utc(2026, 3, 30, 17, 0))),  # 08:00-18:00 BST
        # Autumn: Friday 23 October 18:00 BST, Monday 26 October 08:00 GMT.
        (utc(2026, 10, 23, 17, 0), (False, utc(2026, 10, 26, 8, 0))),
        (utc(2026, 10, 23, 16, 59), (True, utc(2026, 10, 23, 17, 0))),
    ],
)
def test_next_change_in_london(instant: datetime, expected: tuple[bool, datetime]) -> None:
    assert next_change(instant, WEEKDAYS, LONDON) == expected


def test_a_clinic_without_hours_is_always_open() -> None:
    assert next_change(utc(2026, 3, 29, 3, 0), {}, LONDON) == (True, None)
    assert next_change(utc(2026, 3, 29, 3, 0), {"mon": []}, LONDON) == (True, None)
    assert closed_periods(utc(2026, 3, 29, 3, 0), 14, {}, LONDON) == []


def test_a_clinic_open_round_the_clock_never_changes() -> None:
    always = {day: [["00:00", "24:00"]] for day in DAYS}
    assert next_change(utc(2026, 3, 29, 1, 30), always, LONDON) == (True, None)
    assert closed_periods(utc(2026, 3, 29, 1, 30), 14, always, LONDON) == []


def test_an_interval_to_midnight_runs_into_the_next_days_morning() -> None:
    hours = {"mon": [["20:00", "24:00"]], "tue": [["00:00", "02:00"]]}
    # Monday 30 March 21:00 BST: open until Tuesday 02:00 BST.
    assert next_change(utc(2026, 3, 30, 20, 0), hours, LONDON) == (True, utc(2026, 3, 31, 1, 0))


def test_closed_periods_over_the_spring_change() -> None:
    periods = closed_periods(utc(2026, 3, 27, 12, 0), 4, WEEKDAYS, LONDON)
    assert periods == [
        (utc(2026, 3, 27, 18, 0), utc(2026, 3, 30, 7, 0)),  # 18:00 GMT to 08:00 BST
        (utc(2026, 3, 30, 17, 0), utc(2026, 3, 31, 7, 0)),
    ]


def test_closed_periods_over_the_autumn_change_are_whole() -> None:
    # From inside a closed period: it is given from when it began.
    periods = closed_periods(utc(2026, 10, 24, 12, 0), 3, WEEKDAYS, LONDON)
    assert periods == [
        (utc(2026, 10, 23, 17, 0), utc(2026, 10, 26, 8, 0)),  # 18:00 BST to 08:00 GMT
        (utc(2026, 10, 26, 18, 0), utc(2026, 10, 27, 8, 0)),
    ]


def test_fourteen_days_of_a_weekday_clinic() -> None:
    periods = closed_periods(utc(2026, 3, 27, 12, 0), 14, WEEKDAYS, LONDON)
    assert len(periods) == 10  # Friday's to the second Friday's, weekends in one
    assert all(start < end for start, end in periods)
    assert all(end <= periods[i + 1][0] for i, (_, end) in enumerate(periods[:-1]))


@pytest.mark.parametrize(
    ("instant", "zone", "text"),
    [
        (utc(2026, 4, 1, 7, 0), "Europe/London", "8:00 on Wednesday"),
        (utc(2026, 3, 30, 7, 0), "Europe/London", "8:00 on Monday"),
        (utc(2026, 10, 26, 8, 0), "Europe/London", "8:00 on Monday"),
        (utc(2026, 4, 1, 7, 0), "America/New_York", "3:00 on Wednesday"),
        (utc(2026, 4, 1, 7, 30), "Asia/Tokyo", "16:30 on Wednesday"),
    ],
)
def test_reopening_is_told_in_the_patients_zone(instant: datetime, zone: str, text: str) -> None:
    assert reopens_text(instant, ZoneInfo(zone)) == text
