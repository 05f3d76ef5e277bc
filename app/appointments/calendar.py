"""iCalendar (RFC 5545) of a patient's clinic visits, for their own calendar app."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from app.tasks.models import Occurrence

PRODUCT_ID = "-//Aftercare//Clinic visits//EN"
# SEQUENCE is the whole seconds from this instant to the visit's last change: it grows with
# every change (a booking, a move) without a counter to store, and fits RFC 5545's 32-bit
# INTEGER until 2093.
SEQUENCE_EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


def escape(text: str) -> str:
    """TEXT escaping of RFC 5545 §3.3.11."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Lines of at most 75 octets, continued with CRLF + space (§3.1); never splits a character."""
    parts: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        width = len(char.encode())
        if size + width > limit:
            parts.append(current)
            current, size, limit = "", 0, 74  # continuation lines start with a space
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def sequence(changed_at: datetime) -> int:
    """The event's SEQUENCE for a visit last changed at `changed_at` (see SEQUENCE_EPOCH)."""
    return max(0, int((changed_at - SEQUENCE_EPOCH).total_seconds()))


def visits_calendar(
    appointments: Iterable[Occurrence], *, clinic_name: str, clinic_phone: str, now: datetime
) -> str:
    """One VEVENT per visit, in UTC; a visit moved by the clinic keeps its UID, so calendar
    apps that subscribe update it instead of adding a second one. DTSTAMP is when the file
    was made (METHOD:PUBLISH); LAST-MODIFIED and a larger SEQUENCE say the event changed."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT_ID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(clinic_name)}",
    ]
    for visit in appointments:
        description = visit.instructions + (f"\nClinic: {clinic_phone}" if clinic_phone else "")
        lines += [
            "BEGIN:VEVENT",
            f"UID:{visit.id}@aftercare",
            f"DTSTAMP:{_stamp(now)}",
            f"LAST-MODIFIED:{_stamp(visit.updated_at)}",
            f"SEQUENCE:{sequence(visit.updated_at)}",
            f"DTSTART:{_stamp(visit.due_at)}",
            f"DTEND:{_stamp(visit.window_end)}",
            f"SUMMARY:{escape(visit.title)}",
            f"LOCATION:{escape(clinic_name)}",
            f"DESCRIPTION:{escape(description)}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
