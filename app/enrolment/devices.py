"""Signed-in phones: start one's session; a patient's as the clinic sees them: list, revoke."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.config import Settings
from app.enrolment.models import DevicePublic, DeviceSession
from app.errors import NotFound
from app.notifications.models import PushSubscription
from app.patients.models import Patient
from app.shared.tokens import new_token


def start_session(
    session: Session,
    *,
    patient_id: uuid.UUID,
    label: str,
    now: datetime,
    settings: Settings,
    carer_id: uuid.UUID | None = None,
) -> str:
    """A new device session showing the patient (a carer's, with `carer_id`); its token."""
    token, token_hash = new_token()
    session.add(
        DeviceSession(
            patient_id=patient_id,
            carer_id=carer_id,
            token_hash=token_hash,
            label=label[:120],
            created_at=now,
            last_seen_at=now,
            expires_at=now + settings.device_session_lifetime,
        )
    )
    session.flush()
    return token


def list_devices(session: Session, *, patient: Patient) -> list[DevicePublic]:
    """Every device session of the patient's own, newest first, ended ones included (carers'
    phones are listed with the carers)."""
    devices = session.exec(
        select(DeviceSession)
        .where(DeviceSession.patient_id == patient.id, col(DeviceSession.carer_id).is_(None))
        .order_by(col(DeviceSession.created_at).desc(), col(DeviceSession.id))
    ).all()
    with_push = set(
        session.exec(
            select(PushSubscription.device_session_id).where(
                col(PushSubscription.device_session_id).in_([d.id for d in devices])
            )
        ).all()
    )
    return [
        DevicePublic(
            id=device.id,
            label=device.label,
            created_at=device.created_at,
            last_seen_at=device.last_seen_at,
            expires_at=device.expires_at,
            revoked_at=device.revoked_at,
            push=device.id in with_push,
        )
        for device in devices
    ]


def revoke_device(
    session: Session, *, patient: Patient, device_id: uuid.UUID, now: datetime
) -> DeviceSession:
    """End the device's session and drop its push subscriptions; safe to repeat.

    NotFound also for a device of another patient, so ids cannot be probed across patients.
    """
    device = session.get(DeviceSession, device_id)
    if device is None or device.patient_id != patient.id or device.carer_id is not None:
        raise NotFound("No such device.")
    if device.revoked_at is None:
        device.revoked_at = now
        session.add(device)
    session.execute(
        delete(PushSubscription).where(col(PushSubscription.device_session_id) == device.id)
    )
    session.flush()
    return device
