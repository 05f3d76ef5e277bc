"""Clinic opening hours: validate the weekly shape and count minutes of opening time (pure).

The shape is `{"mon": [["08:00", "18:00"]], "sat": [["09:00", "12:00"]], ...}`: weekday ->
sorted, non-overlapping local wall-clock intervals. A day that is missing or empty is closed.
"24:00" may end an interval (open until midnight). The clinic is open at an instant when its
wall clock, in its zone, shows a time inside one of that date's intervals: an hour skipped in
spring is never open, an hour repeated in autumn is open twice if it is in the hours. An empty
dict means the clinic keeps no opening hours at all; `add_open_minutes` then counts plain
minutes: an emergency must never wait for an opening that will not come.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from pydantic import AfterValidator

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = date.weekday()
MAX_INTERVALS_PER_DAY = 6
_HH_MM = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
_MIDNIGHT_END = "24:00"

Hours = dict[str, list[list[str]]]
# (start, end) local times; end None means midnight at the end of the day ("24:00").
_Interval = tuple[time, time | None]
_Window = tuple[datetime, datetime]  # [from, to) in UTC
_DAY = timedelta(days=1)
_SECOND = timedelta(seconds=1)


def _parse_time(text: object, *, end: bool) -> time | None:
    if not isinstance(text, str):
        raise ValueError(f"opening time {text!r} must be a string HH:MM")
    if end and text == _MIDNIGHT_END:
        return None
    if not _HH_MM.fullmatch(text):
        raise ValueError(f"opening time {text!r} is not HH:MM (00:00 to 23:59, or 24:00 to end)")
    return time(int(text[:2]), int(text[3:]))


def _minutes(value: time | None) -> int:
    return 24 * 60 if value is None else value.hour * 60 + value.minute


def _parse(hours: object) -> dict[int, list[_Interval]]:
    """Weekday index -> intervals; ValueError naming the first problem."""
    if not isinstance(hours, dict):
        raise ValueError("opening hours must be an object of weekdays")
    parsed: dict[int, list[_Interval]] = {}
    for day, intervals in hours.items():
        if day not in DAYS:
            raise ValueError(f"unknown weekday {day!r}: use {', '.join(DAYS)}")
        if not isinstance(intervals, list):
            raise ValueError(f"{day}: expected a list of [start, end] pairs")
        if len(intervals) > MAX_INTERVALS_PER_DAY:
            raise ValueError(f"{day}: at most {MAX_INTERVALS_PER_DAY} intervals a day")
        day_intervals: list[_Interval] = []
        previous_end = -1
        for interval in intervals:
            if not isinstance(interval, list | tuple) or len(interval) != 2:
                raise ValueError(f"{day}: each interval is a [start, end] pair")
            start = _parse_time(interval[0], end=False)
            end = _parse_time(interval[1], end=True)
            assert start is not None  # only an end may be "24:00"
            if _minutes(start) >= _minutes(end):
                raise ValueError(f"{day}: {interval[0]}-{interval[1]} must start before it ends")
            if _minutes(start) < previous_end:
                raise ValueError(f"{day}: intervals must be in order and must not overlap")
            previous_end = _minutes(end)
            day_intervals.append((start, end))
        parsed[DAYS.index(day)] = day_intervals
    return parsed


def check_opening_hours(hours: Any) -> Hours:
    """The hours in a canonical order (mon..sun) if valid; ValueError otherwise."""
    _parse(hours)
    return {day: [list(pair) for pair in hours[day]] for day in DAYS if day in hours}


OpeningHours = Annotated[Hours, AfterValidator(check_opening_hours)]


def weekly_open_minutes(hours: Hours) -> int:
    """Minutes of opening time in a week of wall-clock time (no DST)."""
    return sum(
        _minutes(end) - _minutes(start)
        for intervals in _parse(hours).values()
        for start, end in intervals
    )


def _offset(instant: datetime, zone: ZoneInfo) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None  # a ZoneInfo always has one
    return offset


def _steady_spans(
    span_from: datetime, span_to: datetime, zone: ZoneInfo
) -> list[tuple[datetime, datetime, timedelta]]:
    """[from, to) split where the zone's UTC offset changes: (from, to, offset) pieces.

    Spans here are about a day long; no zone changes its offset twice within one, so one
    bisection (to the second: offsets change on whole seconds) finds the only change.
    """
    first, last = _offset(span_from, zone), _offset(span_to - _SECOND, zone)
    if first == last:
        return [(span_from, span_to, first)]
    low, high = span_from, span_to - _SECOND  # offset(low) == first, offset(high) == last
    while high - low > _SECOND:
        middle = low + (high - low) / 2
        middle -= timedelta(microseconds=middle.microsecond)
        if middle <= low:
            middle = low + _SECOND
        if _offset(middle, zone) == first:
            low = middle
        else:
            high = middle
    return [(span_from, high, first), (high, span_to, last)]


def _windows(day: date, intervals: list[_Interval], zone: ZoneInfo) -> list[_Window]:
    """The UTC instants at which the local wall clock shows one of `day`'s intervals."""
    windows: list[_Window] = []
    midnight = datetime.combine(day, time(0))  # naive local wall time
    for opens, closes in intervals:
        wall_from = midnight + timedelta(minutes=_minutes(opens))
        wall_to = midnight + timedelta(minutes=_minutes(closes))
        # Every offset the zone has at either end (both sides of a gap or a repeat).
        offsets = [
            _utcoffset(wall.replace(fold=fold), zone)
            for wall in (wall_from, wall_to)
            for fold in (0, 1)
        ]
        span_from = (wall_from - max(offsets)).replace(tzinfo=UTC)
        span_to = (wall_to - min(offsets)).replace(tzinfo=UTC)
        for piece_from, piece_to, offset in _steady_spans(span_from, span_to, zone):
            # Within a piece, wall time = UTC + offset: the interval is a plain UTC range.
            window_from = max(piece_from, (wall_from - offset).replace(tzinfo=UTC))
            window_to = min(piece_to, (wall_to - offset).replace(tzinfo=UTC))
            if window_from < window_to:
                windows.append((window_from, window_to))
    return windows


