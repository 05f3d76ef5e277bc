"""When a visit may be booked (app/appointments/booking_rules.py): the order of the course's
visits, the clinic's opening hours and the patient's night, in the sentences staff read."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from app.appointments.booking_rules import (
    PlannedVisit,
    in_patients_night,
    out_of_order,
    outside_hours,
    warnings,
)
from app.careplan.daytime import Rhythm
from app.error_codes import ErrorCode

LONDON = ZoneInfo("Europe/London")
HOURS = {
    "mon": [["09:00", "17:00"]],
    "tue": [["08:00", "12:30"], ["13:30", "18:00"]],
    "wed": [["09:00", "17:00"]],
    "thu": [["09:00", "17:00"]],
    "fri": [["09:00", "17:00"]],
}
RHYTHM = Rhythm(zone=LONDON, wake=time(7, 30), bed=time(22, 0))
CHECK_UP = PlannedVisit("follow_up/1", "Check-up", datetime(2026, 4, 10, 9, 0, tzinfo=UTC))
REVIEW = PlannedVisit("follow_up/2", "Final review", datetime(2026, 5, 22, 9, 0, tzinfo=UTC))


def bst(day: int, month: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=LONDON)


class TestOrder:
    @pytest.mark.parametrize(
        ("key", "at", "words"),
        [
            ("follow_up/2", CHECK_UP.at,
             "“Final review” must come after “Check-up” (Fri 10 Apr at 10:00)"),
            ("follow_up/2", bst(1, 4, 10), "must come after “Check-up”"),
            ("follow_up/1", REVIEW.at,
             "“Check-up” must come before “Final review” (Fri 22 May at 10:00)"),
            ("follow_up/1", bst(1, 6, 10), "book it earlier, or move “Final review” first"),
        ],
    )  # fmt: skip
    def test_a_visit_at_or_past_its_neighbour_is_out_of_order(
        self, key: str, at: datetime, words: str
    ) -> None:
        problem = out_of_order(key, at, [CHECK_UP, REVIEW], LONDON)
        assert problem is not None and words in problem

    @pytest.mark.parametrize(
        ("key", "at"),
        [
            ("follow_up/1", bst(21, 5, 10)),
            ("follow_up/2", bst(10, 4, 11)),
            ("follow_up/9", bst(1, 4, 9)),
        ],
    )
    def test_in_order_or_unplanned_is_fine(self, key: str, at: datetime) -> None:
        assert out_of_order(key, at, [CHECK_UP, REVIEW], LONDON) is None


class TestOpeningHours:
    @pytest.mark.parametrize(
        ("at", "sentence"),
        [
            (bst(12, 4, 10), "Riverside is closed on Sundays."),
            (bst(13, 4, 18, 30),
             "Riverside is open 09:00 to 17:00 on Mondays; 18:30 is outside those hours."),
            (bst(13, 4, 17),
             "Riverside is open 09:00 to 17:00 on Mondays; 17:00 is outside those hours."),
            (bst(14, 4, 13),
             "Riverside is open 08:00 to 12:30 and 13:30 to 18:00 on Tuesdays; "
             "13:00 is outside those hours."),
            (bst(13, 4, 9), None),
            (bst(14, 4, 13, 30), None),
        ],
    )  # fmt: skip
    def test_closed_days_and_hours_are_named(self, at: datetime, sentence: str | None) -> None:
        assert outside_hours(at, clinic_name="Riverside", hours=HOURS, zone=LONDON) == sentence

    def test_a_clinic_without_hours_is_always_open(self) -> None:
        assert outside_hours(bst(12, 4, 3), clinic_name="Riverside", hours={}, zone=LONDON) is None

    def test_hours_are_the_clinics_clock_not_the_callers(self) -> None:
        # 09:30 in New York is 14:30 in London: open.
        at = datetime(2026, 4, 13, 9, 30, tzinfo=ZoneInfo("America/New_York"))
        assert outside_hours(at, clinic_name="Riverside", hours=HOURS, zone=LONDON) is None


class TestNight:
    def test_the_patients_night_in_their_zone(self) -> None:
        assert in_patients_night(bst(13, 4, 23), RHYTHM) == (
            "That is 23:00 for the patient (Europe/London), in their night: "
            "they sleep from 22:00 to 07:30."
        )
        tokyo = Rhythm(zone=ZoneInfo("Asia/Tokyo"), wake=time(7, 30), bed=time(22, 0))
        night = in_patients_night(bst(13, 4, 15), tokyo)  # 23:00 in Tokyo
        assert night is not None and night.startswith("That is 23:00 for the patient (Asia/Tokyo)")

    @pytest.mark.parametrize("at", [bst(13, 4, 22), bst(13, 4, 7, 30), bst(13, 4, 12)])
    def test_bed_and_wake_time_themselves_are_day(self, at: datetime) -> None:
        assert in_patients_night(at, RHYTHM) is None


def test_both_warnings_come_in_order() -> None:
    found = warnings(
        bst(12, 4, 23), clinic_name="Riverside", hours=HOURS, clinic_zone=LONDON, rhythm=RHYTHM
    )
    assert [w.code for w in found] == [
        ErrorCode.BOOKING_OUTSIDE_HOURS,
        ErrorCode.BOOKING_IN_PATIENTS_NIGHT,
    ]
