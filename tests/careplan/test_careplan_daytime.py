"""Tests of the local-time helpers: wall times across DST, night edges, wake/bed moves."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.careplan.daytime import Rhythm, ends_at_midnight, last_day, zone_for
from app.careplan.types import Preferences

LONDON = ZoneInfo("Europe/London")
SANTIAGO = ZoneInfo("America/Santiago")


def rhythm(zone: str = "Europe/London", wake: time = time(7, 30), bed: time = time(22)) -> Rhythm:
    return Rhythm.from_preferences(Preferences(time_zone=zone, wake_time=wake, bed_time=bed))


def at(local: str, zone: ZoneInfo = LONDON) -> datetime:
    return datetime.fromisoformat(local).replace(tzinfo=zone)


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected"),
    [
        ("Europe/London", date(2026, 5, 12), time(7, 30), utc(2026, 5, 12, 6, 30)),
        # 01:30 does not exist on 2026-03-29: forward by the gap, to 02:30 BST
        ("Europe/London", date(2026, 3, 29), time(1, 30), utc(2026, 3, 29, 1, 30)),
        # 01:30 happens twice on 2026-10-25: the first one (BST)
        ("Europe/London", date(2026, 10, 25), time(1, 30), utc(2026, 10, 25, 0, 30)),
        # Santiago skips local midnight on 2026-09-06: 00:00 becomes 01:00
        ("America/Santiago", date(2026, 9, 6), time(0, 0), utc(2026, 9, 6, 4, 0)),
        ("Asia/Kathmandu", date(2026, 1, 1), time(0, 0), utc(2025, 12, 31, 18, 15)),
    ],
    ids=["plain", "spring-gap", "autumn-ambiguous", "midnight-gap", "quarter-hour-offset"],
)
def test_wall_time_to_instant(zone: str, day: date, at: time, expected: datetime) -> None:
    assert rhythm(zone).wall(day, at) == expected


@pytest.mark.parametrize(
    ("local", "night"),
    [
        ("2026-05-12 22:00:00", False),  # exactly at bed time
        ("2026-05-12 22:00:01", True),
        ("2026-05-13 00:00:00", True),
        ("2026-05-13 07:29:59", True),
        ("2026-05-13 07:30:00", False),  # exactly at wake time
        ("2026-05-13 12:00:00", False),
    ],
    ids=["at-bed", "after-bed", "midnight", "before-wake", "at-wake", "noon"],
)
def test_night_edges(local: str, night: bool) -> None:
    assert rhythm().is_night(at(local)) is night


@pytest.mark.parametrize(
    ("local", "night"),
    [
        ("2026-05-12 23:59:00", False),
        ("2026-05-13 00:30:00", False),
        ("2026-05-13 00:31:00", True),
        ("2026-05-13 07:59:00", True),
        ("2026-05-13 08:00:00", False),
    ],
    ids=["before-midnight", "at-bed", "after-bed", "before-wake", "at-wake"],
)
def test_night_with_bed_after_midnight(local: str, night: bool) -> None:
    r = rhythm(wake=time(8), bed=time(0, 30))
    assert r.is_night(at(local)) is night


def test_repeated_hour_after_bed_time_is_night() -> None:
    # Santiago repeats 23:00-24:00 on 2026-04-04. With bed at 23:30 the first 23:30 is bed
    # time; the second 23:30 reads "at bed" on the clock but the patient went to bed an hour
    # before, so it is night.
    r = rhythm("America/Santiago", bed=time(23, 30))
    first = datetime(2026, 4, 4, 23, 30, tzinfo=SANTIAGO, fold=0)
    second = datetime(2026, 4, 4, 23, 30, tzinfo=SANTIAGO, fold=1)
    assert second.astimezone(UTC) - first.astimezone(UTC) == timedelta(hours=1)
    assert not r.is_night(first)
    assert r.is_night(second)
    assert r.bed_ending(date(2026, 4, 4)) == first.astimezone(UTC)


def test_bed_time_in_a_dst_gap_is_still_bed_time_so_day() -> None:
    # Bed 00:30 on the night Santiago skips 00:00-01:00: it moves forward by the gap to 01:30.
    # That instant is the bed time (not night), so a bed-time dose there is kept, not pushed
    # to the morning where it would merge with the morning dose (item 4).
    r = rhythm("America/Santiago", wake=time(7), bed=time(0, 30))
    bed = r.bed_ending(date(2026, 9, 5))
    assert bed.astimezone(SANTIAGO).strftime("%Y-%m-%d %H:%M") == "2026-09-06 01:30"
    assert not r.is_night(bed)
    assert r.to_daytime(bed) == bed
    # A minute later it is night; reminders in it go back to that (moved) bed time.
    assert r.is_night(bed + timedelta(minutes=1))
    back = r.back_to_bed_time(datetime(2026, 9, 6, 3, 0, tzinfo=SANTIAGO))
    assert back.astimezone(SANTIAGO).strftime("%Y-%m-%d %H:%M") == "2026-09-06 01:30"


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ("2026-05-12 23:00:00", "2026-05-13 07:30"),
        ("2026-05-13 03:00:00", "2026-05-13 07:30"),
        ("2026-05-13 07:30:00", "2026-05-14 07:30"),  # strictly after
        ("2026-03-28 23:00:00", "2026-03-29 07:30"),  # across spring DST
    ],
    ids=["evening", "small-hours", "at-wake", "dst"],
)
def test_next_wake(local: str, expected: str) -> None:
    got = rhythm().next_wake(at(local))
    assert got.astimezone(LONDON).strftime("%Y-%m-%d %H:%M") == expected


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ("2026-05-13 03:00:00", "2026-05-12 22:00"),
        ("2026-05-12 23:00:00", "2026-05-12 22:00"),
        ("2026-05-12 15:00:00", "2026-05-12 15:00"),  # daytime: unchanged
    ],
    ids=["small-hours", "late-evening", "daytime"],
)
def test_back_to_bed_time(local: str, expected: str) -> None:
    got = rhythm().back_to_bed_time(at(local))
    assert got.astimezone(LONDON).strftime("%Y-%m-%d %H:%M") == expected


def test_bed_date_follows_the_patient_day() -> None:
    assert rhythm().bed_date(date(2026, 5, 12)) == date(2026, 5, 12)
    assert rhythm(bed=time(0, 30)).bed_date(date(2026, 5, 12)) == date(2026, 5, 13)


@pytest.mark.parametrize("name", ["Nowhere/Atlantis", "", "../../etc/passwd"])
def test_unknown_zone(name: str) -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        zone_for(name)


def test_wake_must_differ_from_bed() -> None:
    with pytest.raises(ValueError, match="must differ"):
        rhythm(wake=time(7), bed=time(7))


@pytest.mark.parametrize(
    ("end", "zone", "day", "midnight"),
    [
        # The midnight after Fri 8 May in London (BST): Friday is the last day, whole.
        (utc(2026, 5, 8, 23, 0), LONDON, date(2026, 5, 8), True),
        # The midnight after Sat 28 Mar, the night the clocks go forward (still GMT then).
        (utc(2026, 3, 29, 0, 0), LONDON, date(2026, 3, 28), True),
        # Noon on Sunday: the span reaches Sunday but does not cover it whole.
        (utc(2026, 3, 29, 11, 0), LONDON, date(2026, 3, 29), False),
        # The same instant is the midnight after 8 May in Santiago (UTC-4 in May).
        (utc(2026, 5, 9, 4, 0), SANTIAGO, date(2026, 5, 8), True),
    ],
)
def test_a_span_ends_at_the_midnight_after_its_last_day(
    end: datetime, zone: ZoneInfo, day: date, midnight: bool
) -> None:
    assert last_day(end, zone) == day
    assert ends_at_midnight(end, zone) is midnight
