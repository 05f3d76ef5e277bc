"""The audit log for a clinic's admin: read it, filtered, or export it (no route edits one)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel

from app.api.deps import ClockDep, SessionDep
from app.api.staff_auth import AdminStaff
from app.audit_log import view
from app.error_codes import ErrorCode
from app.errors import errors
from app.shared.client_address import client_ip
from app.staff import audit
from app.staff.models import AuditPage
from app.staff.service import clinic_of

router = APIRouter(prefix="/api/audit", tags=["audit"])

PatientName = Annotated[
    str | None, Query(max_length=100, description="part of the patient's name, any case")
]
Action = Annotated[str | None, Query(max_length=64)]


async def audit_filter(  # no I/O: no worker-thread hop
    patient_id: uuid.UUID | None = None,
    patient: PatientName = None,
    staff_id: uuid.UUID | None = None,
    action: Action = None,
) -> view.AuditFilter:
    """The log's filters from the query string (both the page and the CSV take them)."""
    return view.AuditFilter(
        patient_id=patient_id, patient_name=patient, staff_id=staff_id, action=action
    )


Filters = Annotated[view.AuditFilter, Depends(audit_filter)]
_CSV_BODY: dict[int | str, dict[str, object]] = {200: {"content": {"text/csv": {}}}}


@router.get("", responses=errors(ErrorCode.NOT_AUTHENTICATED, ErrorCode.ADMIN_ONLY))
def read_audit_log(
    admin: AdminStaff,
    session: SessionDep,
    filters: Filters,
    before_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,  # PostgreSQL INTEGER
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditPage:
    """The clinic's audit events, newest first, with names and each action in words.

    Filters combine; `patient` matches part of a name (an erased patient's events are found
    by their id only). Page on with `before_id`.
    """
    return view.page(
        session, clinic_id=admin.clinic_id, filters=filters, limit=limit, before_id=before_id
    )


class ActionLabel(BaseModel):
    action: str
    label: str


@router.get("/actions", responses=errors(ErrorCode.NOT_AUTHENTICATED, ErrorCode.ADMIN_ONLY))
def list_actions(admin: AdminStaff) -> list[ActionLabel]:
    """Every action the log can hold, in words, by its words (for the filter)."""
    return [
        ActionLabel(action=action, label=label)
        for action, label in sorted(view.ACTION_LABELS.items(), key=lambda item: item[1])
    ]


@router.get(
    ".csv",
    response_class=Response,
    responses={**_CSV_BODY, **errors(ErrorCode.NOT_AUTHENTICATED, ErrorCode.ADMIN_ONLY)},
)
def export_audit_log(
    admin: AdminStaff,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    filters: Filters,
) -> Response:
    """The filtered log as CSV (UTF-8 with a BOM, for Excel; times in the clinic's zone), at
    most 50,000 events, newest first. The export is itself audited (`audit.export`)."""
    clinic = clinic_of(session, admin)
    text = view.export_csv(
        session, clinic_id=admin.clinic_id, time_zone=clinic.time_zone, filters=filters
    )
    now = clock.now()
    audit.record(
        session, staff=admin, action="audit.export", now=now, ip=client_ip(request),
        detail={"filtered": filters.narrowed},
    )  # fmt: skip
    stamp = f"{now:%Y-%m-%d}"
    return Response(
        content=text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'},
    )
