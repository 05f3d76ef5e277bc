"""Escalation: an alert still open at its `escalate_at` is marked escalated and pushed again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.notifications.models import OutboxKind
from app.notifications.outbox import queue_alert_push
from app.reports.alerts import OPEN
from app.reports.models import Alert

# Per call; a longer backlog is taken on the next run (every second or so).
BATCH = 100


def escalate_due(session: Session, *, now: datetime) -> int:
    """Escalate open alerts whose time has come; how many this call escalated.

    Each alert escalates once, however many dispatchers run this at the same time: the
    UPDATE only matches alerts still open and not yet escalated, so a second one finds none.
    Acknowledged alerts never escalate. Flushes; the caller commits.
    """
    candidates = (
        select(Alert.id)
        .where(
            col(Alert.status) == OPEN,
            col(Alert.escalate_at) <= now,
            col(Alert.escalated_at).is_(None),
        )
        .order_by(col(Alert.escalate_at), col(Alert.id))
        .limit(BATCH)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Concurrent dispatchers skip each other's alerts instead of waiting on them.
        candidates = candidates.with_for_update(skip_locked=True)
    # Two statements, not UPDATE ... IN (subquery): PostgreSQL may run a LIMIT ... SKIP LOCKED
    # subquery more than once within the UPDATE and take more than a batch.
    ids = list(session.exec(candidates).all())
    if not ids:
        return 0
    escalated = session.execute(
        update(Alert)
        .where(
            col(Alert.id).in_(ids),
            col(Alert.status) == OPEN,
            col(Alert.escalated_at).is_(None),
        )
        .values(escalated_at=now)
        .returning(col(Alert.id), col(Alert.patient_id))
    ).all()
    for alert_id, patient_id in escalated:
        queue_alert_push(
            session,
            alert_id=alert_id,
            patient_id=patient_id,
            kind=OutboxKind.ALERT_ESCALATION,
            now=now,
        )
    return len(escalated)
