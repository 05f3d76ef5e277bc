"""Append-only audit trail of staff reads and changes of patient data."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session

from app.staff.models import AuditEvent, StaffUser


def record(
    session: Session,
    *,
    staff: StaffUser | None,
    action: str,
    now: datetime,
    patient_id: uuid.UUID | None = None,
    ip: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """Add one audit event to the caller's transaction (it is kept only if the change is)."""
    session.add(
        AuditEvent(
            clinic_id=staff.clinic_id if staff else None,
            staff_id=staff.id if staff else None,
            patient_id=patient_id,
            action=action,
            detail=detail or {},
            ip=ip[:64],
            created_at=now,
        )
    )
