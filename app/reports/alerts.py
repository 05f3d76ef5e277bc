"""Clinic alerts raised by urgent and emergency reports: list them, acknowledge with a note."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.errors import NotFound
from app.patients.models import Patient
from app.reports.models import Alert, SymptomReport
from app.staff.models import StaffUser

OPEN = "open"
ACKNOWLEDGED = "acknowledged"


def list_for_clinic(
    session: Session, *, clinic_id: uuid.UUID, status: str | None, limit: int
) -> Sequence[tuple[Alert, Patient, SymptomReport | None, StaffUser | None]]:
    """The clinic's alerts, emergencies first, then oldest first (the longest waiting), each
    with its patient, report and the staff user who acknowledged it.

    The console polls `status=open` every few seconds: (clinic_id, status) are indexed and
    the open set is small, so this stays cheap.
    """
    query = (
        select(Alert, Patient, SymptomReport, StaffUser)
        .join(Patient, col(Patient.id) == Alert.patient_id)
        .join(SymptomReport, col(SymptomReport.id) == Alert.report_id, isouter=True)
        .join(StaffUser, col(StaffUser.id) == Alert.acknowledged_by, isouter=True)
        .where(Alert.clinic_id == clinic_id)
    )
    if status is not None:
        query = query.where(Alert.status == status)
    emergency_first = col(Alert.level) != "emergency"  # False sorts before True
    return session.exec(
        query.order_by(emergency_first, col(Alert.created_at), col(Alert.id)).limit(limit)
    ).all()


def acknowledge(
    session: Session,
    *,
    clinic_id: uuid.UUID,
    alert_id: uuid.UUID,
    staff_id: uuid.UUID,
    note: str,
    now: datetime,
) -> tuple[Alert, bool]:
    """Mark an alert seen and handled: (alert, whether this call acknowledged it).

    The first acknowledgement stands: a later one (a retry, or a colleague a moment later)
    changes nothing and gets the alert as the first left it. The conditional UPDATE makes
    that hold between concurrent requests too. Another clinic's alert is NotFound.
    """
    alert = session.get(Alert, alert_id)
    if alert is None or alert.clinic_id != clinic_id:
        raise NotFound("No such alert.")
    result = session.execute(
        update(Alert)
        .where(col(Alert.id) == alert_id, col(Alert.status) == OPEN)
        .values(
            status=ACKNOWLEDGED,
            acknowledged_at=now,
            acknowledged_by=staff_id,
            acknowledgement_note=note.strip(),
        )
    )
    session.refresh(alert)
    return alert, result.rowcount == 1  # type: ignore[attr-defined]


def staff_name(staff: StaffUser | None) -> str | None:
    """How the console names a staff user: their name, or their e-mail if unnamed."""
    if staff is None:
        return None
    return staff.name or staff.email
