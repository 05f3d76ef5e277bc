"""Opening hours: the weekly shape is validated, and open minutes are counted as they elapse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.clinics.opening_hours import (
    DAYS,
    Hours,
    add_open_minutes,
    check_opening_hours,
    weekly_open_minutes,
)

LONDON = ZoneInfo("Europe/London")
WEEKDAYS_8_TO_6: Hours = {day: [["08:00", "18:00"]] for day in DAYS[:5]}
MINUTE = timedelta(minutes=1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


class TestValidation:
    def test_valid_hours_come_back_in_weekday_order(self) -> None:
        hours = {"sat": [["09:00", "12:00"]], "mon": [["08:00", "12:30"], ["13:30", "24:00"]]}
        assert list(check_opening_hours(hours)) == ["mon", "sat"]
        assert check_opening_hours(hours)["mon"] == [["08:00", "12:30"], ["13:30", "24:00"]]

    def test_closed_days_and_no_hours_at_all_are_allowed(self) -> None:
        assert check_opening_hours({"mon": [], "tue": [["08:00", "18:00"]]}) == {
            "mon": [],
            "tue": [["08:00", "18:00"]],
        }
        assert check_opening_hours({}) == {}

    def test_touching_intervals_are_allowed(self) -> None:
        check_opening_hours({"mon": [["08:00", "12:00"], ["12:00", "18:00"]]})

    @pytest.mark.parametrize(
        ("hours", "problem"),
        [
            ({"monday": [["08:00", "18:00"]]}, "unknown weekday 'monday'"),
            ({"Mon": [["08:00", "18:00"]]}, "unknown weekday 'Mon'"),
            ({"mon": [["8:00", "18:00"]]}, "'8:00' is not HH:MM"),
            ({"mon": [["08:00", "18:60"]]}, "'18:60' is not HH:MM"),
            ({"mon": [["08:00", "24:01"]]}, "'24:01' is not HH:MM"),
            ({"mon": [["24:00", "24:00"]]}, "'24:00' is not HH:MM"),
            ({"mon": [["08:00", "08:00"]]}, "must start before it ends"),
            ({"mon": [["18:00", "08:00"]]}, "must start before it ends"),
            ({"mon": [["08:00", "12:00"], ["11:00", "18:00"]]}, "must not overlap"),
            ({"mon": [["13:00", "18:00"], ["08:00", "12:00"]]}, "must be in order"),
            ({"mon": [["08:00"]]}, "[start, end] pair"),
            ({"mon": [["08:00", "12:00", "18:00"]]}, "[start, end] pair"),
            ({"mon": "08:00-18:00"}, "list of [start, end] pairs"),
            ({"mon": [[8, 18]]}, "must be a string HH:MM"),
            ({"mon": [["00:00", "01:00"]] * 7}, "at most 6 intervals"),
            ([["08:00", "18:00"]], "object of weekdays"),
        ],
    )
    def test_a_bad_shape_is_refused_with_the_reason(self, hours: Any, problem: str) -> None:
        with pytest.raises(ValueError) as refused:
            check_opening_hours(hours)
        assert problem in str(refused.value)

    def test_weekly_open_minutes(self) -> None:
        assert weekly_open_minutes(WEEKDAYS_8_TO_6) == 5 * 10 * 60
        assert weekly_open_minutes({"sun": [["00:00", "24:00"]]}) == 24 * 60
        assert weekly_open_minutes({}) == 0


class TestAddOpenMinutes:
    def test_inside_opening_hours_it_is_plain_minutes(self) -> None:
        # Friday 27 March 2026, 12:00 GMT.
        assert add_open_minutes(utc(2026, 3, 27, 12), 15, WEEKDAYS_8_TO_6, LONDON) == utc(
            2026, 3, 27, 12, 15
        )

    def test_closing_time_stops_the_count_until_the_next_opening(self) -> None:
        # 10 minutes on Friday before 18:00 GMT, 20 on Monday from 08:00 BST (07:00 UTC).
        assert add_open_minutes(utc(2026, 3, 27, 17, 50), 30, WEEKDAYS_8_TO_6, LONDON) == utc(
            2026, 3, 30, 7, 20
        )

    def test_after_hours_it_escalates_n_open_minutes_after_the_next_opening(self) -> None:
        # Tuesday 24 March 22:00 GMT: Wednesday opens 08:00 GMT.
        assert add_open_minutes(utc(2026, 3, 24, 22), 15, WEEKDAYS_8_TO_6, LONDON) == utc(
            2026, 3, 25, 8, 15
        )
        # Before opening on the same day.
        assert add_open_minutes(utc(2026, 3, 25, 6), 15, WEEKDAYS_8_TO_6, LONDON) == utc(
            2026, 3, 25, 8, 15
        )

    def test_closed_days_are_skipped(self) -> None:
        hours: Hours = {"mon": [["09:00", "10:00"]], "thu": [["09:00", "10:00"]]}
        # Monday 23 March 09:30 GMT: 30 minutes on Monday, 30 on Thursday.
        assert add_open_minutes(utc(2026, 3, 23, 9, 30), 60, hours, LONDON) == utc(
            2026, 3, 26, 9, 30
        )

    def test_a_count_spans_several_intervals_and_days(self) -> None:
        hours: Hours = {day: [["08:00", "12:00"], ["13:00", "17:00"]] for day in DAYS[:5]}
        # Monday 23 March 11:00 GMT: 60 + 240 on Monday, 240 + 60 on Tuesday = 600.
        assert add_open_minutes(utc(2026, 3, 23, 11), 600, hours, LONDON) == utc(2026, 3, 24, 14)

    def test_ending_exactly_at_closing_time_answers_the_closing_instant(self) -> None:
        assert add_open_minutes(utc(2026, 3, 27, 17, 45), 15, WEEKDAYS_8_TO_6, LONDON) == utc(
            2026, 3, 27, 18
        )

    def test_no_opening_hours_at_all_counts_plain_minutes(self) -> None:
        # The safe choice: an emergency must never wait for an opening that will not come.
        assert add_open_minutes(utc(2026, 3, 28, 23), 15, {}, LONDON) == utc(2026, 3, 28, 23, 15)
        assert add_open_minutes(utc(2026, 3, 28, 23), 15, {"mon": []}, LONDON) == utc(
            2026, 3, 28, 23, 15
        )

    def test_the_answer_is_utc_whatever_zone_the_start_is_in(self) -> None:
        start = datetime(2026, 3, 27, 13, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # 12:00 UTC
        result = add_open_minutes(start, 15, WEEKDAYS_8_TO_6, LONDON)
        assert result == utc(2026, 3, 27, 12, 15)
        assert result.utcoffset() == timedelta(0)

    def test_bad_arguments_are_refused(self) -> None:
        with pytest.raises(ValueError, match="aware"):
            add_open_minutes(datetime(2026, 3, 27, 12), 15, WEEKDAYS_8_TO_6, LONDON)  # noqa: DTZ001
        with pytest.raises(ValueError, match="negative"):
            add_open_minutes(utc(2026, 3, 27, 12), -1, WEEKDAYS_8_TO_6, LONDON)
        assert add_open_minutes(utc(2026, 3, 27, 20), 0, WEEKDAYS_8_TO_6, LONDON) == utc(
            2026, 3, 27, 20
        )


class TestDaylightSaving:
    """Europe/London: Sunday 29 March 2026 01:00 GMT -> 02:00 BST; Sunday 25 October 2026
    02:00 BST -> 01:00 GMT."""

    def test_weekday_hours_follow_the_local_clock_across_the_spring_change(self) -> None:
        # Friday 17:50 GMT + 30 open minutes: Monday 08:20 BST, which is 07:20 UTC.
        assert add_open_minutes(utc(2026, 3, 27, 17, 50), 30, WEEKDAYS_8_TO_6, LONDON) == utc(
            2026, 3, 30, 7, 20
        )

    def test_the_short_spring_day_counts_the_hour_it_loses(self) -> None:
        sunday: Hours = {"sun": [["00:00", "24:00"]], "mon": [["09:00", "17:00"]]}
        # The whole of Sunday 29 March is 23 hours open: 24 h of minutes end on Monday at
        # 10:00 BST (09:00 UTC), not at midnight.
        start = utc(2026, 3, 29, 0)  # Sunday 00:00 GMT
        assert add_open_minutes(start, 23 * 60, sunday, LONDON) == utc(2026, 3, 29, 23)
        assert add_open_minutes(start, 24 * 60, sunday, LONDON) == utc(2026, 3, 30, 9)

    def test_an_hour_the_spring_change_skips_is_never_open(self) -> None:
        # 00:30-01:30 on 29 March: only 00:30-01:00 GMT happens, then the clock shows 02:00.
        hours: Hours = {"sun": [["00:30", "01:30"]], "mon": [["09:00", "10:00"]]}
        start = utc(2026, 3, 28, 23)
        assert add_open_minutes(start, 30, hours, LONDON) == utc(2026, 3, 29, 1)
        assert add_open_minutes(start, 31, hours, LONDON) == utc(2026, 3, 30, 8, 1)

    def test_hours_after_the_spring_change_are_in_summer_time(self) -> None:
        sunday: Hours = {"sun": [["09:00", "17:00"]]}
        # An alert at 08:00 BST on Sunday 29 March escalates 09:15 BST = 08:15 UTC.
        assert add_open_minutes(utc(2026, 3, 29, 7), 15, sunday, LONDON) == utc(2026, 3, 29, 8, 15)

    def test_the_long_autumn_day_counts_the_hour_it_gains(self) -> None:
        night: Hours = {"sun": [["00:00", "04:00"]]}
        start = utc(2026, 10, 24, 23)  # Sunday 25 October 00:00 BST
        # 00:00 BST to 04:00 GMT is five hours of open time.
        assert add_open_minutes(start, 240, night, LONDON) == utc(2026, 10, 25, 3)
        assert add_open_minutes(start, 300, night, LONDON) == utc(2026, 10, 25, 4)
        assert add_open_minutes(start, 301, night, LONDON) == utc(2026, 11, 1, 0, 1)

    def test_an_hour_the_autumn_change_repeats_is_open_twice(self) -> None:
        hours: Hours = {"sun": [["01:00", "01:30"]]}
        start = utc(2026, 10, 24, 23)
        # 01:00-01:30 BST (00:00-00:30 UTC), then 01:00-01:30 GMT (01:00-01:30 UTC).
        assert add_open_minutes(start, 30, hours, LONDON) == utc(2026, 10, 25, 0, 30)
        assert add_open_minutes(start, 45, hours, LONDON) == utc(2026, 10, 25, 1, 15)
        assert add_open_minutes(start, 60, hours, LONDON) == utc(2026, 10, 25, 1, 30)

    def test_weekday_hours_follow_the_local_clock_across_the_autumn_change(self) -> None:
        # Friday 23 October 17:50 BST (16:50 UTC) + 30: Monday 26 October 08:20 GMT.
        assert add_open_minutes(utc(2026, 10, 23, 16, 50), 30, WEEKDAYS_8_TO_6, LONDON) == utc(
            2026, 10, 26, 8, 20
        )


# --- properties: the result agrees with counting open minutes one by one --------------------

ZONES = [
    "Europe/London",
    "America/New_York",
    "America/Santiago",  # DST changes at local midnight
    "Australia/Lord_Howe",  # half-hour DST
    "Pacific/Chatham",  # +12:45, DST
    "Asia/Kolkata",  # +05:30, no DST
]


def _changes_in_2026(zone: ZoneInfo) -> list[datetime]:
    """The UTC hours at which the zone's offset changes in 2026 (to the hour is enough)."""
    hours = [utc(2026, 1, 1) + timedelta(hours=h) for h in range(366 * 24)]
    return [
        after
        for before, after in pairwise(hours)
        if before.astimezone(zone).utcoffset() != after.astimezone(zone).utcoffset()
    ]