def _utcoffset(wall: datetime, zone: ZoneInfo) -> timedelta:
    offset = zone.utcoffset(wall)
    assert offset is not None  # a ZoneInfo always has one
    return offset


def add_open_minutes(start: datetime, minutes: int, hours: Hours, zone: ZoneInfo) -> datetime:
    """The UTC instant at which `minutes` of the clinic's opening time have passed since `start`.

    Counts elapsed minutes while the clinic is open (see the module docstring), so a start
    outside opening hours waits for the next opening, and a day with a DST change counts the
    hour it gains or loses. Exactly at a closing time, the closing instant is the answer. With
    no opening hours at all (an empty dict) the minutes are plain minutes. Pure: no clock.
    """
    if start.tzinfo is None:
        raise ValueError("start must be an aware datetime")
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    start = start.astimezone(UTC)
    week = weekly_open_minutes(hours)
    if minutes == 0 or week == 0:
        return start + timedelta(minutes=minutes)
    by_day = _parse(hours)
    remaining = timedelta(minutes=minutes)
    # A UTC day at a time, taking every local date that can show in it: in zones whose clocks
    # go back at midnight, the end of one date comes after the start of the next.
    chunk_from = start
    # Each week holds `week` open minutes (an hour less at most, once a year): never reached.
    give_up = start + timedelta(days=7 * (minutes // week + 3))
    while chunk_from < give_up:
        chunk_to = chunk_from + _DAY
        first = chunk_from.astimezone(zone).date() - _DAY
        last = chunk_to.astimezone(zone).date() + _DAY
        windows: list[_Window] = []
        day = first
        while day <= last:
            windows.extend(_windows(day, by_day.get(day.weekday(), []), zone))
            day += _DAY
        for window_from, window_to in sorted(windows):
            window_from, window_to = max(window_from, chunk_from), min(window_to, chunk_to)
            if window_to <= window_from:
                continue
            if remaining <= window_to - window_from:
                return window_from + remaining
            remaining -= window_to - window_from
        chunk_from = chunk_to
    raise RuntimeError("opening hours never reached the end")  # pragma: no cover


def _open_windows(
    span_from: datetime, span_to: datetime, hours: Hours, zone: ZoneInfo
) -> list[_Window]:
    """The clinic's open windows that meet [span_from, span_to), sorted, touching ones merged."""
    by_day = _parse(hours)
    windows: list[_Window] = []
    day = span_from.astimezone(zone).date() - _DAY
    last = span_to.astimezone(zone).date() + _DAY
    while day <= last:
        windows.extend(_windows(day, by_day.get(day.weekday(), []), zone))
        day += _DAY
    merged: list[_Window] = []
    for window_from, window_to in sorted(windows):
        if merged and window_from <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], window_to))
        else:
            merged.append((window_from, window_to))
    return [(f, t) for f, t in merged if t > span_from and f < span_to]


