"""Read the audit trail back in tests."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.staff.models import AuditEvent


def patient_audit_actions(factory: sessionmaker[Session], patient_id: str) -> list[str]:
    """The actions recorded against the patient, oldest first."""
    with factory() as session:
        return list(
            session.exec(
                select(AuditEvent.action)
                .where(AuditEvent.patient_id == uuid.UUID(patient_id))
                .order_by(col(AuditEvent.id))
            ).all()
        )