# (zone, a UTC instant a little before, at or after one of its 2026 DST changes).
CHANGES = [(name, change) for name in ZONES for change in _changes_in_2026(ZoneInfo(name))] + [
    ("Asia/Kolkata", utc(2026, 3, 29, 1))
]
near_a_change = st.builds(
    lambda pair, minutes: (pair[0], pair[1] + timedelta(minutes=minutes)),
    st.sampled_from(CHANGES),
    st.integers(-3 * 24 * 60, 12 * 60),
)
ORACLE_DAYS = 9


def _hhmm(quarter: int) -> str:
    return "24:00" if quarter == 96 else f"{quarter // 4:02d}:{quarter % 4 * 15:02d}"


def _day_hours(boundaries: list[int]) -> list[list[str]]:
    """Sorted distinct quarter-hours 0..96, paired up into intervals (an odd last one dropped)."""
    marks = sorted(boundaries)
    return [[_hhmm(marks[i]), _hhmm(marks[i + 1])] for i in range(0, len(marks) - 1, 2)]


weekly_hours = st.fixed_dictionaries(
    {day: st.lists(st.integers(0, 96), max_size=4, unique=True).map(_day_hours) for day in DAYS}
).map(check_opening_hours)


def _open_at(instant: datetime, hours: Hours, zone: ZoneInfo) -> bool:
    local = instant.astimezone(zone)
    minute = local.hour * 60 + local.minute
    return any(
        int(start[:2]) * 60 + int(start[3:]) <= minute < int(end[:2]) * 60 + int(end[3:])
        for start, end in hours.get(DAYS[local.weekday()], [])
    )


