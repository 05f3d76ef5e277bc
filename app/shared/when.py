"""An instant as people read it on a short line: "Mon 6 Apr at 09:15" on a given zone's clock."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def short_when(instant: datetime, zone: ZoneInfo) -> str:
    """The weekday, the date and the 24-hour time in `zone`: "Mon 6 Apr at 09:15".

    Built from fixed English names, not strftime, so the words never follow the server's locale.
    """
    local = instant.astimezone(zone)
    return (
        f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]} "
        f"at {local.hour:02d}:{local.minute:02d}"
    )
