"""Recording a sent batch's outcomes: rows, dead and working subscriptions, metrics and the log."""

from __future__ import annotations

import logging
import time
from datetime import datetime

from sqlalchemy import bindparam, delete, func, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col

from app.db import transaction
from app.db_outage import connection_lost, driver_message
from app.dbtypes import UTCDateTime
from app.notifications import metrics
from app.notifications.models import OutboxMessage, OutboxStatus, PushSubscription
from app.notifications.outcome import Outcome

log = logging.getLogger("aftercare.dispatch")

# Recording a sent batch's outcomes is retried while the database is away (a restart takes
# seconds): first after this pause, doubling up to the cap, for as long as the lease holds.
RECORD_RETRY_FIRST_SECONDS = 0.25
RECORD_RETRY_MAX_SECONDS = 2.0


def record(
    sessions: sessionmaker[Session], outcomes: list[Outcome], now: datetime, *, lease_ends: float
) -> None:
    """Write the outcomes; a lost database connection is retried until `lease_ends`
    (time.monotonic()): giving up would leave the batch to be claimed and sent again."""
    if not outcomes:
        return
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    params = [
        {
            "b_id": o.row_id,
            "b_status": o.status.value,
            "b_error": o.reason[:500],
            "b_next": o.next_attempt_at,
            "b_sent": o.sent_at,
        }
        for o in outcomes
    ]
    statement = (
        update(table)
        # Only a row this run still holds: never overwrite a later claim's result.
        .where(table.c.id == bindparam("b_id"), table.c.status == OutboxStatus.SENDING.value)
        .values(
            status=bindparam("b_status"),
            last_error=bindparam("b_error"),
            # Typed binds: on SQLite, UTCDateTime is what keeps stored instants comparable.
            next_attempt_at=func.coalesce(
                bindparam("b_next", type_=UTCDateTime()), table.c.next_attempt_at
            ),
            sent_at=bindparam("b_sent", type_=UTCDateTime()),
            lease_until=None,
        )
    )
    gone = [sub for o in outcomes for sub in o.gone]
    delivered = [sub for o in outcomes for sub in o.delivered_to]
    pause = RECORD_RETRY_FIRST_SECONDS
    while True:
        try:
            # Safe to repeat: the update only touches rows still `sending`.
            with transaction(sessions) as session:
                session.connection().execute(statement, params)
                if gone:
                    session.execute(
                        delete(PushSubscription).where(col(PushSubscription.id).in_(gone))
                    )
                if delivered:
                    session.execute(
                        update(PushSubscription)
                        .where(col(PushSubscription.id).in_(delivered))
                        .values(last_success_at=now)
                    )
            break
        except DBAPIError as exc:
            if not connection_lost(exc) or time.monotonic() + pause >= lease_ends:
                raise
            log.warning(
                "database unavailable recording %d outcomes, retrying in %.2g s: %s",
                len(outcomes),
                pause,
                driver_message(exc),
            )
            time.sleep(pause)
            pause = min(pause * 2, RECORD_RETRY_MAX_SECONDS)
    for outcome in outcomes:
        metrics.sends.labels(outcome.status.value).inc()
        if outcome.sent_at is not None and outcome.due_at is not None:
            metrics.lateness.observe(max(0.0, (outcome.sent_at - outcome.due_at).total_seconds()))
        # Ids and outcomes only: no names, no task titles, no endpoints.
        log.info(
            "outbox message=%s outcome=%s devices=%d gone=%d reason=%s",
            outcome.row_id,
            outcome.status.value,
            len(outcome.delivered_to),
            len(outcome.gone),
            outcome.reason or "-",
        )
