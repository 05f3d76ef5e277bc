"""Patient routes for the plan: a local day's occurrences, tick off, undo, snooze."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query

from app.api.deps import ClockDep, LocalDayQuery, SessionDep
from app.api.patient_auth import CurrentDevice, CurrentPatient
from app.enrolment import carer_devices
from app.error_codes import ErrorCode
from app.errors import InvalidInput, errors
from app.notifications.models import SnoozeOut
from app.notifications.snooze import snooze, snooze_out
from app.tasks import service
from app.tasks.models import OccurrencePublic
from app.timezones import local_date

router = APIRouter(prefix="/api/me/tasks", tags=["patient device"])


@router.get("", responses=errors(ErrorCode.NOT_AUTHENTICATED, ErrorCode.INVALID_INPUT))
def list_days(
    patient: CurrentPatient,
    session: SessionDep,
    clock: ClockDep,
    day: LocalDayQuery = None,
    first: Annotated[date | None, Query(alias="from", description="first local day")] = None,
    last: Annotated[date | None, Query(alias="to", description="last local day, inclusive")] = None,
) -> list[OccurrencePublic]:
    """The patient's occurrences of one local day (or `from`..`to`) in time order, with the
    information and restrictions active on those days."""
    now = clock.now()
    zone = ZoneInfo(patient.time_zone)
    if day is not None and (first is not None or last is not None):
        raise InvalidInput("ask for either 'date' or 'from' and 'to'")
    if first is None and last is None:
        first = last = day or local_date(now, zone)
    first, last = service.check_range(first, last)
    rows = service.list_local_days(session, patient=patient, first=first, last=last)
    return service.public_rows(session, rows, zone, now, patient.language)


@router.post(
    "/{occurrence_id}/complete",
    responses=errors(
        ErrorCode.NOT_AUTHENTICATED,
        ErrorCode.NOT_FOUND,
        ErrorCode.NOT_A_TASK,
        ErrorCode.NOT_DUE_YET,
    ),
)
def complete_task(
    occurrence_id: uuid.UUID,
    patient: CurrentPatient,
    device: CurrentDevice,
    session: SessionDep,
    clock: ClockDep,
) -> OccurrencePublic:
    """Tick a task off (on a carer's phone, recorded as done by that carer). Idempotent: a
    repeat returns the first completion."""
    now = clock.now()
    row = service.complete(
        session, patient=patient, occurrence_id=occurrence_id, now=now,
        by_carer=carer_devices.acting_link(session, device),
    )  # fmt: skip
    return service.public_rows(session, [row], ZoneInfo(patient.time_zone), now, patient.language)[
        0
    ]


@router.delete(
    "/{occurrence_id}/complete",
    responses=errors(ErrorCode.NOT_AUTHENTICATED, ErrorCode.NOT_FOUND, ErrorCode.NOT_A_TASK),
)
def undo_task(
    occurrence_id: uuid.UUID, patient: CurrentPatient, session: SessionDep, clock: ClockDep
) -> OccurrencePublic:
    """Undo a tick. Idempotent: undoing a task that is not done returns it unchanged."""
    now = clock.now()
    row = service.undo(session, patient=patient, occurrence_id=occurrence_id, now=now)
    return service.to_public(row, ZoneInfo(patient.time_zone), now, language=patient.language)


@router.post(
    "/{occurrence_id}/snooze",
    responses=errors(
        ErrorCode.NOT_AUTHENTICATED,
        ErrorCode.NOT_FOUND,
        ErrorCode.SNOOZE_NOT_REMINDING,
        ErrorCode.TASK_ALREADY_DONE,
        ErrorCode.NOT_DUE_YET,
        ErrorCode.SNOOZE_TOO_LATE,
    ),
)
def snooze_task(
    occurrence_id: uuid.UUID, patient: CurrentPatient, session: SessionDep, clock: ClockDep
) -> SnoozeOut:
    """ "Remind me in 30 minutes": the task's reminder goes out again then (after the patient's
    night, if it falls in it); refused if the task's window ends first."""
    occurrence = service.get_own(session, patient=patient, occurrence_id=occurrence_id)
    when = snooze(session, patient=patient, occurrence=occurrence, now=clock.now())
    return snooze_out(occurrence, when, patient)
