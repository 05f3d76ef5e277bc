"""A suggested time for a visit still to book: inside the clinic's opening hours (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from app.clinics.opening_hours import Hours, always_open, next_change


def _wall(day: date, at: time, zone: ZoneInfo) -> datetime:
    # In UTC at once: an aware time in a repeated hour never equals one in another zone.
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def _exists(day: date, at: time, zone: ZoneInfo) -> bool:
    """False for a wall time the clocks skip (spring forward): nobody can be booked at it."""
    wall = datetime.combine(day, at)
    shown = wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)
    return shown.replace(tzinfo=None) == wall


def _first_open_from(start: datetime, hours: Hours, zone: ZoneInfo) -> datetime:
    """The first instant at or after `start` when the clinic is open."""
    open_now, opens = next_change(start, hours, zone)
    if open_now or opens is None:
        return start
    return opens


def suggest_slot(target_day: date, preferred_time: time, hours: Hours, zone: ZoneInfo) -> datetime:
    """When to offer the visit: `preferred_time` on `target_day` (the clinic's wall clock in
    `zone`) if the clinic is open then, else the first opening on or after `target_day`.

    A clinic with no opening hours at all gets the preferred time. A preferred time the
    clocks skip that day counts as closed. The answer is
    aware UTC (an aware time in a repeated hour compares unequal across zones).
    """
    preferred = _wall(target_day, preferred_time, zone)
    if always_open(hours):
        return preferred
    exists = _exists(target_day, preferred_time, zone)
    if exists and _first_open_from(preferred, hours, zone) == preferred:
        return preferred
    return _first_open_from(_wall(target_day, time(0), zone), hours, zone)
