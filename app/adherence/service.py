"""The clinic's adherence overview: tasks ticked off by task type and by day after treatment."""

from __future__ import annotations

import bisect
import uuid
from collections import defaultdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, SQLModel, col, select

from app.adherence.counting import done_count, due_task, percent
from app.patients.models import Patient, Treatment
from app.protocols.loader import Protocol
from app.tasks.models import Occurrence


class TaskAdherence(SQLModel):
    task: str
    title: str
    done: int
    due: int
    percent: int | None


class DayAdherence(SQLModel):
    day: int  # 0 is the treatment day, in the patient's zone
    done: int
    due: int
    percent: int | None


class AdherenceOverview(SQLModel):
    patients: int  # the clinic's patients (those with nothing due yet add nothing below)
    by_task: list[TaskAdherence]
    by_day: list[DayAdherence]


def overview(
    session: Session, *, clinic_id: uuid.UUID, protocol: Protocol, now: datetime
) -> AdherenceOverview:
    patients = session.exec(
        select(func.count()).select_from(Patient).where(col(Patient.clinic_id) == clinic_id)
    ).one()
    return AdherenceOverview(
        patients=patients,
        by_task=by_task(session, clinic_id=clinic_id, protocol=protocol, now=now),
        by_day=by_day(session, clinic_id=clinic_id, now=now),
    )


def by_task(
    session: Session, *, clinic_id: uuid.UUID, protocol: Protocol, now: datetime
) -> list[TaskAdherence]:
    """Per task type, in the protocol's order (types only older plans have come last)."""
    counts = session.exec(
        select(Occurrence.task, func.count(), done_count())
        .join(Patient, col(Patient.id) == Occurrence.patient_id)
        .where(col(Patient.clinic_id) == clinic_id, *due_task(now))
        .group_by(col(Occurrence.task))
    ).all()
    order = {code: place for place, code in enumerate(protocol.codes)}
    titles = {task.code: task.title for task in protocol.tasks}
    rows = [
        TaskAdherence(
            task=task, title=titles.get(task, task), done=done, due=due, percent=percent(done, due)
        )
        for task, due, done in counts
    ]
    return sorted(rows, key=lambda row: (order.get(row.task, len(order)), row.task))


def by_day(session: Session, *, clinic_id: uuid.UUID, now: datetime) -> list[DayAdherence]:
    """Per day since the latest treatment at or before each task, counted in local dates.

    The database adds up tasks per patient and instant (tasks share instants, such as the
    wake time); the local dates need the patient's zone, so the days are counted here.
    """
    zones: dict[uuid.UUID, ZoneInfo] = {}
    for patient_id, zone_name in session.exec(
        select(Patient.id, Patient.time_zone).where(col(Patient.clinic_id) == clinic_id)
    ).all():
        zones[patient_id] = ZoneInfo(zone_name)
    treated: dict[uuid.UUID, list[datetime]] = defaultdict(list)
    for patient_id, performed_at in session.exec(
        select(Treatment.patient_id, Treatment.performed_at)
        .join(Patient, col(Patient.id) == Treatment.patient_id)
        .where(col(Patient.clinic_id) == clinic_id)
        .order_by(col(Treatment.patient_id), col(Treatment.performed_at))
    ).all():
        treated[patient_id].append(performed_at)
    counted = session.exec(
        select(Occurrence.patient_id, Occurrence.due_at, func.count(), done_count())
        .join(Patient, col(Patient.id) == Occurrence.patient_id)
        .where(col(Patient.clinic_id) == clinic_id, *due_task(now))
        .group_by(col(Occurrence.patient_id), col(Occurrence.due_at))
    ).all()
    local = _LocalDates()
    due_by_day: dict[int, int] = defaultdict(int)
    done_by_day: dict[int, int] = defaultdict(int)
    for patient_id, due_at, due, done in counted:
        treatments = treated.get(patient_id)
        if not treatments:
            continue
        latest = bisect.bisect_right(treatments, due_at) - 1
        if latest < 0:  # planned before any treatment: cannot happen, counts for no day
            continue
        zone = zones[patient_id]
        day = (local.of(due_at, zone) - local.of(treatments[latest], zone)).days
        due_by_day[day] += due
        done_by_day[day] += done
    return [
        DayAdherence(
            day=day,
            done=done_by_day[day],
            due=due_by_day[day],
            percent=percent(done_by_day[day], due_by_day[day]),
        )
        for day in sorted(due_by_day)
    ]


class _LocalDates:
    """Local dates of instants, remembered: many patients share zones and task instants."""

    def __init__(self) -> None:
        self._seen: dict[tuple[datetime, str], date] = {}

    def of(self, instant: datetime, zone: ZoneInfo) -> date:
        key = (instant, zone.key)
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = instant.astimezone(zone).date()
        return found
