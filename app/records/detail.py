"""The patient page's header: the record with its enrolment and device state."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from app.enrolment.service import active_device_count, link_state, newest_link
from app.i18n.languages import name_of
from app.notifications.models import Channel, OutboxKind, OutboxMessage, OutboxStatus
from app.notifications.receipts import reach
from app.patients.models import (
    Patient,
    PatientDetail,
    ReminderChannelPublic,
    TreatmentPublic,
)
from app.patients.protocols import ProtocolSource
from app.patients.reminder_channel import channel_of
from app.patients.service import staff_name, treatments_of


def detail_of(
    session: Session,
    *,
    patient: Patient,
    protocols: ProtocolSource,
    now: datetime,
    offered: frozenset[str] = frozenset(),
) -> PatientDetail:
    """The patient page's header: profile, treatments, enrolment and device state, checks,
    the protocol version the plan follows beside the versions available, and the second way
    to be reminded with the latest e-mail or text that could not be delivered."""
    link = newest_link(session, patient=patient)
    versions = protocols.available(patient.protocol)
    state = link_state(link, now) if link else "none"
    return PatientDetail(
        id=patient.id,
        name=patient.name,
        phone=patient.phone,
        email=patient.email,
        notes=patient.notes,
        time_zone=patient.time_zone,
        wake_time=patient.wake_time,
        bed_time=patient.bed_time,
        stockings_advised=patient.stockings_advised,
        show_task_titles=patient.show_task_titles,
        language=patient.language,
        language_name=name_of(patient.language),
        protocol=patient.protocol,
        protocol_version=patient.protocol_version,
        protocol_versions=versions,
        protocol_newest_version=versions[-1],
        treatments=[
            TreatmentPublic.model_validate(t, from_attributes=True)
            for t in treatments_of(session, patient)
        ],
        enrolment_status=state,
        enrolment_expires_at=link.expires_at if link and state == "active" else None,
        active_devices=active_device_count(session, patient=patient, now=now),
        doppler_checked_at=patient.doppler_checked_at,
        doppler_checked_by_name=staff_name(session, patient.doppler_checked_by),
        last_active_at=patient.last_active_at,
        created_at=patient.created_at,
        reminders_by=_reminders_by(session, patient, offered),
        reach=reach(session, patient.id, now),
    )


def _reminders_by(
    session: Session, patient: Patient, offered: frozenset[str]
) -> ReminderChannelPublic:
    shown = channel_of(patient, offered)
    failed = session.exec(
        select(OutboxMessage)
        .where(
            OutboxMessage.patient_id == patient.id,
            OutboxMessage.channel != Channel.PUSH,
            OutboxMessage.kind == OutboxKind.REMINDER,  # not an alert's e-mail to staff
            OutboxMessage.status == OutboxStatus.FAILED,
        )
        .order_by(col(OutboxMessage.next_attempt_at).desc())
        .limit(1)
    ).first()
    if failed is not None:
        shown.problem = f"{failed.channel}: {failed.last_error}"
        shown.problem_at = failed.next_attempt_at
    return shown