def _count_minute_by_minute(
    start: datetime, minutes: int, hours: Hours, zone: ZoneInfo
) -> datetime | None:
    """The end of the `minutes`-th open minute from `start`; None if not within the horizon."""
    instant, counted = start, 0
    while instant < start + timedelta(days=ORACLE_DAYS):
        if _open_at(instant, hours, zone):
            counted += 1
            if counted == minutes:
                return instant + MINUTE
        instant += MINUTE
    return None


@settings(max_examples=120, deadline=None)
@given(hours=weekly_hours, where=near_a_change, minutes=st.integers(1, 3000))
def test_agrees_with_counting_minute_by_minute(
    hours: Hours, where: tuple[str, datetime], minutes: int
) -> None:
    zone, start = ZoneInfo(where[0]), where[1]
    expected = _count_minute_by_minute(start, minutes, hours, zone)
    result = add_open_minutes(start, minutes, hours, zone)
    if weekly_open_minutes(hours) == 0:
        assert result == start + timedelta(minutes=minutes)
    elif expected is None:
        assert result >= start + timedelta(days=ORACLE_DAYS)
    else:
        assert result == expected


@settings(max_examples=150, deadline=None)
@given(
    hours=weekly_hours, where=near_a_change, first=st.integers(0, 2000), then=st.integers(1, 2000)
)
def test_counting_in_two_steps_is_counting_once(
    hours: Hours, where: tuple[str, datetime], first: int, then: int
) -> None:
    zone, start = ZoneInfo(where[0]), where[1]
    middle = add_open_minutes(start, first, hours, zone)
    assert middle >= start
    assert add_open_minutes(middle, then, hours, zone) == add_open_minutes(
        start, first + then, hours, zone
    )
