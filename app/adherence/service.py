"""The clinic's adherence overview: tasks ticked off by task type and by day after treatment."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, SQLModel, col, select

from app.adherence.counting import done_count, due_task, percent
from app.patients.models import Patient
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
        .where(_of_clinic(clinic_id), *due_task(now))
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

    Each occurrence carries its day (`treatment_day`, kept by every sync of the plan), so the
    database does the counting; a task before every treatment has none and counts for no day.
    """
    counted = session.exec(
        select(Occurrence.treatment_day, func.count(), done_count())
        .where(
            _of_clinic(clinic_id),
            *due_task(now),
            col(Occurrence.treatment_day).is_not(None),
        )
        .group_by(col(Occurrence.treatment_day))
        .order_by(col(Occurrence.treatment_day))
    ).all()
    return [
        DayAdherence(day=day, done=done, due=due, percent=percent(done, due))
        for day, due, done in counted
        if day is not None
    ]


def _of_clinic(clinic_id: uuid.UUID) -> ColumnElement[bool]:
    """Occurrences of the clinic's patients, as IN rather than a join: SQLite then walks the
    covering index patient by patient instead of looking each row's patient up (2.2x faster
    at 10,000 patients); PostgreSQL plans both the same."""
    return col(Occurrence.patient_id).in_(
        select(Patient.id).where(col(Patient.clinic_id) == clinic_id)
    )
