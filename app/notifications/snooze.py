"""Snooze: "Remind me in 30 minutes" re-arms a task's reminder rows in the outbox."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from app.careplan import OccurrenceKind
from app.careplan.daytime import Rhythm
from app.error_codes import ErrorCode
from app.errors import Conflict
from app.notifications.models import Channel, OutboxKind, OutboxMessage, OutboxStatus, SnoozeOut
from app.notifications.outbox import rearm
from app.patients.models import Patient
from app.tasks.models import Occurrence, OccurrenceStatus
from app.tasks.service import preferences_of

# Issue 17: long enough to finish what the patient is doing, short enough that the task's
# window (hours, for the plan's tasks) still has room; the one place the length is set.
SNOOZE = timedelta(minutes=30)


def snooze(
    session: Session, *, patient: Patient, occurrence: Occurrence, now: datetime
) -> datetime:
    """Remind of `occurrence` again SNOOZE from `now` (moved out of the patient's night): every
    push reminder of it is re-armed for then. Returns when; refuses, changing nothing, a task
    that is done, does not remind, has not reminded yet, or whose window ends before then."""
    if occurrence.kind != OccurrenceKind.TASK or not occurrence.notifies:
        raise Conflict("This task has no reminders to snooze.", code=ErrorCode.SNOOZE_NOT_REMINDING)
    remind_at = occurrence.remind_at
    if remind_at is None:
        raise Conflict("This task has no reminders to snooze.", code=ErrorCode.SNOOZE_NOT_REMINDING)
    if occurrence.status == OccurrenceStatus.DONE:
        raise Conflict("This task is already done.", code=ErrorCode.TASK_ALREADY_DONE)
    if now < min(remind_at, occurrence.due_at):
        raise Conflict("This task is not due yet.", code=ErrorCode.NOT_DUE_YET)
    when = Rhythm.from_preferences(preferences_of(patient)).to_daytime(now + SNOOZE)
    if when >= occurrence.window_end:
        raise Conflict(
            "This task's time ends before then, so we cannot remind you again. "
            "Please do it now if you can.",
            code=ErrorCode.SNOOZE_TOO_LATE,
        )
    # The occurrence's push row. Its e-mail or SMS fallback still waiting is cancelled (the
    # patient did see the reminder); the snoozed push, when it goes, queues a fallback again.
    found = session.exec(
        select(OutboxMessage).where(
            OutboxMessage.occurrence_id == occurrence.id,
            OutboxMessage.kind == OutboxKind.REMINDER,
        )
    ).all()
    for row in found:
        if row.channel != Channel.PUSH and row.status == OutboxStatus.PENDING:
            row.status = OutboxStatus.CANCELLED
            row.last_error = "snoozed: the push queues it again"
            session.add(row)
    rows = [row for row in found if row.channel == Channel.PUSH]
    if not rows:  # never planned (an older plan): the snooze still goes through the outbox
        rows = [
            OutboxMessage(
                kind=OutboxKind.REMINDER,
                occurrence_id=occurrence.id,
                patient_id=occurrence.patient_id,
                status=OutboxStatus.PENDING,
                due_at=when,
                next_attempt_at=when,
                expires_at=occurrence.window_end,
                created_at=now,
            )
        ]
    for row in rows:
        # Also a row being sent right now (see rearm): the snooze must hold after that send.
        rearm(row, when=when, expires_at=occurrence.window_end)
        session.add(row)
    session.flush()
    return when


def snooze_out(occurrence: Occurrence, when: datetime, patient: Patient) -> SnoozeOut:
    return SnoozeOut(
        task_id=occurrence.id,
        remind_at=when,
        local_remind_at=when.astimezone(ZoneInfo(patient.time_zone)),
    )
