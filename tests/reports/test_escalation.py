"""Escalation: an alert still open at its escalate_at is marked once and queued for every device."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.clinics.models import Clinic
from app.clock import FixedClock
from app.config import Settings
from app.db import transaction
from app.notifications.models import OutboxKind, OutboxMessage, OutboxStatus
from app.patients.models import Patient
from app.reports import alerts
from app.reports.escalation import BATCH, escalate_due
from app.reports.models import Alert, ReportCreate
from app.reports.service import submit
from tests.support.factories import make_clinic_with_staff, make_patient

MINUTE = timedelta(minutes=1)


class Riverside:
    """A clinic open weekdays 08:00-18:00 London, 15 minutes to escalate, one patient; the
    pinned now is Friday 27 March 2026 12:00 GMT, so an alert raised now escalates 12:15."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        clock: FixedClock,
        settings: Settings,
        name: str = "Riverside Vein Clinic",
    ) -> None:
        self.factory, self.clock = factory, clock
        self.clinic, self.nurse = make_clinic_with_staff(
            factory, now=clock.now(), clinic_name=name, email=f"nurse@{uuid.uuid4().hex}.example"
        )
        self.patient, _ = make_patient(
            factory, clinic=self.clinic, staff=self.nurse, now=clock.now(), settings=settings
        )

    def raise_alert(self, *, pain: int = 9, signs: tuple[str, ...] = ()) -> Alert:
        """A report through the real service: urgent (pain 9) or emergency (by sign)."""
        data = ReportCreate(client_id=uuid.uuid4(), pain=pain, signs=list(signs))
        with transaction(self.factory) as session:
            patient = session.get(Patient, self.patient.id)
            clinic = session.get(Clinic, self.clinic.id)
            assert patient is not None and clinic is not None
            submit(session, patient=patient, clinic=clinic, data=data, now=self.clock.now())
            return session.exec(
                select(Alert).where(Alert.patient_id == patient.id).order_by(col(Alert.created_at))
            ).all()[-1]

    def acknowledge(self, alert: Alert) -> None:
        with transaction(self.factory) as session:
            alerts.acknowledge(
                session, clinic_id=self.clinic.id, alert_id=alert.id, staff_id=self.nurse.id,
                note="Called her back.", now=self.clock.now(),
            )  # fmt: skip


def escalate(factory: sessionmaker[Session], now: datetime) -> int:
    with transaction(factory) as session:
        return escalate_due(session, now=now)


def alert_now(factory: sessionmaker[Session], alert_id: uuid.UUID) -> Alert:
    with factory() as session:
        found = session.get(Alert, alert_id)
        assert found is not None
        return found


def pushes(factory: sessionmaker[Session], kind: OutboxKind) -> list[OutboxMessage]:
    with factory() as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == kind)
        return list(session.exec(query.order_by(col(OutboxMessage.id))).all())


class TestRaising:
    def test_a_new_alert_has_its_escalation_time_and_a_push_queued_now(
        self, factory: sessionmaker[Session], clock: FixedClock, settings: Settings
    ) -> None:
        riverside = Riverside(factory, clock, settings)
        alert = riverside.raise_alert()
        assert alert.escalate_at == clock.now() + 15 * MINUTE
        assert alert.escalated_at is None
        [push] = pushes(factory, OutboxKind.ALERT)
        assert push.alert_id == alert.id
        assert push.patient_id == riverside.patient.id
        assert push.occurrence_id is None
        assert push.status == OutboxStatus.PENDING
        assert push.due_at == push.next_attempt_at == clock.now()
        assert push.expires_at == clock.now() + timedelta(days=1)

    def test_a_routine_report_raises_nothing(
        self, factory: sessionmaker[Session], clock: FixedClock, settings: Settings
    ) -> None:
        riverside = Riverside(factory, clock, settings)
        with transaction(factory) as session:
            patient = session.get(Patient, riverside.patient.id)
            clinic = session.get(Clinic, riverside.clinic.id)
            assert patient is not None and clinic is not None
            data = ReportCreate(client_id=uuid.uuid4(), pain=2)
            submit(session, patient=patient, clinic=clinic, data=data, now=clock.now())
        with factory() as session:
            assert session.exec(select(Alert)).all() == []
        assert pushes(factory, OutboxKind.ALERT) == []


