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

OPEN = "open"
ACKNOWLEDGED = "acknowledged"


def list_for_clinic(
    session: Session, *, clinic_id: uuid.UUID, status: str | None, limit: int
) -> Sequence[tuple[Alert, Patient, SymptomReport | None]]:
    """The clinic's alerts, emergencies first, then oldest first (the longest waiting)."""
    query = (
        select(Alert, Patient, SymptomReport)
        .join(Patient, col(Patient.id) == Alert.patient_id)
        .join(SymptomReport, col(SymptomReport.id) == Alert.report_id, isouter=True)
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
) -> Alert:
    """Mark an alert seen and handled. Idempotent: the first acknowledgement is kept."""
    alert = session.get(Alert, alert_id)
    if alert is None or alert.clinic_id != clinic_id:
        raise NotFound("No such alert.")
    session.execute(
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
    return alert
