"""The audit log as people read it: names, what each action means, filters, and a CSV export."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import astuple, dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from app.patients.models import Patient
from app.shared import search
from app.shared.spreadsheet import csv_for_excel, local_time_cell
from app.staff.models import AuditEntry, AuditEvent, AuditPage, StaffUser

# Every action the app records, in words (one source: the console shows these).
ACTION_LABELS = {
    "staff.login": "Signed in",
    "staff.login_failed": "Failed sign-in",
    "staff.login_refused": "Sign-in refused: too many attempts",
    "staff.logout": "Signed out",
    "staff.password_change": "Changed their password",
    "staff.password_reset_issue": "Issued a set-password link",
    "staff.password_reset_use": "Set a password with a link",
    "staff.totp_enable": "Turned on two-step sign-in",
    "staff.totp_disable": "Turned off two-step sign-in",
    "staff.totp_reset": "Reset someone's two-step sign-in",
    "staff.session_end": "Signed out a session",
    "staff.sessions_end_others": "Signed out their other sessions",
    "staff.create": "Added a staff account",
    "staff.update": "Changed a staff account",
    "staff.alert_channel_change": "Changed how they are alerted on call",
    "clinic.update": "Changed the clinic's settings",
    "patients.list": "Viewed the patient list",
    "patients.export_csv": "Exported the patient list",
    "patient.create": "Enrolled the patient",
    "patient.read": "Viewed the record",
    "patient.update": "Corrected the record",
    "patient.doppler": "Recorded the Doppler check",
    "patient.protocol": "Moved the plan to another protocol version",
    "patient.reminder_channel": "Recorded how the patient is reminded besides push",
    "patient.export": "Exported the record",
    "carer.invited": "Invited a carer",
    "carer.link_issued": "Made a new link for a carer",
    "carer.changed": "Changed whether a carer gets reminders",
    "carer.removed": "Removed a carer",
    "carer.joined": "A carer's phone signed in",
    "patient.erase": "Erased the patient",
    "patient.refused": "Was refused a patient's record",
    "plan.read": "Viewed the plan",
    "reports.read": "Viewed the reports",
    "report.seen": "Marked a report seen",
    "appointments.read": "Viewed the visits",
    "appointment.book": "Booked a visit",
    "appointment.unbook": "Removed a visit's booking",
    "devices.read": "Viewed the devices",
    "device.revoke": "Signed out a phone",
    "enrolment.issue": "Issued an enrolment link",
    "enrolment.send": "Sent an enrolment link by e-mail or text",
    "enrolment.revoke": "Revoked an enrolment link",
    "treatment.create": "Recorded a treatment",
    "treatment.correct": "Corrected a treatment",
    "treatment.void": "Voided a treatment",
    "treatment.confirm": "Confirmed a booked treatment done",
    "alerts.list": "Viewed the alerts",
    "alert.acknowledge": "Acknowledged an alert",
    "audit.export": "Exported the audit log",
}
CSV_HEADER = (
    "time", "staff", "staff_email", "action", "what", "patient", "patient_id", "detail", "address",
)  # fmt: skip
# Most rows one CSV export holds: a year of a busy clinic's changes; filter for more.
EXPORT_LIMIT = 50_000


@dataclass(frozen=True)
class AuditFilter:
    """What the log is narrowed to; every filter left as None applies no condition."""

    patient_id: uuid.UUID | None = None
    patient_name: str | None = None  # part of a name, any case
    staff_id: uuid.UUID | None = None
    action: str | None = None

    @property
    def narrowed(self) -> bool:
        return any(astuple(self))  # an empty text narrows nothing, as in the query


# Who did it when no staff member did (the detail's "by"): shown in the Staff column.
_NOT_STAFF = {
    "patient": "The patient, on their phone",
    "carer": "A carer, on their phone",
    "command_line": "The command line",
}


def label_of(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def _query(clinic_id: uuid.UUID, filters: AuditFilter) -> Any:
    patient_id, patient_name, staff_id, action = astuple(filters)
    query = (
        select(AuditEvent, StaffUser.email, StaffUser.name, Patient.name)
        .outerjoin(StaffUser, col(StaffUser.id) == AuditEvent.staff_id)
        # An erased patient has no row: the event keeps its id, the name is gone with them.
        .outerjoin(Patient, col(Patient.id) == AuditEvent.patient_id)
        .where(AuditEvent.clinic_id == clinic_id)
    )
    if patient_id is not None:
        query = query.where(AuditEvent.patient_id == patient_id)
    if patient_name:
        pattern = search.contains(patient_name.strip())
        query = query.where(
            col(AuditEvent.patient_id).in_(
                select(Patient.id).where(
                    Patient.clinic_id == clinic_id,
                    col(Patient.name).ilike(pattern, escape=search.ESCAPE),
                )
            )
        )
    if staff_id is not None:
        query = query.where(AuditEvent.staff_id == staff_id)
    if action:
        query = query.where(AuditEvent.action == action)
    return query.order_by(col(AuditEvent.id).desc())


def _entry(row: tuple[AuditEvent, str | None, str | None, str | None]) -> AuditEntry:
    event, email, staff_name, patient_name = row
    return AuditEntry(
        id=event.id or 0,
        created_at=event.created_at,
        staff_id=event.staff_id,
        staff_email=email,
        staff_name=staff_name or email or _NOT_STAFF.get(str(event.detail.get("by", ""))),
        patient_id=event.patient_id,
        patient_name=patient_name,
        patient_erased=event.patient_id is not None and patient_name is None,
        action=event.action,
        action_label=label_of(event.action),
        detail=event.detail,
        ip=event.ip,
    )


def page(
    session: Session,
    *,
    clinic_id: uuid.UUID,
    filters: AuditFilter,
    limit: int,
    before_id: int | None = None,
) -> AuditPage:
    """The clinic's events, newest first, `limit` at a time (keyset: ids below `before_id`)."""
    query = _query(clinic_id, filters)
    if before_id is not None:
        query = query.where(col(AuditEvent.id) < before_id)
    # One more than asked: whether there is a next page, without counting the whole log.
    rows = session.exec(query.limit(limit + 1)).all()
    items = [_entry(row) for row in rows[:limit]]
    return AuditPage(items=items, next_before_id=items[-1].id if len(rows) > limit else None)


def export_csv(
    session: Session,
    *,
    clinic_id: uuid.UUID,
    time_zone: str,
    filters: AuditFilter,
) -> str:
    """The filtered log as CSV for a spreadsheet: times in the clinic's zone, newest first."""
    query = _query(clinic_id, filters)
    zone = ZoneInfo(time_zone)
    entries = [_entry(row) for row in session.exec(query.limit(EXPORT_LIMIT)).all()]
    return csv_for_excel(
        CSV_HEADER,
        (_csv_row(entry, zone) for entry in entries),
    )


def _csv_row(entry: AuditEntry, zone: ZoneInfo) -> Sequence[str | int | None]:
    patient = "(erased)" if entry.patient_erased else entry.patient_name
    return [
        local_time_cell(entry.created_at, zone),
        entry.staff_name,
        entry.staff_email,
        entry.action,
        entry.action_label,
        patient,
        str(entry.patient_id) if entry.patient_id else None,
        ", ".join(f"{key}: {value}" for key, value in entry.detail.items()),
        entry.ip,
    ]
