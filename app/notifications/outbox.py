"""Outbox planning: reminder rows kept in step with the plan, and alert pushes to staff."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from app.bulk import insert_new
from app.notifications.models import OutboxKind, OutboxMessage, OutboxStatus
from app.tasks.models import Occurrence, OccurrenceStatus

# An alert push still undelivered after this long is dropped: the console's inbox shows it.
ALERT_PUSH_LIFETIME = timedelta(days=1)

# Rows whose send is settled; a changed reminder time re-arms them only if it is still ahead.
SETTLED = (OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.CANCELLED, OutboxStatus.DROPPED)


def sync_reminders(session: Session, *, patient_id: uuid.UUID, now: datetime) -> None:
    """Make the patient's reminder rows match their occurrences, as of `now`.

    - a pending occurrence that notifies and is still open gets exactly one row (unique per
      occurrence and kind), due at its `remind_at`, useful until its window ends;
    - a moved reminder moves its row (re-armed if it had already gone and the new time is ahead);
    - a row whose occurrence was replaced (the plan no longer has it), or no longer notifies (a
      visit unbooked, so tentative), is cancelled, never sent; it is re-armed if the occurrence
      notifies again with a time still ahead (the visit booked again).
    A row being sent right now is left to its dispatcher. Idempotent.
    """
    occurrences = session.exec(
        select(Occurrence).where(
            Occurrence.patient_id == patient_id,
            col(Occurrence.notifies).is_(True),
            col(Occurrence.remind_at).is_not(None),
        )
    ).all()
    rows = session.exec(
        select(OutboxMessage).where(
            OutboxMessage.patient_id == patient_id, OutboxMessage.kind == OutboxKind.REMINDER
        )
    ).all()
    by_occurrence = {row.occurrence_id: row for row in rows if row.occurrence_id is not None}
    new_rows = []
    for occurrence in occurrences:
        remind_at = occurrence.remind_at
        assert remind_at is not None  # filtered above
        row = by_occurrence.get(occurrence.id)
        if occurrence.status != OccurrenceStatus.PENDING:
            continue  # done: the dispatcher cancels its row if it is still waiting
        if row is None:
            if occurrence.window_end > now:
                new_rows.append(_new_reminder(occurrence, remind_at, now))
        elif (row.due_at, row.expires_at) != (remind_at, occurrence.window_end):
            _move(row, remind_at=remind_at, expires_at=occurrence.window_end, now=now)
            session.add(row)
    notifying = {occurrence.id for occurrence in occurrences}
    for row in rows:
        if row.status != OutboxStatus.PENDING:
            continue
        if row.occurrence_id is None:
            _cancel(row, "replaced by a new plan")
            session.add(row)
        elif row.occurrence_id not in notifying:
            # E.g. a visit unbooked: a tentative visit has no agreed time to remind of.
            _cancel(row, "the plan no longer reminds of this")
            session.add(row)
    insert_new(session, OutboxMessage, new_rows)
    session.flush()


def _new_reminder(occurrence: Occurrence, remind_at: datetime, now: datetime) -> dict[str, Any]:
    """A new reminder row's column values (inserted in bulk: see app/bulk.py)."""
    return {
        "kind": OutboxKind.REMINDER,
        "occurrence_id": occurrence.id,
        "patient_id": occurrence.patient_id,
        "status": OutboxStatus.PENDING,
        "due_at": remind_at,
        "next_attempt_at": remind_at,
        "expires_at": occurrence.window_end,
        "created_at": now,
    }


def _cancel(row: OutboxMessage, reason: str) -> None:
    row.status = OutboxStatus.CANCELLED
    row.last_error = reason


def _move(row: OutboxMessage, *, remind_at: datetime, expires_at: datetime, now: datetime) -> None:
    if row.status == OutboxStatus.SENDING:
        return
    if row.status in SETTLED and remind_at <= now:
        return  # already handled, and the new time is past too: nothing more to send
    row.status = OutboxStatus.PENDING
    row.due_at = remind_at
    row.next_attempt_at = remind_at
    row.expires_at = expires_at
    row.attempts = 0
    row.last_error = ""


def queue_alert_push(
    session: Session,
    *,
    alert_id: uuid.UUID,
    patient_id: uuid.UUID,
    kind: OutboxKind,
    now: datetime,
) -> None:
    """Push an alert (kind ALERT) or its escalation (ALERT_ESCALATION) to staff, due now.

    The dispatcher picks the staff devices at send time and cancels the row if the alert was
    acknowledged first. `patient_id` makes the row go with the patient on erasure.
    """
    if kind not in (OutboxKind.ALERT, OutboxKind.ALERT_ESCALATION):
        raise ValueError(f"{kind!r} is not an alert push")
    session.add(
        OutboxMessage(
            kind=kind,
            alert_id=alert_id,
            patient_id=patient_id,
            status=OutboxStatus.PENDING,
            due_at=now,
            next_attempt_at=now,
            expires_at=now + ALERT_PUSH_LIFETIME,
            created_at=now,
        )
    )
    session.flush()
