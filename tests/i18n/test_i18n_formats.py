"""Dates and times in patient texts follow the patient's language (Babel)."""

from datetime import UTC, date, datetime, time

from app.i18n.formats import clock_time, day, day_and_time


def test_polish_day_and_time() -> None:
    assert day(date(2026, 3, 27), "pl") == "piątek 27 marca"
    assert clock_time(time(9, 5), "pl") == "9:05"
    assert "2026" in day_and_time(datetime(2026, 3, 27, 10, 0, tzinfo=UTC), "pl")


def test_english_and_pseudo_are_british() -> None:
    assert day(date(2026, 3, 27), "en") == "Friday 27 March"
    assert clock_time(time(9, 5), "en") == "9:05"
    assert day(date(2026, 3, 27), "qps-ploc") == "Friday 27 March"
