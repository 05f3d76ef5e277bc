"""The audit log for a clinic's admin: read only (no route edits or deletes an event)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import SessionDep
from app.api.staff_auth import AdminStaff
from app.error_codes import ErrorCode
from app.errors import errors
from app.staff import audit
from app.staff.models import AuditPage

router = APIRouter(prefix="/api/audit", tags=["audit"])


@router.get("", responses=errors(ErrorCode.NOT_AUTHENTICATED, ErrorCode.ADMIN_ONLY))
def read_audit_log(
    admin: AdminStaff,
    session: SessionDep,
    patient_id: uuid.UUID | None = None,
    staff_id: uuid.UUID | None = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    before_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,  # PostgreSQL INTEGER
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditPage:
    """The clinic's audit events, newest first; filters combine. Page on with `before_id`."""
    return audit.page(
        session,
        clinic_id=admin.clinic_id,
        limit=limit,
        before_id=before_id,
        patient_id=patient_id,
        staff_id=staff_id,
        action=action,
    )
