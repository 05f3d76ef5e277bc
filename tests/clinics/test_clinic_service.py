"""When a new alert escalates: the clinic's minutes of opening time, never refused or endless."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.clinics.service import escalation_time
from app.staff.models import DEFAULT_OPENING_HOURS, Clinic

FRIDAY_EVENING = datetime(2026, 3, 27, 19, 0, tzinfo=UTC)  # 19:00 GMT, closed since 18:00


def clinic(**fields: object) -> Clinic:
    return Clinic.model_validate(
        {"name": "Riverside", "created_at": FRIDAY_EVENING, "alert_escalation_minutes": 15} | fields
    )


class TestEscalationTime:
    def test_after_hours_it_is_the_next_opening_plus_the_minutes(self) -> None:
        # Monday 30 March 08:00 BST is 07:00 UTC.
        assert escalation_time(clinic(), FRIDAY_EVENING) == datetime(2026, 3, 30, 7, 15, tzinfo=UTC)

    def test_the_clinics_own_zone_decides_when_it_opens(self) -> None:
        tokyo = clinic(time_zone="Asia/Tokyo")  # Saturday 04:00 in Tokyo: Monday 08:00 JST
        assert escalation_time(tokyo, FRIDAY_EVENING) == datetime(2026, 3, 29, 23, 15, tzinfo=UTC)

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
