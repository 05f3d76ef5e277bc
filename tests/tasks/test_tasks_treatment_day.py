"""Days after treatment in the patient's local dates: day 0, re-treatment, DST, before any."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from app.tasks.treatment_day import TreatmentDays

LONDON = ZoneInfo("Europe/London")
AUCKLAND = ZoneInfo("Pacific/Auckland")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_the_treatment_day_is_day_0_until_local_midnight() -> None:
    days = TreatmentDays([utc("2026-03-27 10:00")], LONDON)
    assert days.of(utc("2026-03-27 10:00")) == 0
    assert days.of(utc("2026-03-27 23:59")) == 0
    assert days.of(utc("2026-03-28 00:00")) == 1


def test_days_are_local_dates_across_the_spring_change() -> None:
    # Treated 23:30 GMT on Saturday 28 March; clocks go forward early on Sunday 29 March.
    days = TreatmentDays([utc("2026-03-28 23:30")], LONDON)
    # 23:30 UTC on Sunday is 00:30 BST on Monday: two local days on, though one UTC date.
    assert days.of(utc("2026-03-29 23:30")) == 2
    assert days.of(utc("2026-03-29 22:59")) == 1


def test_days_are_local_dates_far_from_utc() -> None:
    # 20:00 UTC on 1 April is 09:00 on 2 April in Auckland (NZDT, +13).
    days = TreatmentDays([utc("2026-04-01 20:00")], AUCKLAND)
    assert days.of(utc("2026-04-02 10:30")) == 0  # 23:30 the same local day
    assert days.of(utc("2026-04-02 11:30")) == 1  # 00:30 on 3 April
    # Auckland leaves daylight time on 5 April 2026: 03:00 NZDT becomes 02:00 NZST.
    assert days.of(utc("2026-04-05 12:30")) == 4  # 00:30 NZST on 6 April


def test_a_re_treatment_starts_again_at_day_0() -> None:
    days = TreatmentDays([utc("2026-03-27 10:00"), utc("2026-04-10 09:00")], LONDON)
    assert days.of(utc("2026-04-10 08:59")) == 14  # still the first treatment's plan
    assert days.of(utc("2026-04-10 09:00")) == 0
    assert days.of(utc("2026-04-12 12:00")) == 2


def test_the_order_treatments_come_in_does_not_matter() -> None:
    forward = TreatmentDays([utc("2026-03-27 10:00"), utc("2026-04-10 09:00")], LONDON)
    backward = TreatmentDays([utc("2026-04-10 09:00"), utc("2026-03-27 10:00")], LONDON)
    for instant in ("2026-03-30 12:00", "2026-04-10 10:00", "2026-05-01 07:00"):
        assert forward.of(utc(instant)) == backward.of(utc(instant))


def test_before_every_treatment_and_without_treatments_there_is_no_day() -> None:
    assert TreatmentDays([utc("2026-03-27 10:00")], LONDON).of(utc("2026-03-27 09:59")) is None
    assert TreatmentDays([], LONDON).of(utc("2026-03-27 10:00")) is None
