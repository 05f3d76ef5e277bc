"""Marking a report seen: the first one stands, the reply is checked, the patient's push is
queued once, in their words and on their clock; urgent ones go through the night."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.clinics.models import Clinic
from app.clock import FixedClock
from app.config import Settings
from app.db import transaction
from app.error_codes import ErrorCode
from app.errors import InvalidInput
from app.notifications.models import REPORT_NOTICES, OutboxKind, OutboxMessage, OutboxStatus
from app.patients.models import Patient
from app.reports.models import ReportCreate, SymptomReport
from app.reports.seen import SEEN_PUSH_LIFETIME, mark_seen, seen_text
from app.reports.service import submit
from app.staff.models import StaffUser
from tests.support.factories import add_staff, make_clinic_with_staff, make_patient

# Thursday 2 April 2026, 08:12 UTC: 9:12 in London (BST).
SEEN = datetime(2026, 4, 2, 8, 12, tzinfo=UTC)


class Clinic1:
    """Ada of Riverside, her reports, and two nurses who may see them."""

    def __init__(self, factory: sessionmaker[Session], clock: FixedClock, settings: Settings):
        self.factory = factory
        self.clinic, unnamed = make_clinic_with_staff(factory, now=clock.now())
        self.patel = add_staff(
            factory, colleague_of=unnamed.email, email="patel@riverside.example",
            now=clock.now(), name="Nurse Patel",
        )  # fmt: skip
        self.unnamed = unnamed
        self.patient, _ = make_patient(
            factory, clinic=self.clinic, staff=unnamed, now=clock.now(), settings=settings
        )
        self.now = clock.now()

    def report(self, **fields: object) -> uuid.UUID:
        with transaction(self.factory) as session:
            patient = session.get(Patient, self.patient.id)
            clinic = session.get(Clinic, self.clinic.id)
            assert patient is not None and clinic is not None
            data = ReportCreate.model_validate({"client_id": str(uuid.uuid4())} | fields)
            report, _ = submit(session, patient=patient, clinic=clinic, data=data, now=self.now)
            return report.id

    def see(self, report_id: uuid.UUID, by: StaffUser, reply: str, now: datetime) -> bool:
        with transaction(self.factory) as session:
            report, staff = session.get(SymptomReport, report_id), session.get(StaffUser, by.id)
            assert report is not None and staff is not None
            return mark_seen(session, report=report, staff=staff, reply=reply, now=now)

    def stored(self, report_id: uuid.UUID) -> SymptomReport:
        with self.factory() as session:
            report = session.get(SymptomReport, report_id)
            assert report is not None
            return report

    def pushes(self) -> list[OutboxMessage]:
        with self.factory() as session:
            return list(
                session.exec(
                    select(OutboxMessage)
                    .where(col(OutboxMessage.kind).in_(REPORT_NOTICES))
                    .order_by(col(OutboxMessage.id))
                ).all()
            )


@pytest.fixture
def riverside(factory: sessionmaker[Session], clock: FixedClock, settings: Settings) -> Clinic1:
    return Clinic1(factory, clock, settings)


def test_the_first_seen_stands_with_its_reply(riverside: Clinic1) -> None:
    report_id = riverside.report(pain=2)
    assert riverside.see(report_id, riverside.patel, "  We will call you this morning. ", SEEN)
    later = SEEN + timedelta(minutes=5)
    assert not riverside.see(report_id, riverside.unnamed, "Another reply", later)
    assert not riverside.see(report_id, riverside.unnamed, "", later)
    stored = riverside.stored(report_id)
    assert (stored.seen_at, stored.seen_by) == (SEEN, riverside.patel.id)
    assert stored.reply == "We will call you this morning."


def test_a_first_seen_without_reply_stays_without_one(riverside: Clinic1) -> None:
    report_id = riverside.report(pain=2)
    assert riverside.see(report_id, riverside.patel, "", SEEN)
    assert not riverside.see(report_id, riverside.patel, "Added later", SEEN + timedelta(hours=1))
    assert riverside.stored(report_id).reply == ""
    assert len(riverside.pushes()) == 1


def test_a_reply_over_500_characters_is_refused_in_plain_words(riverside: Clinic1) -> None:
    report_id = riverside.report(pain=2)
    with pytest.raises(InvalidInput) as refused:
        riverside.see(report_id, riverside.patel, "x" * 501, SEEN)
    assert refused.value.code == ErrorCode.REPLY_TOO_LONG
    assert "at most 500" in str(refused.value)
    assert riverside.stored(report_id).seen_at is None
    assert riverside.pushes() == []
    assert riverside.see(report_id, riverside.patel, "x" * 500, SEEN)  # 500 is allowed


def test_the_push_is_queued_once_in_the_patients_words_and_clock(riverside: Clinic1) -> None:
    report_id = riverside.report(pain=2)
    riverside.see(report_id, riverside.patel, "We will call you this morning.", SEEN)
    riverside.see(report_id, riverside.patel, "Again", SEEN + timedelta(minutes=1))
    [push] = riverside.pushes()
    assert push.kind == OutboxKind.REPORT_SEEN  # routine: waits for the patient's morning
    assert (push.report_id, push.patient_id) == (report_id, riverside.patient.id)
    assert push.text == "Seen by Nurse Patel at 9:12: We will call you this morning."
    assert (push.status, push.due_at) == (OutboxStatus.PENDING, SEEN)
    assert push.expires_at == SEEN + SEEN_PUSH_LIFETIME


def test_an_urgent_reports_push_is_of_the_kind_that_goes_at_night(riverside: Clinic1) -> None:
    report_id = riverside.report(signs=["fever"])
    riverside.see(report_id, riverside.unnamed, "", SEEN)
    [push] = riverside.pushes()
    assert push.kind == OutboxKind.REPORT_SEEN_URGENT
    # An account without a name is "the clinic" to the patient, never its e-mail address.
    assert push.text == "Your report was seen by the clinic at 9:12."


def test_the_time_is_on_the_patients_clock() -> None:
    winter = datetime(2026, 1, 5, 21, 7, tzinfo=UTC)
    assert seen_text(name="N", at=winter, zone_name="Europe/London", reply="") == (
        "Your report was seen by N at 21:07."
    )
    assert seen_text(name="N", at=winter, zone_name="America/New_York", reply="Fine") == (
        "Seen by N at 16:07: Fine"
    )


def test_the_push_is_in_the_patients_language_with_their_clock() -> None:
    winter = datetime(2026, 1, 5, 8, 7, tzinfo=UTC)
    assert seen_text(name="N", at=winter, zone_name="Europe/Warsaw", reply="", language="pl") == (
        "Twoje zgłoszenie zostało odczytane o 9:07 przez: N."
    )
    assert seen_text(
        name="N", at=winter, zone_name="Europe/Warsaw", reply="Dobrze", language="qps-ploc"
    ).startswith("⟦Šééñ ƀý N àţ 9:07: Dobrze")
