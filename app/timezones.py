"""IANA time-zone names: validation and local-day arithmetic shared by the domains."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Annotated
from zoneinfo import ZoneInfo, available_timezones

from pydantic import AfterValidator, PlainSerializer, WithJsonSchema


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_time_zone(name: str) -> str:
    """`name` if it is an IANA zone such as "Europe/London"; ValueError otherwise."""
    if name not in _known_zones():
        raise ValueError(f"unknown time zone {name!r}: use an IANA name such as 'Europe/London'")
    return name


TimeZoneName = Annotated[str, AfterValidator(check_time_zone)]

# A wall-clock instant with its own offset: "2026-03-27T12:00:00+00:00", never "…Z", which
# would claim UTC rather than London winter time.
# A wall-clock time of day ("07:30"), never with an offset: JSON Schema's `format: time` means
# RFC 3339 time, which requires one, so the schema states the real shape instead.
WallTime = Annotated[
    time,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$",
            "examples": ["07:30"],
        }
    ),
]

LocalDateTime = Annotated[
    datetime, PlainSerializer(lambda value: value.isoformat(), return_type=str, when_used="json")
]


def local_day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants at which local `day` starts and the next local day starts."""
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    return instant.astimezone(zone).date()
