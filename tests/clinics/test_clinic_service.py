"""When a new alert escalates: the clinic's minutes of opening time, never refused or endless."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.clinics.models import DEFAULT_OPENING_HOURS, Clinic
from app.clinics.service import escalation_time, is_open

FRIDAY_EVENING = datetime(2026, 3, 27, 19, 0, tzinfo=UTC)  # 19:00 GMT, closed since 18:00


def clinic(**fields: object) -> Clinic:
    return Clinic.model_validate(
        {"name": "Riverside", "created_at": FRIDAY_EVENING, "alert_escalation_minutes": 15} | fields
    )


class TestEscalationTime:
    def test_after_hours_it_is_plain_minutes_not_the_next_opening(self) -> None:
        # Not Monday 30 March 08:15 BST: out of hours the alert runs on the on-call clock.
        assert escalation_time(clinic(), FRIDAY_EVENING) == FRIDAY_EVENING + timedelta(minutes=15)

    def test_in_opening_hours_it_is_the_minutes(self) -> None:
        noon = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)
        assert escalation_time(clinic(), noon) == noon + timedelta(minutes=15)

    def test_when_the_clinic_closes_first_it_is_plain_minutes(self) -> None:
        before_closing = datetime(2026, 3, 27, 17, 55, tzinfo=UTC)  # closes 18:00 GMT
        assert escalation_time(clinic(), before_closing) == datetime(
            2026, 3, 27, 18, 10, tzinfo=UTC
        )

    def test_the_clinics_own_zone_decides_when_it_is_open(self) -> None:
        tokyo = clinic(time_zone="Asia/Tokyo")  # Saturday 04:00 in Tokyo: Monday 08:00 JST
        assert is_open(tokyo, FRIDAY_EVENING) == (False, datetime(2026, 3, 29, 23, 0, tzinfo=UTC))
        assert is_open(clinic(), datetime(2026, 3, 27, 12, 0, tzinfo=UTC)) == (
            True,
            datetime(2026, 3, 27, 18, 0, tzinfo=UTC),
        )

    def test_a_clinic_without_opening_hours_escalates_after_plain_minutes(self) -> None:
        closed = clinic(opening_hours={})
        assert escalation_time(closed, FRIDAY_EVENING) == FRIDAY_EVENING + timedelta(minutes=15)

    @pytest.mark.parametrize(
        "fields",
        [
            {"time_zone": "Nowhere/Special"},
            {"opening_hours": {"funday": [["08:00", "18:00"]]}},
            {"opening_hours": {"mon": [["18:00", "08:00"]]}},
        ],
    )
    def test_unusable_stored_settings_fall_back_to_plain_minutes(
        self, fields: dict[str, object]
    ) -> None:
        # Settings are validated when written; a broken row must still not refuse a report.
        broken = clinic(alert_escalation_minutes=20, **fields)
        assert escalation_time(broken, FRIDAY_EVENING) == FRIDAY_EVENING + timedelta(minutes=20)

    def test_the_default_hours_are_weekdays_eight_to_six(self) -> None:
        assert clinic().opening_hours == DEFAULT_OPENING_HOURS
        assert sorted(DEFAULT_OPENING_HOURS) == ["fri", "mon", "thu", "tue", "wed"]
