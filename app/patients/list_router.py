"""Staff route for the clinic's patient list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.deps import SessionDep
from app.errors import error_responses
from app.patients import service
from app.patients.models import PatientPage
from app.staff.auth import CurrentStaff

router = APIRouter(prefix="/api/patients", tags=["patients (staff)"])


@router.get("", responses=error_responses(401, 422))
def list_patients(
    staff: CurrentStaff,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    q: Annotated[str | None, Query(max_length=100, description="part of the name")] = None,
) -> PatientPage:
    """The clinic's patients by name, a page at a time."""
    items, total = service.list_for_clinic(
        session, clinic_id=staff.clinic_id, limit=limit, offset=offset, query=q
    )
    return PatientPage(items=items, total=total, limit=limit, offset=offset)
