"""Recording outcomes as sends complete: rows, dead and working subscriptions, metrics, the log."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, delete, func, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker
from sqlalchemy.sql.dml import Update
from sqlmodel import Session, col

from app.clock import Clock
from app.db import transaction
from app.db_outage import connection_lost, driver_message
from app.dbtypes import UTCDateTime
from app.notifications import metrics
from app.notifications.models import OutboxKind, OutboxMessage, OutboxStatus, PushSubscription
from app.notifications.outcome import Outcome, QueuedFallback

log = logging.getLogger("aftercare.dispatch")

# Outcomes that could not be written while the database is away (a restart takes seconds) are
# written again: first after this pause, doubling up to the cap, for as long as the lease holds.
RECORD_RETRY_FIRST_SECONDS = 0.25
RECORD_RETRY_MAX_SECONDS = 2.0

RunInDatabaseThread = Callable[[Callable[[], None]], Awaitable[None]]


@dataclass(frozen=True)
class Settled:
    """One row's outcome, the claim it settles (its attempt number) and when that claim's lease
    ends (time.monotonic())."""

    outcome: Outcome
    attempt: int
    lease_ends: float


def record(sessions: sessionmaker[Session], settled: list[Settled], now: datetime) -> None:
    """Write the outcomes in one transaction (safe to repeat).

    Each row is written only if it is still held by the claim that sent it: `sending`, with the
    attempt number that claim gave it. A row whose lease ran out and was claimed again (here or
    by another dispatcher) has a higher attempt, and a late write never overwrites that claim.
    """
    if not settled:
        return
    params = [
        {
            "b_id": s.outcome.row_id,
            "b_attempt": s.attempt,
            "b_status": s.outcome.status.value,
            "b_error": s.outcome.reason[:500],
            "b_next": s.outcome.next_attempt_at,
            "b_sent": s.outcome.sent_at,
        }
        for s in settled
    ]
    statement = _settle_statement()
    gone = [sub for s in settled for sub in s.outcome.gone]
    delivered = [sub for s in settled for sub in s.outcome.delivered_to]
    fallbacks = [s.outcome.fallback for s in settled if s.outcome.fallback is not None]
    with transaction(sessions) as session:
        session.connection().execute(statement, params)
        if fallbacks:
            queue_fallbacks(session, fallbacks, now)
        if gone:
            session.execute(delete(PushSubscription).where(col(PushSubscription.id).in_(gone)))
        if delivered:
            session.execute(
                update(PushSubscription)
                .where(col(PushSubscription.id).in_(delivered))
                .values(last_success_at=now)
            )


def queue_fallbacks(session: Session, fallbacks: list[QueuedFallback], now: datetime) -> None:
    """Insert each push reminder's e-mail or SMS row, or re-arm it for a push that moved.

    One row per (occurrence, kind, channel). Written again for the same push (a retry, or a
    send repeated after a crash) it is left as it is: `due_at` is the push's, unchanged, so a
    fallback already sent is never sent twice. A push whose due_at changed (moved, snoozed)
    is a new reminder: its fallback waits again, unless it is being sent right now.
    """
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    rows = [
        {
            "kind": OutboxKind.REMINDER.value,
            "channel": f.channel,
            "occurrence_id": f.occurrence_id,
            "patient_id": f.patient_id,
            "status": OutboxStatus.PENDING.value,
            "due_at": f.due_at,
            "next_attempt_at": f.next_attempt_at,
            "expires_at": f.expires_at,
            "attempts": 0,
            "last_error": "",
            "created_at": now,
        }
        for f in fallbacks
    ]
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(table).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=["occurrence_id", "kind", "channel"],
        set_={
            "status": OutboxStatus.PENDING.value,
            "due_at": statement.excluded.due_at,
            "next_attempt_at": statement.excluded.next_attempt_at,
            "expires_at": statement.excluded.expires_at,
            "attempts": 0,
            "last_error": "",
            "sent_at": None,
        },
        where=(table.c.due_at != statement.excluded.due_at)
        & (table.c.status != OutboxStatus.SENDING.value),
    )
    session.execute(statement)


@cache
def _settle_statement() -> Update:
    """Built once: it is the same for every chunk, and chunks are written 20 times a second."""
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    return (
        update(table)
        .where(
            table.c.id == bindparam("b_id"),
            table.c.status == OutboxStatus.SENDING.value,
            table.c.attempts == bindparam("b_attempt"),
        )
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


def report(settled: list[Settled]) -> None:
    """Metrics and one log line per recorded outcome: ids and outcomes only, no names, no
    task titles, no endpoints."""
    for s in settled:
        outcome = s.outcome
        metrics.sends.labels(outcome.status.value).inc()
        if outcome.sent_at is not None and outcome.due_at is not None:
            metrics.lateness.observe(max(0.0, (outcome.sent_at - outcome.due_at).total_seconds()))
        log.info(
            "outbox message=%s outcome=%s devices=%d gone=%d reason=%s",
            outcome.row_id,
            outcome.status.value,
            len(outcome.delivered_to),
            len(outcome.gone),
            outcome.reason or "-",
        )


class Recorder:
    """Outcomes buffered as sends complete and written in small, short transactions.

    A chunk is written once `chunk` outcomes wait or the oldest has waited `every` seconds,
    whichever comes first, so a dispatcher killed mid-burst leaves unrecorded (and so sends
    again) only the rows in flight and those that completed in the last moments, not the
    whole burst. Writes run in the dispatcher's database thread: the event loop goes on
    sending meanwhile. A lost connection keeps the chunk for the next write (backing off);
    an outcome whose lease has ended by then is given up, since its row may be claimed again.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        in_database_thread: RunInDatabaseThread,
        *,
        every: float,
        chunk: int,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._in_database_thread = in_database_thread
        self._every = every
        self._chunk = chunk
        self._waiting: list[Settled] = []
        self._oldest = 0.0  # time.monotonic() when the oldest waiting outcome came
        self._arrived = asyncio.Event()
        self._pause = RECORD_RETRY_FIRST_SECONDS
        self._closing = False
        self.failure: BaseException | None = None  # a write that failed other than by outage

    def add(self, settled: Settled) -> None:
        if not self._waiting:
            self._oldest = time.monotonic()
        self._waiting.append(settled)
        self._arrived.set()

    def close(self) -> None:
        """No more outcomes will come: write what waits at once, then let run() return."""
        self._closing = True
        self._arrived.set()

    async def run(self) -> None:
        """Write chunks as they fill or age; after close(), until nothing waits."""
        while True:
            if not self._waiting:
                if self._closing:
                    return
                self._arrived.clear()
                await self._arrived.wait()
                continue
            while not self._closing and len(self._waiting) < self._chunk:
                left = self._oldest + self._every - time.monotonic()
                if left <= 0:
                    break
                self._arrived.clear()
                try:
                    await asyncio.wait_for(self._arrived.wait(), left)
                except TimeoutError:
                    break
            if not await self.write():
                await asyncio.sleep(self._pause)
                self._pause = min(self._pause * 2, RECORD_RETRY_MAX_SECONDS)

    async def write(self) -> bool:
        """Write what waits now; False when the database was away (the outcomes still wait)."""
        chunk, self._waiting = self._waiting, []
        if not chunk:
            return True
        try:
            await self._in_database_thread(lambda: record(self._sessions, chunk, self._clock.now()))
        except DBAPIError as exc:
            if not connection_lost(exc):
                self._fail(chunk, exc)
                return True
            self._keep(chunk, exc)
            return False
        except Exception as exc:
            self._fail(chunk, exc)
            return True
        self._pause = RECORD_RETRY_FIRST_SECONDS
        report(chunk)
        return True

    def _keep(self, chunk: list[Settled], exc: DBAPIError) -> None:
        """Put the chunk back (ahead of newer outcomes), less what its lease no longer covers."""
        now = time.monotonic()
        kept = [s for s in chunk if s.lease_ends > now + self._pause]
        if len(kept) < len(chunk):
            log.error(
                "database unavailable past the lease of %d outcomes: those rows will be sent "
                "again: %s",
                len(chunk) - len(kept),
                driver_message(exc),
            )
        else:
            log.warning(
                "database unavailable recording %d outcomes, retrying in %.2g s: %s",
                len(chunk),
                self._pause,
                driver_message(exc),
            )
        if kept and not self._waiting:
            self._oldest = now
        self._waiting[:0] = kept

    def _fail(self, chunk: list[Settled], exc: BaseException) -> None:
        # Not an outage: retrying would fail the same way. The rows stay `sending` until their
        # lease ends and are then sent again; the run ends with this error.
        log.error("could not record %d outcomes (their rows will be sent again)", len(chunk))
        self.failure = self.failure or exc
