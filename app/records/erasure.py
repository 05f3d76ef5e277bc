"""Erase a patient: every row about them goes, the audit trail stays."""

from __future__ import annotations

from sqlalchemy import Delete, delete, or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.enrolment import carer_devices
from app.enrolment.models import DeviceSession, EnrolmentLink
from app.error_codes import ErrorCode
from app.errors import InvalidInput
from app.notifications.models import DeliveryReceipt, OutboxMessage, PushSubscription
from app.patients.carers import Carer, CarerLink
from app.patients.models import AppointmentBooking, Patient, Treatment
from app.reports.models import Alert, SymptomReport
from app.tasks.models import Occurrence


def check_confirmation(patient: Patient, confirm_name: str) -> None:
    """The admin types the patient's name exactly: a wrong page or a slip erases nothing.

    Exact, not case-blind: two patients "Ann Lee" and "Ann lee" must not be confusable here.
    """
    if confirm_name != patient.name:
        raise InvalidInput(
            "The name typed does not match the patient's name; nothing was erased.",
            code=ErrorCode.CONFIRMATION_MISMATCH,
        )


def erase_patient(session: Session, *, patient: Patient) -> dict[str, int]:
    """Delete the patient and everything of theirs; how many rows went, by table.

    The foreign keys cascade on both databases, but each table is emptied explicitly,
    children first, so erasure does not depend on a connection having foreign keys on
    (SQLite's are per connection) and the counts say what went. Audit events have no
    foreign key to the patient: they stay, as the record of who saw and changed what.
    """
    pid = patient.id
    # Lock the patient first: a concurrent write for them waits, then finds them gone.
    session.exec(select(Patient).where(Patient.id == pid).with_for_update()).one()
    alerts = select(Alert.id).where(Alert.patient_id == pid)
    occurrences = select(Occurrence.id).where(Occurrence.patient_id == pid)
    devices = select(DeviceSession.id).where(DeviceSession.patient_id == pid)
    # Carers' phones showing the patient go to another person they help first (or go below).
    for link in session.exec(
        select(CarerLink).where(CarerLink.patient_id == pid, col(CarerLink.removed_at).is_(None))
    ).all():
        carer_devices.switch_away(session, carer_link=link)
    helpers = select(CarerLink.carer_id).where(CarerLink.patient_id == pid)
    # The patient's carers who help nobody else: nothing of theirs is kept.
    lone = (
        select(Carer.id)
        .where(col(Carer.id).in_(helpers))
        .where(~col(Carer.id).in_(select(CarerLink.carer_id).where(CarerLink.patient_id != pid)))
    )
    lone_ids = list(session.exec(lone).all())
    statements: list[tuple[str, Delete]] = [
        (
            "outbox_message",
            delete(OutboxMessage).where(
                or_(
                    col(OutboxMessage.patient_id) == pid,
                    col(OutboxMessage.alert_id).in_(alerts),
                    col(OutboxMessage.occurrence_id).in_(occurrences),
                )
            ),
        ),
        (
            "delivery_receipt",
            delete(DeliveryReceipt).where(col(DeliveryReceipt.patient_id) == pid),
        ),
        (
            "push_subscription",
            delete(PushSubscription).where(
                or_(
                    col(PushSubscription.patient_id) == pid,
                    col(PushSubscription.device_session_id).in_(devices),
                    col(PushSubscription.carer_id).in_(lone_ids),
                )
            ),
        ),
        (
            "device_session",
            delete(DeviceSession).where(
                or_(col(DeviceSession.patient_id) == pid, col(DeviceSession.carer_id).in_(lone_ids))
            ),
        ),
        ("enrolment_link", delete(EnrolmentLink).where(col(EnrolmentLink.patient_id) == pid)),
        ("carer_link", delete(CarerLink).where(col(CarerLink.patient_id) == pid)),
        ("carer", delete(Carer).where(col(Carer.id).in_(lone_ids))),
        ("alert", delete(Alert).where(col(Alert.patient_id) == pid)),
        ("symptom_report", delete(SymptomReport).where(col(SymptomReport.patient_id) == pid)),
        ("occurrence", delete(Occurrence).where(col(Occurrence.patient_id) == pid)),
        (
            "appointment_booking",
            delete(AppointmentBooking).where(col(AppointmentBooking.patient_id) == pid),
        ),
        ("treatment", delete(Treatment).where(col(Treatment.patient_id) == pid)),
        ("patient", delete(Patient).where(col(Patient.id) == pid)),
    ]
    counts = {}
    for table, statement in statements:
        # Core-style: rows not in the session need no syncing, and the patient is expunged.
        result = session.execute(statement.execution_options(synchronize_session=False))
        counts[table] = int(result.rowcount)  # type: ignore[attr-defined]
    session.expunge(patient)  # the row is gone: nothing may write it back
    return counts


def checkpoint_after_erasure(engine: Engine) -> None:
    """SQLite: copy the WAL into the file and empty it, once the erasure has committed.

    secure_delete zeroes the freed space in the pages the erasure wrote, but the WAL still
    holds older images of those pages (with the name) until it is next reset. A TRUNCATE
    checkpoint moves the zeroed pages into the file and empties the WAL now. Best effort:
    while a reader holds an old snapshot it does what it can and the WAL is reset later, as
    usual. PostgreSQL has no counterpart (docs/security/erasure.md: plain VACUUM leaves the
    bytes in the page; only a rewrite, VACUUM FULL, removes them from the table's file).
    """
    if engine.dialect.name != "sqlite":
        return
    # A raw connection: outside any transaction (the engine's begins are BEGIN IMMEDIATE).
    connection = engine.raw_connection()
    try:
        connection.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
    finally:
        connection.close()
