"""Outbox planning: reminder rows kept in step with the plan, and alert pushes to staff."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.bulk import insert_new
from app.notifications.models import (
    REPORT_NOTICES,
    VISIT_NOTICES,
    Channel,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
)
from app.patients.models import Patient
from app.staff.models import StaffUser
from app.tasks.models import Occurrence, OccurrenceStatus
from app.tasks.service import PlanChanges

# An alert push still undelivered after this long is dropped: the console's inbox shows it.
ALERT_PUSH_LIFETIME = timedelta(days=1)
# A notice that a visit is no longer booked, when its planned day is already past.
VISIT_NOTICE_LIFETIME = timedelta(days=1)

# Rows whose send is settled; a changed reminder time re-arms them only if it is still ahead.
SETTLED = (OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.CANCELLED, OutboxStatus.DROPPED)
REPLACED = "replaced by a new plan"


@dataclass(frozen=True)
class _Reminder:
    """A pending occurrence's reminder: when it goes out, and until when it is of any use."""

    occurrence_id: uuid.UUID
    remind_at: datetime
    expires_at: datetime


def follow_plan(
    session: Session, *, patient_id: uuid.UUID, changes: PlanChanges, now: datetime
) -> None:
    """Bring the patient's reminder rows in step with what one plan sync changed, as of `now`.

    The rows of the occurrences the sync left alone already match (every change to a plan
    comes through here), so only the changed ones are looked at: their new values come from
    `changes`, and the only read is the rows of the updated occurrences (a created one has
    none yet). The rules are sync_reminders' own.
    """
    wanted, stopped = [], set()
    for occurrence_id, item in changes.planned.items():
        if item.notifies and item.remind_at is not None:
            wanted.append(_Reminder(occurrence_id, item.remind_at, item.window_end))
        else:
            stopped.add(occurrence_id)
    rows: Sequence[OutboxMessage] = []
    if changes.updated:
        rows = session.exec(
            select(OutboxMessage).where(
                col(OutboxMessage.occurrence_id).in_(changes.updated),
                OutboxMessage.kind == OutboxKind.REMINDER,
            )
        ).all()
    if changes.removed:
        # Deleting the occurrences set their rows' occurrence_id to NULL (ON DELETE SET NULL).
        session.execute(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.patient_id) == patient_id,
                col(OutboxMessage.kind) == OutboxKind.REMINDER,
                col(OutboxMessage.occurrence_id).is_(None),
                col(OutboxMessage.status) == OutboxStatus.PENDING,
            )
            .values(status=OutboxStatus.CANCELLED, last_error=REPLACED)
        )
    _follow(session, patient_id=patient_id, wanted=wanted, rows=rows, stopped=stopped, now=now)


