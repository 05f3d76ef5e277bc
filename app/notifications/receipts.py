"""Delivery receipts: which reminders a device showed, and whether reminders reach a patient."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Uuid, column, exists, or_, table
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col, func, select

from app.notifications.models import (
    DeliveryReceipt,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    PushSubscription,
    ReceiptEvent,
)
from app.patients.carers import CarerLink
from app.patients.models import ReachPublic

# The device's label, read by table name: app.enrolment (which owns it) is a higher layer.
_DEVICE = table("device_session", column("id", Uuid), column("label"))
# A patient's id: a value, or the column in an outer query (the patient list's Patient.id).
PatientRef = ColumnElement[uuid.UUID] | Mapped[uuid.UUID] | uuid.UUID
# Reminders sent this long ago and none shown since: they are not getting through.
REACH_WINDOW = timedelta(hours=48)
# A receipt repeated within this is the same showing reported twice; after it, a new one (the
# shortest gap between two pushes of one reminder is a snooze, 30 minutes).
REPEAT = timedelta(minutes=5)
# Alert pushes carry the patient they are about but go to staff devices.
STAFF_PUSHES = (OutboxKind.ALERT.value, OutboxKind.ALERT_ESCALATION.value)


def record(
    session: Session,
    *,
    patient_id: uuid.UUID,
    occurrence_id: uuid.UUID,
    event: ReceiptEvent,
    endpoint: str | None,
    now: datetime,
) -> DeliveryReceipt:
    """Store one receipt; the same (occurrence, event, device) again within REPEAT returns the
    first one (a worker's retry). Later it is a new showing: the reminder snoozed, or moved."""
    device_session_id = None
    if endpoint:
        device_session_id = session.exec(
            select(PushSubscription.device_session_id).where(
                PushSubscription.endpoint == endpoint, _reaches(patient_id)
            )
        ).first()
    existing = session.exec(
        select(DeliveryReceipt).where(
            DeliveryReceipt.occurrence_id == occurrence_id,
            DeliveryReceipt.event == event.value,
            DeliveryReceipt.device_session_id == device_session_id,
            col(DeliveryReceipt.at) > now - REPEAT,
        )
    ).first()
    if existing is not None:
        return existing
    row = DeliveryReceipt(
        patient_id=patient_id,
        occurrence_id=occurrence_id,
        device_session_id=device_session_id,
        event=event.value,
        at=now,
    )
    session.add(row)
    session.commit()
    return row


def shown_after(session: Session, occurrence_id: uuid.UUID, since: datetime) -> bool:
    """True if a push for this occurrence was shown on any device at or after `since`.

    For fallbacks ("a push not shown within 10 minutes goes by e-mail"): pass the send time.
    """
    found = session.exec(
        select(DeliveryReceipt.id).where(
            DeliveryReceipt.occurrence_id == occurrence_id,
            DeliveryReceipt.event == ReceiptEvent.SHOWN.value,
            col(DeliveryReceipt.at) >= since,
        )
    ).first()
    return found is not None


def last_shown_on(session: Session, device_session_id: uuid.UUID) -> datetime | None:
    """When this device last reported a reminder shown (None: never)."""
    latest: datetime | None = session.exec(
        select(func.max(DeliveryReceipt.at)).where(
            DeliveryReceipt.device_session_id == device_session_id,
            DeliveryReceipt.event == ReceiptEvent.SHOWN.value,
        )
    ).one()
    return latest


def reach(session: Session, patient_id: uuid.UUID, now: datetime) -> ReachPublic:
    """The patient's last shown reminder, and whether reminders are getting through.

    Not getting through: no device subscribed to reminders, or a reminder was sent in the
    last 48 hours and no reminder has been shown since.
    """
    shown = session.exec(
        select(DeliveryReceipt.at, _DEVICE.c.label)
        .join(_DEVICE, _DEVICE.c.id == DeliveryReceipt.device_session_id, isouter=True)
        .where(
            DeliveryReceipt.patient_id == patient_id,
            DeliveryReceipt.event == ReceiptEvent.SHOWN.value,
        )
        .order_by(col(DeliveryReceipt.at).desc())
        .limit(1)
    ).first()
    last_at, label = (shown[0], shown[1] or "") if shown else (None, "")
    subscribed = session.exec(select(_subscribed(patient_id))).one()
    if not subscribed:
        return _reach(last_at, label, "No device is subscribed to reminders.")
    if session.exec(select(_unseen(patient_id, now))).one():
        return _reach(last_at, label, "Reminders were sent but none was shown.")
    return _reach(last_at, label, "")


def not_getting_through(patient_id: PatientRef, now: datetime) -> ColumnElement[bool]:
    """SQL for "reminders are not getting through" (as `reach`), to filter the patient list.

    No device subscribed, or a reminder sent in the last 48 hours with none shown since.
    """
    return or_(~_subscribed(patient_id), _unseen(patient_id, now))


def _subscribed(patient_id: PatientRef) -> ColumnElement[bool]:
    """A device gets the patient's reminders: one of theirs, or a carer's they chose."""
    return exists().where(_reaches(patient_id))


def _reaches(patient_id: PatientRef) -> ColumnElement[bool]:
    """The subscription is the patient's, or a carer's who gets their reminders."""
    helping = select(CarerLink.carer_id).where(
        col(CarerLink.patient_id) == patient_id,
        col(CarerLink.removed_at).is_(None),
        col(CarerLink.reminders).is_(True),
    )
    return or_(
        col(PushSubscription.patient_id) == patient_id,
        col(PushSubscription.carer_id).in_(helping),
    )


def _unseen(patient_id: PatientRef, now: datetime) -> ColumnElement[bool]:
    """A reminder sent in the window after which no reminder was shown on any device."""
    shown_since = exists().where(
        col(DeliveryReceipt.patient_id) == patient_id,
        col(DeliveryReceipt.event) == ReceiptEvent.SHOWN.value,
        col(DeliveryReceipt.at) >= OutboxMessage.sent_at,
    )
    return exists().where(
        col(OutboxMessage.patient_id) == patient_id,
        col(OutboxMessage.status) == OutboxStatus.SENT.value,
        col(OutboxMessage.kind).not_in(STAFF_PUSHES),
        col(OutboxMessage.sent_at) >= now - REACH_WINDOW,
        ~shown_since,
    )


def _reach(last_at: datetime | None, label: str, reason: str) -> ReachPublic:
    return ReachPublic(
        last_shown_at=last_at, last_shown_device=label, getting_through=not reason, reason=reason
    )
