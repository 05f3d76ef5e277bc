"""Dates and times in patient texts, in the patient's language's conventions (Babel)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time

from app.i18n.languages import PSEUDO_CODES

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


# en is British English (the clinic's leaflet); pseudo-locales format as English.
_LOCALES = {"en": "en_GB", "pl": "pl_PL"}


def locale_of(language: str) -> str:
    """The Babel locale for a patient language code."""
    if language in PSEUDO_CODES:
        return "en_GB"
    return _LOCALES.get(language, "en_GB")


def day(value: date, language: str, *, with_year: bool = False) -> str:
    """ "Friday 27 March" / "piątek 27 marca": a day in a sentence ("… 2027" `with_year`)."""
    pattern = "EEEE d MMMM y" if with_year else "EEEE d MMMM"
    return format_date(value, pattern, locale=locale_of(language))


def clock_time(value: time | datetime, language: str) -> str:
    """ "9:12": a time of day on the 24-hour clock (the leaflet's; Polish writes it so too)."""
    return format_time(value, "H:mm", locale=locale_of(language))


def day_and_time(value: datetime, language: str) -> str:
    """A local moment ("27 Mar 2026, 10:00"), as the locale writes it."""
    return format_datetime(value, "medium", locale=locale_of(language))


def short_when_in(instant: datetime, zone: ZoneInfo, language: str) -> str:
    """A visit's time on a short line in the patient's language: "Mon 6 Apr at 09:15" (fixed
    English names, short_when), "pon., 6 kwi o 09:15" in Polish (Babel)."""
    if language == "pl":
        local = instant.astimezone(zone)
        return format_datetime(local, "EEE, d MMM 'o' HH:mm", locale="pl_PL")
    return short_when(instant, zone)
