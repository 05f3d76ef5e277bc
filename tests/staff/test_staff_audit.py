"""The audit module: no free text in a detail, refusals bounded, unchanged reads once."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.clock import FixedClock
from app.db import transaction
from app.staff import audit
from app.staff.models import AuditEvent, StaffUser
from tests.support.factories import make_clinic_with_staff


def events(factory: sessionmaker[Session]) -> list[AuditEvent]:
    with factory() as session:
        return list(session.exec(select(AuditEvent).order_by(col(AuditEvent.id))))


@pytest.fixture
def nurse(factory: sessionmaker[Session], clock: FixedClock) -> StaffUser:
    return make_clinic_with_staff(factory, now=clock.now())[1]


class TestNoFreeText:
    @pytest.mark.parametrize(
        "detail",
        [
            {"q": "Zebedee"},
            {"reason": "Ann Lee asked to stay on v1"},
            {"sort": "Ann Lee"},  # a registered key, but not in its form
            {"staff_id": "not-a-uuid"},
            {"changes": {"name": "Ann"}},
            {"changed": ["Name With Capitals"]},
            {"bad key": 1},
            {"blob": b"bytes"},
        ],
    )
    def test_text_a_person_typed_is_refused(self, detail: dict[str, Any]) -> None:
        with pytest.raises(audit.FreeTextInAudit):
            audit.check_detail(detail)

    @pytest.mark.parametrize(
        "detail",
        [
            {"rows": 3, "search_length": 7, "sort": "-adherence", "alerts": None},
            {"staff_id": str(uuid.uuid4()), "changes": {"name": True, "role": "admin"}},
            {"key": "follow_up/1", "booked_at": "2026-04-13T14:30:00+01:00"},
            {"changed": ["alert_escalation_minutes", "time_zone"]},
            {"patient": 1, "occurrence": 40},
        ],
    )
    def test_ids_counts_flags_and_codes_pass(self, detail: dict[str, Any]) -> None:
        audit.check_detail(detail)

    def test_record_refuses_before_anything_is_added(
        self, factory: sessionmaker[Session], clock: FixedClock, nurse: StaffUser
    ) -> None:
        with transaction(factory) as session, pytest.raises(audit.FreeTextInAudit):
            audit.record(session, staff=nurse, action="x", now=clock.now(), detail={"q": "Ann"})
        assert events(factory) == []

    def test_without_text_keeps_numbers_and_flags_only(self) -> None:
        changes = {"name": "Ann", "on_call": False, "alert_escalation_minutes": 30}
        assert audit.without_text(changes) == {
            "name": True, "on_call": False, "alert_escalation_minutes": 30
        }  # fmt: skip


class TestRefusals:
    def test_one_row_each_in_a_transaction_of_its_own_up_to_the_bound(
        self, factory: sessionmaker[Session], clock: FixedClock, nurse: StaffUser
    ) -> None:
        def refuse() -> bool:
            return audit.record_refusal(
                factory, staff_id=nurse.id, clinic_id=nurse.clinic_id, action="patient.refused",
                now=clock.now(), ip="192.0.2.9", patient_id=None, detail={"status": 404},
            )  # fmt: skip

        assert all(refuse() for _ in range(audit.REFUSALS_PER_MINUTE))
        assert refuse() is False  # a scan: its first rows already say so
        assert len(events(factory)) == audit.REFUSALS_PER_MINUTE
        clock.advance(timedelta(minutes=1, seconds=1))
        assert refuse() is True
        last = events(factory)[-1]
        assert (last.staff_id, last.clinic_id, last.ip) == (nurse.id, nurse.clinic_id, "192.0.2.9")


class TestUnchangedReads:
    def test_the_same_answer_is_recorded_once_in_a_while(
        self, factory: sessionmaker[Session], clock: FixedClock, nurse: StaffUser
    ) -> None:
        def read(shown: str) -> bool:
            with transaction(factory) as session:
                return audit.record_unless_unchanged(
                    session, staff=nurse, action="alerts.list", now=clock.now(), ip="",
                    detail={"rows": 1, "digest": audit.digest([shown])},
                )  # fmt: skip

        assert read("a:open") is True
        clock.advance(timedelta(seconds=5))
        assert read("a:open") is False  # the console's next poll
        assert read("a:acknowledged") is True  # something else was shown
        clock.advance(audit.UNCHANGED_READ_INTERVAL)
        assert read("a:acknowledged") is True  # still there, and said so again
        assert len(events(factory)) == 3