class TestEscalateDue:
    def test_nothing_escalates_before_its_time(
        self, factory: sessionmaker[Session], clock: FixedClock, settings: Settings
    ) -> None:
        alert = Riverside(factory, clock, settings).raise_alert()
        assert escalate(factory, clock.now() + 15 * MINUTE - timedelta(seconds=1)) == 0
        assert alert_now(factory, alert.id).escalated_at is None
        assert pushes(factory, OutboxKind.ALERT_ESCALATION) == []

    def test_an_open_alert_escalates_once_at_its_time(
        self, factory: sessionmaker[Session], clock: FixedClock, settings: Settings
    ) -> None:
        riverside = Riverside(factory, clock, settings)
        alert = riverside.raise_alert()
        due = clock.now() + 15 * MINUTE
        assert escalate(factory, due) == 1
        assert alert_now(factory, alert.id).escalated_at == due
        assert alert_now(factory, alert.id).status == alerts.OPEN  # still someone's to handle
        [push] = pushes(factory, OutboxKind.ALERT_ESCALATION)
        assert (push.alert_id, push.patient_id) == (alert.id, riverside.patient.id)
        assert push.due_at == due
        assert push.status == OutboxStatus.PENDING
        # Idempotent: later runs find nothing more to do.
        assert escalate(factory, due) == 0
        assert escalate(factory, due + 60 * MINUTE) == 0
        assert alert_now(factory, alert.id).escalated_at == due
        assert len(pushes(factory, OutboxKind.ALERT_ESCALATION)) == 1

    def test_an_acknowledged_alert_never_escalates(
        self, factory: sessionmaker[Session], clock: FixedClock, settings: Settings
    ) -> None:
        riverside = Riverside(factory, clock, settings)
        alert = riverside.raise_alert()
        riverside.acknowledge(alert)
        assert escalate(factory, clock.now() + timedelta(days=30)) == 0
        assert alert_now(factory, alert.id).escalated_at is None
        assert pushes(factory, OutboxKind.ALERT_ESCALATION) == []

    def test_each_alert_escalates_at_its_own_time(
        self, factory: sessionmaker[Session], clock: FixedClock, settings: Settings
    ) -> None:
        riverside = Riverside(factory, clock, settings)
        hill = Riverside(factory, clock, settings, name="Hill Clinic")
        first = riverside.raise_alert()
        clock.advance(10 * MINUTE)
        second = hill.raise_alert(signs=("chest_pain_breathless",))
        assert escalate(factory, first.escalate_at or clock.now()) == 1
        assert alert_now(factory, second.id).escalated_at is None
        assert escalate(factory, second.escalate_at or clock.now()) == 1
        assert [p.alert_id for p in pushes(factory, OutboxKind.ALERT_ESCALATION)] == [
            first.id,
            second.id,
        ]

    def test_an_alert_raised_after_hours_escalates_after_plain_minutes_not_at_opening(
        self, factory: sessionmaker[Session], clock: FixedClock, settings: Settings
    ) -> None:
        # Out of hours the on-call staff have it at once; it must not wait for Monday 08:15.
        riverside = Riverside(factory, clock, settings)
        clock.set(datetime(2026, 3, 27, 22, 0, tzinfo=clock.now().tzinfo))  # Friday 22:00 GMT
        alert = riverside.raise_alert()
        due = datetime(2026, 3, 27, 22, 15, tzinfo=clock.now().tzinfo)
        assert alert.escalate_at == due
        [push] = pushes(factory, OutboxKind.ALERT)
        assert push.due_at == clock.now()  # pushed at once, closed or not
        assert escalate(factory, due - MINUTE) == 0
        assert escalate(factory, due) == 1

    def test_an_alert_raised_just_before_closing_escalates_after_plain_minutes(
        self, factory: sessionmaker[Session], clock: FixedClock, settings: Settings
    ) -> None:
        riverside = Riverside(factory, clock, settings)
        clock.set(datetime(2026, 3, 27, 17, 55, tzinfo=clock.now().tzinfo))  # closes 18:00 GMT
        alert = riverside.raise_alert()
        assert alert.escalate_at == datetime(2026, 3, 27, 18, 10, tzinfo=clock.now().tzinfo)

    def test_a_backlog_is_taken_a_batch_at_a_time(
        self, factory: sessionmaker[Session], clock: FixedClock, settings: Settings
    ) -> None:
        riverside = Riverside(factory, clock, settings)
        for _ in range(BATCH + 3):
            riverside.raise_alert()
        later = clock.now() + timedelta(hours=1)
        assert escalate(factory, later) == BATCH
        assert escalate(factory, later) == 3
        assert escalate(factory, later) == 0
        assert len(pushes(factory, OutboxKind.ALERT_ESCALATION)) == BATCH + 3
