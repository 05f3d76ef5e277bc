"""The patient's full record as one JSON document (a subject access request, a handover)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar
from typing import Protocol as Structural
from urllib.parse import urlsplit
from uuid import UUID

from sqlmodel import Session, col, select

from app.appointments.bookings import list_appointments
from app.enrolment.models import DeviceSession, EnrolmentLink
from app.enrolment.service import link_state
from app.notifications.models import OutboxMessage, PushSubscription
from app.patients.carers import CarerLink
from app.patients.models import AppointmentBooking, Patient
from app.patients.protocols import ProtocolSource
from app.patients.service import treatments_of
from app.reports.models import Alert, SymptomReport
from app.staff.models import AuditEvent, StaffUser
from app.tasks.service import list_all, status_of

EXPORT_FORMAT = "aftercare.patient-export"
EXPORT_VERSION = 1


def _origin(url: str) -> str:
    """scheme://host[:port] of a push endpoint: which service, not the device's own address."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class _PatientRow(Structural):
    """A table row that belongs to one patient."""

    patient_id: Any  # UUID, or UUID | None where a row may belong to staff instead


_Row = TypeVar("_Row", bound=_PatientRow)


def _of_patient(session: Session, model: type[_Row], pid: UUID, order: Any) -> Sequence[_Row]:
    """The model's rows of the patient, sorted by the `order` column."""
    return session.exec(select(model).where(model.patient_id == pid).order_by(col(order))).all()


def build_export(
    session: Session, *, patient: Patient, protocols: ProtocolSource, now: datetime
) -> dict[str, Any]:
    """Everything stored about the patient, secrets left out (JSON-ready, datetimes in UTC).

    Tables of the patient's own data go out whole (a new column is exported without a code
    change). Links, devices and subscriptions are listed field by field: their code and token
    hashes and push keys are credentials, not data about the patient. The audit trail of who
    saw and changed the record goes too, without the staff's network addresses.
    """
    pid = patient.id
    links = _of_patient(session, EnrolmentLink, pid, EnrolmentLink.created_at)
    devices = _of_patient(session, DeviceSession, pid, DeviceSession.created_at)
    subscriptions = _of_patient(session, PushSubscription, pid, PushSubscription.created_at)
    reports = _of_patient(session, SymptomReport, pid, SymptomReport.created_at)
    alerts = _of_patient(session, Alert, pid, Alert.created_at)
    bookings = _of_patient(session, AppointmentBooking, pid, AppointmentBooking.key)
    carers = _of_patient(session, CarerLink, pid, CarerLink.created_at)
    messages = _of_patient(session, OutboxMessage, pid, OutboxMessage.id)
    events = session.exec(
        select(AuditEvent, StaffUser.email)
        .join(StaffUser, col(StaffUser.id) == AuditEvent.staff_id, isouter=True)
        .where(AuditEvent.patient_id == pid)
        .order_by(col(AuditEvent.id))
    ).all()
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": now.isoformat(),
        "patient": patient.model_dump(mode="json"),
        "treatments": [t.model_dump(mode="json") for t in treatments_of(session, patient)],
        "occurrences": [
            row.model_dump(mode="json") | {"status": status_of(row, now)}
            for row in list_all(session, patient=patient)
        ],
        "appointments": [
            item.model_dump(mode="json")
            for item in list_appointments(session, patient=patient, protocols=protocols)
        ],
        "appointment_bookings": [b.model_dump(mode="json") for b in bookings],
        "reports": [r.model_dump(mode="json") for r in reports],
        "carers": [c.model_dump(mode="json") for c in carers],
        "alerts": [a.model_dump(mode="json") for a in alerts],
        "notifications": [
            {
                "id": m.id,
                "kind": m.kind,
                "occurrence_id": str(m.occurrence_id) if m.occurrence_id else None,
                "status": m.status,
                "due_at": m.due_at.isoformat(),
                "attempts": m.attempts,
                "sent_at": m.sent_at.isoformat() if m.sent_at else None,
                "created_at": m.created_at.isoformat(),
            }
            for m in messages
        ],
        "enrolment_links": [
            {
                "id": str(link.id),
                "created_at": link.created_at.isoformat(),
                "expires_at": link.expires_at.isoformat(),
                "used_at": link.used_at.isoformat() if link.used_at else None,
                "revoked_at": link.revoked_at.isoformat() if link.revoked_at else None,
                "state": link_state(link, now),
                "carer_id": str(link.carer_link_id) if link.carer_link_id else None,
            }
            for link in links
        ],
        "devices": [
            {
                "id": str(device.id),
                "label": device.label,
                "created_at": device.created_at.isoformat(),
                "last_seen_at": device.last_seen_at.isoformat(),
                "expires_at": device.expires_at.isoformat(),
                "revoked_at": device.revoked_at.isoformat() if device.revoked_at else None,
                "carer": device.carer_id is not None,  # a carer's phone showing the patient
            }
            for device in devices
        ],
        "push_subscriptions": [
            {
                "id": str(sub.id),
                "device_id": str(sub.device_session_id) if sub.device_session_id else None,
                "endpoint_origin": _origin(sub.endpoint),
                "created_at": sub.created_at.isoformat(),
                "last_success_at": sub.last_success_at.isoformat() if sub.last_success_at else None,
            }
            for sub in subscriptions
        ],
        "audit_events": [
            {
                "id": event.id,
                "created_at": event.created_at.isoformat(),
                "staff_id": str(event.staff_id) if event.staff_id else None,
                "staff_email": email,
                "action": event.action,
                "detail": event.detail,
            }
            for event, email in events
        ],
    }