def always_open(hours: Hours) -> bool:
    """No opening hours kept (an empty dict, or no open minute in the week): never closed."""
    return weekly_open_minutes(hours) == 0


def next_change(instant: datetime, hours: Hours, zone: ZoneInfo) -> tuple[bool, datetime | None]:
    """(is the clinic open at `instant`, the UTC instant that changes: its closing time when
    open, its next opening when closed). A clinic without opening hours is always open, and
    one open round the clock never changes: (True, None). Pure; DST as the module says."""
    if instant.tzinfo is None:
        raise ValueError("instant must be an aware datetime")
    if always_open(hours):
        return True, None
    instant = instant.astimezone(UTC)
    # Every week has an open minute, so the next opening is within 8 days; a window that
    # still runs at the end of 9 days is a clinic open round the clock.
    horizon = instant + 9 * _DAY
    for window_from, window_to in _open_windows(instant, horizon, hours, zone):
        if window_from <= instant < window_to:
            return True, (None if window_to >= horizon else window_to)
        if window_from > instant:
            return False, window_from
    return True, None  # pragma: no cover  (a week with an open minute always has a window)


def closed_periods(
    start: datetime, days: int, hours: Hours, zone: ZoneInfo
) -> list[tuple[datetime, datetime]]:
    """The clinic's closed periods (from, to) in UTC that meet [start, start + days), each
    whole: from when it closes (maybe before `start`) to when it reopens (maybe after the end).
    None for a clinic without opening hours (always open). Pure; DST-correct."""
    if start.tzinfo is None:
        raise ValueError("start must be an aware datetime")
    if days < 0:
        raise ValueError("days must not be negative")
    if always_open(hours):
        return []
    start = start.astimezone(UTC)
    end = start + days * _DAY
    windows = _open_windows(start - 9 * _DAY, end + 9 * _DAY, hours, zone)
    periods = [(windows[i][1], windows[i + 1][0]) for i in range(len(windows) - 1)]
    return [(f, t) for f, t in periods if t > start and f < end]


WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def reopens_text(instant: datetime, zone: ZoneInfo, language: str = "en") -> str:
    """How a patient is told when the clinic reopens, in their zone: "8:00 on Wednesday"
    (24-hour h:mm and the weekday's name, never "tomorrow": the answer may be read later);
    in Polish "środa, 8:00" (Babel's weekday name: the advice text reads it as a label)."""
    local = instant.astimezone(zone)
    if language == "pl":
        return format_datetime(local, "EEEE, H:mm", locale="pl_PL")
    return f"{local.hour}:{local.minute:02d} on {WEEKDAY_NAMES[local.weekday()]}"


def day_hours_text(hours: Hours, weekday: int) -> str:
    """A weekday's opening hours as people read them: "08:00 to 18:00", "09:00 to 12:30 and
    13:30 to 17:00", or "" for a closed day (`weekday` as date.weekday(), Monday 0)."""
    intervals = hours.get(DAYS[weekday], [])
    return " and ".join(f"{start} to {end}" for start, end in intervals)
