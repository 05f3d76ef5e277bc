"""The patient page's header: the record with its enrolment and device state."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from app.enrolment.service import active_device_count, link_state, newest_link
from app.notifications.receipts import reach
from app.patients.models import (
    Patient,
    PatientDetail,
    TreatmentPublic,
)
from app.patients.protocols import ProtocolSource
from app.patients.service import staff_name, treatments_of


def detail_of(
    session: Session, *, patient: Patient, protocols: ProtocolSource, now: datetime
) -> PatientDetail:
    """The patient page's header: profile, treatments, enrolment and device state, checks,
    and the protocol version the plan follows beside the versions available."""
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
        reach=reach(session, patient.id, now),
    )
