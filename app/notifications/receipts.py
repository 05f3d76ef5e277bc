"""Delivery receipts: which reminders a device showed, and whether reminders reach a patient."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import Uuid, column, table
from sqlmodel import Session, col, func, select

from app.notifications.models import (
    DeliveryReceipt,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    PushSubscription,
    ReceiptEvent,
)
from app.patients.models import ReachPublic

# The device's label, read by table name: app.enrolment (which owns it) is a higher layer.
_DEVICE = table("device_session", column("id", Uuid), column("label"))
# Reminders sent this long ago and none shown since: they are not getting through.
REACH_WINDOW = timedelta(hours=48)
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
    """Store one receipt; the same (occurrence, event, device) again returns the first one."""
    device_session_id = None
    if endpoint:
        device_session_id = session.exec(
            select(PushSubscription.device_session_id).where(
                PushSubscription.endpoint == endpoint, PushSubscription.patient_id == patient_id
            )
        ).first()
    existing = session.exec(
        select(DeliveryReceipt).where(
            DeliveryReceipt.occurrence_id == occurrence_id,
            DeliveryReceipt.event == event.value,
            DeliveryReceipt.device_session_id == device_session_id,
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
    last 48 hours and no reminder has been shown since the first of those.
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
    subscribed = session.exec(
        select(PushSubscription.id).where(PushSubscription.patient_id == patient_id)
    ).first()
    if subscribed is None:
        return _reach(last_at, label, "No device is subscribed to reminders.")
    first_sent = session.exec(
        select(func.min(OutboxMessage.sent_at)).where(
            OutboxMessage.patient_id == patient_id,
            OutboxMessage.status == OutboxStatus.SENT.value,
            col(OutboxMessage.kind).not_in(STAFF_PUSHES),
            col(OutboxMessage.sent_at) >= now - REACH_WINDOW,
        )
    ).one()
    if first_sent is not None and (last_at is None or last_at < first_sent):
        return _reach(last_at, label, "Reminders were sent but none was shown.")
    return _reach(last_at, label, "")


def _reach(last_at: datetime | None, label: str, reason: str) -> ReachPublic:
    return ReachPublic(
        last_shown_at=last_at, last_shown_device=label, getting_through=not reason, reason=reason
    )