def sync_reminders(session: Session, *, patient_id: uuid.UUID, now: datetime) -> None:
    """Make all the patient's reminder rows match their occurrences, as of `now`.

    - a pending occurrence that notifies and is still open gets exactly one row (unique per
      occurrence and kind), due at its `remind_at`, useful until its window ends;
    - a moved reminder moves its row (re-armed if it had already gone and the new time is ahead);
    - a row whose occurrence was replaced (the plan no longer has it), or no longer notifies (a
      visit unbooked, so tentative), is cancelled, never sent; it is re-armed if the occurrence
      notifies again with a time still ahead (the visit booked again).
    A row being sent right now is left to its dispatcher. Idempotent. A plan change needs only
    follow_plan; this reads every occurrence and row of the patient, to check or repair them.
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
    wanted = []
    for occurrence in occurrences:
        assert occurrence.remind_at is not None  # filtered above
        if occurrence.status == OccurrenceStatus.PENDING:
            # (Done: the dispatcher cancels its row if it is still waiting.)
            wanted.append(_Reminder(occurrence.id, occurrence.remind_at, occurrence.window_end))
    notifying = {occurrence.id for occurrence in occurrences}
    stopped = set()
    for row in rows:
        if row.status != OutboxStatus.PENDING:
            continue
        if row.occurrence_id is None:
            _cancel(row, REPLACED)
            session.add(row)
        elif row.occurrence_id not in notifying:
            stopped.add(row.occurrence_id)
    _follow(session, patient_id=patient_id, wanted=wanted, rows=rows, stopped=stopped, now=now)


def _follow(
    session: Session,
    *,
    patient_id: uuid.UUID,
    wanted: Sequence[_Reminder],
    rows: Sequence[OutboxMessage],
    stopped: set[uuid.UUID],
    now: datetime,
) -> None:
    """Give each wanted reminder its push row (new, or moved), and cancel the waiting rows of
    the occurrences that `stopped` notifying; `rows` holds every existing row of both, on
    every channel. A moved reminder's waiting e-mail or SMS fallback is cancelled too: the
    push queues it again when it goes out at its new time (app/notifications/record.py)."""
    by_occurrence = {
        row.occurrence_id: row
        for row in rows
        if row.occurrence_id is not None and row.channel == Channel.PUSH
    }
    new_rows = []
    moved = set()
    for reminder in wanted:
        row = by_occurrence.get(reminder.occurrence_id)
        if row is None:
            if reminder.expires_at > now:
                new_rows.append(_new_reminder(patient_id, reminder, now))
        elif (row.due_at, row.expires_at) != (reminder.remind_at, reminder.expires_at):
            _move(row, remind_at=reminder.remind_at, expires_at=reminder.expires_at, now=now)
            session.add(row)
            moved.add(reminder.occurrence_id)
    for row in rows:
        if row.status != OutboxStatus.PENDING:
            continue
        if row.channel != Channel.PUSH and row.occurrence_id in moved:
            _cancel(row, "the reminder moved")
            session.add(row)
        elif row.occurrence_id in stopped:
            # E.g. a visit unbooked: a tentative visit has no agreed time to remind of.
            _cancel(row, "the plan no longer reminds of this")
            session.add(row)
    insert_new(session, OutboxMessage, new_rows)
    session.flush()


def _new_reminder(patient_id: uuid.UUID, reminder: _Reminder, now: datetime) -> dict[str, Any]:
    """A new reminder row's column values (inserted in bulk: see app/bulk.py)."""
    return {
        "kind": OutboxKind.REMINDER,
        "occurrence_id": reminder.occurrence_id,
        "patient_id": patient_id,
        "status": OutboxStatus.PENDING,
        "due_at": reminder.remind_at,
        "next_attempt_at": reminder.remind_at,
        "expires_at": reminder.expires_at,
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


def rearm(row: OutboxMessage, *, when: datetime, expires_at: datetime) -> None:
    """Send `row` (again) at `when`, whatever it was: a fresh row to the dispatcher. A row being
    sent right now is taken back too; its dispatcher's late write then finds it no longer
    `sending` and leaves it alone (see record.py)."""
    row.status = OutboxStatus.PENDING
    row.due_at = row.next_attempt_at = when
    row.expires_at = expires_at
    row.attempts = 0
    row.lease_until = None
    row.last_error = ""
    row.sent_at = None


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

    A new alert (not its escalation) also queues an e-mail or a text, due now, to each enabled
    on-call staff member of the patient's clinic who chose one: one row per (alert, staff,
    channel). Whether this server can send it, and to which address, is decided at send time.
    Nobody on call: no letters (the push goes to every clinician, who did not ask to be texted
    off duty). An escalation queues none either: its push goes to every clinician, and the
    on-call staff member already had their letter when the alert came.
    """
    if kind not in (OutboxKind.ALERT, OutboxKind.ALERT_ESCALATION):
        raise ValueError(f"{kind!r} is not an alert push")

    def row(channel: str = Channel.PUSH, staff_id: uuid.UUID | None = None) -> OutboxMessage:
        return OutboxMessage(
            kind=kind,
            channel=channel,
            alert_id=alert_id,
            patient_id=patient_id,
            staff_id=staff_id,
            status=OutboxStatus.PENDING,
            due_at=now,
            next_attempt_at=now,
            expires_at=now + ALERT_PUSH_LIFETIME,
            created_at=now,
        )

    rows = [row()]
    if kind == OutboxKind.ALERT:
        rows.extend(
            row(channel, staff_id) for staff_id, channel in _on_call_letters(session, patient_id)
        )
    session.add_all(rows)
    session.flush()


def _on_call_letters(session: Session, patient_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    """(staff id, channel) of the enabled on-call staff of the patient's clinic who chose to be
    alerted by e-mail or text as well, oldest account first."""
    clinic = select(Patient.clinic_id).where(Patient.id == patient_id).scalar_subquery()
    found = session.exec(
        select(StaffUser.id, StaffUser.alert_channel)
        .where(
            StaffUser.clinic_id == clinic,
            col(StaffUser.on_call).is_(True),
            col(StaffUser.disabled_at).is_(None),
            col(StaffUser.alert_channel).in_([Channel.EMAIL.value, Channel.SMS.value]),
        )
        .order_by(col(StaffUser.created_at), col(StaffUser.id))
    ).all()
    return [(staff_id, channel) for staff_id, channel in found]


def queue_report_seen_push(
    session: Session,
    *,
    report_id: uuid.UUID,
    patient_id: uuid.UUID,
    kind: OutboxKind,
    text: str,
    now: datetime,
    expires_at: datetime,
) -> None:
    """Tell the patient (and their carers with reminders on) that the clinic saw report
    `report_id`, in `text`, due now. Kind REPORT_SEEN waits out the patient's night as a
    reminder does; REPORT_SEEN_URGENT (an urgent or emergency report) goes at once. Queued
    once per report, when it is first seen (a unique index on report, kind and channel)."""
    if kind not in REPORT_NOTICES:
        raise ValueError(f"{kind!r} is not a report notice")
    row = {
        "kind": kind,
        "channel": Channel.PUSH,
        "report_id": report_id,
        "patient_id": patient_id,
        "text": text,
        "status": OutboxStatus.PENDING,
        "due_at": now,
        "next_attempt_at": now,
        "expires_at": expires_at,
        "created_at": now,
    }
    insert_new(session, OutboxMessage, [row])
    session.flush()


# What the patient hears when a visit changes while an earlier notice still waits: they have
# not heard the waiting one, so a booking then a move is still "booked" (at the new time), a
# booking then its removal is nothing at all, and a removal then a new booking is a move.
_COMBINED: dict[tuple[OutboxKind, OutboxKind], OutboxKind | None] = {
    (OutboxKind.VISIT_BOOKED, OutboxKind.VISIT_MOVED): OutboxKind.VISIT_BOOKED,
    (OutboxKind.VISIT_BOOKED, OutboxKind.VISIT_UNBOOKED): None,
    (OutboxKind.VISIT_MOVED, OutboxKind.VISIT_UNBOOKED): OutboxKind.VISIT_UNBOOKED,
    (OutboxKind.VISIT_UNBOOKED, OutboxKind.VISIT_BOOKED): OutboxKind.VISIT_MOVED,
    (OutboxKind.VISIT_UNBOOKED, OutboxKind.VISIT_MOVED): OutboxKind.VISIT_MOVED,
}


def queue_visit_notice(
    session: Session,
    *,
    occurrence: Occurrence,
    change: OutboxKind,
    now: datetime,
) -> OutboxKind | None:
    """Tell the patient now that visit `occurrence` (as it stands after the change) was booked,
    moved or unbooked; the kind queued, or None when nothing needs saying.

    At most one notice per visit waits: a new change folds into the waiting one (see
    `_COMBINED`) and the others are cancelled. The dispatcher builds the words at send time
    from the visit as it is then, holds the push through the patient's night like a reminder,
    and drops it once the visit has begun (an unbooked visit's: a day after now, at least).
    A row being sent right now is re-armed, so the patient also hears the latest time.
    """
    if change not in VISIT_NOTICES:
        raise ValueError(f"{change!r} is not a visit notice")
    rows = session.exec(
        select(OutboxMessage).where(
            OutboxMessage.occurrence_id == occurrence.id,
            col(OutboxMessage.kind).in_(VISIT_NOTICES),
        )
    ).all()
    by_kind = {OutboxKind(row.kind): row for row in rows}
    waiting = [row for row in rows if row.status == OutboxStatus.PENDING]
    wanted: OutboxKind | None = change
    for row in waiting:
        wanted = _COMBINED.get((OutboxKind(row.kind), change), change)
    for row in waiting:
        if row.kind != wanted:
            _cancel(row, "replaced by a later change to the visit")
            session.add(row)
    if wanted is None:
        session.flush()
        return None
    expires_at = occurrence.due_at
    if expires_at <= now:
        expires_at = now + VISIT_NOTICE_LIFETIME
    notice = by_kind.get(wanted)
    if notice is None:
        notice = OutboxMessage(
            kind=wanted,
            occurrence_id=occurrence.id,
            patient_id=occurrence.patient_id,
            status=OutboxStatus.PENDING,
            due_at=now,
            next_attempt_at=now,
            expires_at=expires_at,
            created_at=now,
        )
    else:
        rearm(notice, when=now, expires_at=expires_at)
    session.add(notice)
    session.flush()
    return wanted
