"""Patient routes for the plan: a local day's occurrences, tick off, undo."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query

from app.deps import ClockDep, SessionDep
from app.errors import error_responses
from app.patients.auth import CurrentPatient
from app.tasks import service
from app.tasks.models import OccurrencePublic
from app.timezones import local_date

router = APIRouter(prefix="/api/me/tasks", tags=["patient device"])


@router.get("", responses=error_responses(401, 422))
def list_day(
    patient: CurrentPatient,
    session: SessionDep,
    clock: ClockDep,
    day: Annotated[
        date | None, Query(alias="date", description="a local day, YYYY-MM-DD; default today")
    ] = None,
) -> list[OccurrencePublic]:
    """The patient's occurrences of one local day in time order, with spans active that day."""
    now = clock.now()
    zone = ZoneInfo(patient.time_zone)
    day = day or local_date(now, zone)
    rows = service.list_local_days(session, patient=patient, first=day, last=day)
    return [service.to_public(row, zone, now) for row in rows]


@router.post("/{occurrence_id}/complete", responses=error_responses(401, 404, 409, 422))
def complete_task(
    occurrence_id: uuid.UUID, patient: CurrentPatient, session: SessionDep, clock: ClockDep
) -> OccurrencePublic:
    """Tick a task off. Idempotent: a repeat returns the first completion."""
    now = clock.now()
    row = service.complete(session, patient=patient, occurrence_id=occurrence_id, now=now)
    return service.to_public(row, ZoneInfo(patient.time_zone), now)


@router.delete("/{occurrence_id}/complete", responses=error_responses(401, 404, 409, 422))
def undo_task(
    occurrence_id: uuid.UUID, patient: CurrentPatient, session: SessionDep, clock: ClockDep
) -> OccurrencePublic:
    """Undo a tick. Idempotent: undoing a task that is not done returns it unchanged."""
    now = clock.now()
    row = service.undo(session, patient=patient, occurrence_id=occurrence_id, now=now)
    return service.to_public(row, ZoneInfo(patient.time_zone), now)
