"""A patient's progress through the plan: the stored rows, worded by app/careplan/progress."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import false
from sqlmodel import Session, col, select

from app.careplan import OccurrenceKind
from app.careplan.progress import (
    WEEK_DAYS,
    CourseDay,
    ProgressLine,
    TaskTick,
    Visit,
    progress_lines,
)
from app.errors import InvalidInput
from app.patients.models import Patient
from app.protocols.loader import DailyCourseTask, Protocol
from app.tasks.models import Occurrence, OccurrenceStatus
from app.tasks.service import EARLIEST_DAY, LATEST_DAY, outlook
from app.timezones import local_day_bounds


def course_tasks(protocol: Protocol) -> frozenset[str]:
    """The codes of the plan's daily courses (support stockings each morning), whichever
    of the protocol's parts (methods) defines them."""
    return frozenset(
        task.code
        for part in (protocol, *protocol.method_protocols)
        for task in part.tasks
        if isinstance(task, DailyCourseTask)
    )


def progress_of(
    session: Session, *, patient: Patient, protocol: Protocol, day: date, now: datetime
) -> list[ProgressLine]:
    """Where the patient is in their plan on their local `day`, as of `now`, in their language.

    InvalidInput for a day so near the calendar's ends that its week cannot be computed."""
    if not EARLIEST_DAY + timedelta(days=WEEK_DAYS - 1) <= day <= LATEST_DAY:
        raise InvalidInput(
            f"ask for a day from {EARLIEST_DAY + timedelta(days=WEEK_DAYS - 1)} to {LATEST_DAY}"
        )
    zone = ZoneInfo(patient.time_zone)
    courses = course_tasks(protocol)
    tasks = session.exec(
        select(Occurrence).where(
            col(Occurrence.patient_id) == patient.id,
            col(Occurrence.kind) == OccurrenceKind.TASK,
            col(Occurrence.voided) == false(),
        )
    ).all()
    start, _ = local_day_bounds(day - timedelta(days=WEEK_DAYS - 1), zone)
    _, end = local_day_bounds(day, zone)
    ahead = outlook(session, patient=patient, now=now)
    return progress_lines(
        spans=ahead.restrictions,
        course=[
            CourseDay(task=row.task, title=row.title, day=row.due_at.astimezone(zone).date())
            for row in tasks
            if row.task in courses
        ],
        visits=[
            Visit(title=row.title, due_at=row.due_at, tentative=row.tentative)
            for row in ahead.appointments
        ],
        ticks=[
            TaskTick(due_at=row.due_at, done=row.status == OccurrenceStatus.DONE)
            for row in tasks
            if start <= row.due_at < end
        ],
        today=day,
        zone=zone,
        now=now,
        language=patient.language,
    )
