"""Append-only audit trail of staff reads and changes: add an event, read a page of them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from app.staff.models import AuditEntry, AuditEvent, AuditPage, StaffUser


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


def page(
    session: Session,
    *,
    clinic_id: uuid.UUID,
    limit: int,
    before_id: int | None = None,
    patient_id: uuid.UUID | None = None,
    staff_id: uuid.UUID | None = None,
    action: str | None = None,
) -> AuditPage:
    """The clinic's events, newest first, `limit` at a time (keyset: ids below `before_id`)."""
    query = (
        select(AuditEvent, StaffUser.email)
        .outerjoin(StaffUser, col(StaffUser.id) == AuditEvent.staff_id)
        .where(AuditEvent.clinic_id == clinic_id)
    )
    if before_id is not None:
        query = query.where(col(AuditEvent.id) < before_id)
    if patient_id is not None:
        query = query.where(AuditEvent.patient_id == patient_id)
    if staff_id is not None:
        query = query.where(AuditEvent.staff_id == staff_id)
    if action:
        query = query.where(AuditEvent.action == action)
    # One more than asked: whether there is a next page, without counting the whole log.
    rows = session.exec(query.order_by(col(AuditEvent.id).desc()).limit(limit + 1)).all()
    items = [
        AuditEntry(
            id=event.id or 0,
            created_at=event.created_at,
            staff_id=event.staff_id,
            staff_email=email,
            patient_id=event.patient_id,
            action=event.action,
            detail=event.detail,
            ip=event.ip,
        )
        for event, email in rows[:limit]
    ]
    return AuditPage(items=items, next_before_id=items[-1].id if len(rows) > limit else None)
