"""The dispatcher: claims due outbox rows, sends them concurrently, records each outcome."""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, delete, func, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.careplan.daytime import Rhythm
from app.careplan.types import Preferences
from app.clock import Clock
from app.config import Settings
from app.db import transaction
from app.dbtypes import UTCDateTime
from app.notifications import metrics
from app.notifications.actions import make_token
from app.notifications.models import OutboxMessage, OutboxStatus, PushSubscription
from app.notifications.payload import reminder_payload
from app.notifications.sender import Device, PushResult, PushSender
from app.patients.models import Patient
from app.tasks.models import Occurrence, OccurrenceStatus

log = logging.getLogger("aftercare.dispatch")

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
# After a 429/503 without Retry-After, or with a tiny one, wait at least this long.
MIN_RETRY = timedelta(seconds=5)
# One run keeps claiming while batches come back full, so a burst drains without waiting for
# the next tick; the budget bounds how long one run holds the scheduler's thread.
RUN_BUDGET_SECONDS = 20.0

GONE = frozenset({404, 410})


@dataclass
class Claim:
    """A claimed row with just the columns it takes to decide and send.

    Plain values, not ORM objects: building entities was a fifth of the time per message.
    `occurrence_id` or `rhythm` is None when the occurrence or the patient is gone.
    """

    row_id: int
    due_at: datetime
    expires_at: datetime
    attempts: int
    occurrence_id: uuid.UUID | None
    task: str
    kind: str
    title: str
    done: bool
    show_title: bool
    rhythm: Rhythm | None
    patient_id: uuid.UUID | None
    devices: list[tuple[uuid.UUID, Device]] = field(default_factory=list)


@dataclass
class Outcome:
    row_id: int
    status: OutboxStatus
    reason: str = ""
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    delivered_to: list[uuid.UUID] = field(default_factory=list)
    gone: list[uuid.UUID] = field(default_factory=list)
    due_at: datetime | None = None


@dataclass
class RunReport:
    claimed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: Outcome) -> None:
        self.outcomes[outcome.status] = self.outcomes.get(outcome.status, 0) + 1


class Dispatcher:
    """All state is in the database: any number of dispatchers can run against one PostgreSQL.

    A claim marks rows `sending` with a lease; a dispatcher that dies leaves rows whose lease
    expires and another claims them again (at most that batch is sent twice; the Topic header
    makes the push service replace the first copy).
    """

    def __init__(
        self,
        *,
        session_factory: sessionmaker[Session],
        clock: Clock,
        sender: PushSender,
        settings: Settings,
        key_id: str,
        action_secret: bytes,
        rng: random.Random | None = None,
    ) -> None:
        self._sessions = session_factory
        self._clock = clock
        self._sender = sender
        self._settings = settings
        self._key_id = key_id
        self._action_secret = action_secret
        self._rng = rng or random.Random()  # noqa: S311  (jitter, not secrets)
        self._loop = asyncio.new_event_loop()

    def close(self) -> None:
        self._loop.run_until_complete(self._sender.aclose())
        self._loop.close()

    def run_once(self) -> RunReport:
        """Send everything due now, batch after batch, within the run's time budget."""
        report = RunReport()
        started = time.monotonic()
        while time.monotonic() - started < RUN_BUDGET_SECONDS:
            now = self._clock.now()
            claims = self._claim(now)
            if not claims:
                break
            report.claimed += len(claims)
            outcomes = self._loop.run_until_complete(self._decide_all(claims, now))
            self._record(outcomes, self._clock.now())
            for outcome in outcomes:
                report.add(outcome)
            if len(claims) < self._settings.dispatch_batch_size:
                break
        return report

    # --- claiming ---------------------------------------------------------------------------

    def _claim(self, now: datetime) -> list[Claim]:
        """Atomically take up to a batch of due rows (and rows whose lease ran out)."""
        table = OutboxMessage
        due = or_(
            and_(col(table.status) == OutboxStatus.PENDING, col(table.next_attempt_at) <= now),
            and_(col(table.status) == OutboxStatus.SENDING, col(table.lease_until) < now),
        )
        with transaction(self._sessions) as session:
            candidates = (
                select(table.id)
                .where(due)
                .order_by(col(table.next_attempt_at))
                .limit(self._settings.dispatch_batch_size)
            )
            if session.get_bind().dialect.name == "postgresql":
                # Concurrent dispatchers skip each other's rows instead of waiting on them.
                candidates = candidates.with_for_update(skip_locked=True)
            claimed_ids = session.exec(
                update(table)
                .where(col(table.id).in_(candidates.scalar_subquery()))
                .values(
                    status=OutboxStatus.SENDING,
                    lease_until=now + timedelta(seconds=self._settings.dispatch_lease_seconds),
                    attempts=col(table.attempts) + 1,
                )
                .returning(col(table.id))
            ).all()
            return self._load(session, [row_id for (row_id,) in claimed_ids])

    def _load(self, session: Session, ids: Sequence[int]) -> list[Claim]:
        if not ids:
            return []
        # SQLAlchemy's select: SQLModel's typed one stops at four columns.
        rows = session.execute(
            sa_select(
                col(OutboxMessage.id),
                col(OutboxMessage.due_at),
                col(OutboxMessage.expires_at),
                col(OutboxMessage.attempts),
                col(Occurrence.id),
                col(Occurrence.task),
                col(Occurrence.kind),
                col(Occurrence.title),
                col(Occurrence.status),
                col(Patient.id),
                col(Patient.time_zone),
                col(Patient.wake_time),
                col(Patient.bed_time),
                col(Patient.show_task_titles),
            )
            .join(Occurrence, col(Occurrence.id) == OutboxMessage.occurrence_id, isouter=True)
            .join(Patient, col(Patient.id) == OutboxMessage.patient_id, isouter=True)
            .where(col(OutboxMessage.id).in_(ids))
        ).all()
        rhythms: dict[uuid.UUID, Rhythm] = {}
        claims = []
        for (
            row_id, due_at, expires_at, attempts, occurrence_id, task, kind, title, status,
            patient_id, zone, wake, bed, show_title,
        ) in rows:  # fmt: skip
            rhythm = None
            if patient_id is not None:
                rhythm = rhythms.get(patient_id)
                if rhythm is None:
                    rhythm = Rhythm.from_preferences(Preferences(zone, wake, bed))
                    rhythms[patient_id] = rhythm
            claims.append(
                Claim(
                    row_id=row_id,
                    due_at=due_at,
                    expires_at=expires_at,
                    attempts=attempts,
                    occurrence_id=occurrence_id,
                    task=task or "",
                    kind=kind or "",
                    title=title or "",
                    done=status == OccurrenceStatus.DONE,
                    show_title=bool(show_title),
                    rhythm=rhythm,
                    patient_id=patient_id,
                )
            )
        devices = self._devices(session, set(rhythms))
        for claim in claims:
            if claim.patient_id is not None:
                claim.devices = devices.get(claim.patient_id, [])
        return claims

    def _devices(
        self, session: Session, patient_ids: set[uuid.UUID]
    ) -> dict[uuid.UUID, list[tuple[uuid.UUID, Device]]]:
        """The patients' devices subscribed with the current key; older ones are forgotten."""
        subscriptions = session.execute(
            sa_select(
                col(PushSubscription.id),
                col(PushSubscription.patient_id),
                col(PushSubscription.endpoint),
                col(PushSubscription.p256dh),
                col(PushSubscription.auth),
                col(PushSubscription.vapid_key_id),
            ).where(col(PushSubscription.patient_id).in_(patient_ids))
        ).all()
        stale = [sub_id for sub_id, *_, key_id in subscriptions if key_id != self._key_id]
        if stale:
            # Made with an older server key: push services would refuse them; the app
            # subscribes again when it next opens.
            session.execute(delete(PushSubscription).where(col(PushSubscription.id).in_(stale)))
        devices: dict[uuid.UUID, list[tuple[uuid.UUID, Device]]] = {}
        for sub_id, patient_id, endpoint, p256dh, auth, key_id in subscriptions:
            if key_id == self._key_id and patient_id is not None:
                devices.setdefault(patient_id, []).append((sub_id, Device(endpoint, p256dh, auth)))
        return devices

    # --- deciding and sending ---------------------------------------------------------------

    async def _decide_all(self, claims: list[Claim], now: datetime) -> list[Outcome]:
        return list(await asyncio.gather(*(self._decide_safely(claim, now) for claim in claims)))

    async def _decide_safely(self, claim: Claim, now: datetime) -> Outcome:
        """One row's bug must not hold back its batch, nor come back after every lease."""
        try:
            return await self._decide(claim, now)
        except Exception:
            log.exception("outbox message=%s could not be sent", claim.row_id)
            return Outcome(claim.row_id, OutboxStatus.FAILED, "internal error (see logs)")

    async def _decide(self, claim: Claim, now: datetime) -> Outcome:
        rhythm, occurrence_id = claim.rhythm, claim.occurrence_id
        if occurrence_id is None or rhythm is None:
            return Outcome(claim.row_id, OutboxStatus.CANCELLED, "replaced by a new plan")
        if claim.done:
            return Outcome(claim.row_id, OutboxStatus.CANCELLED, "task already done")
        if now >= claim.expires_at:
            reason = "too late: the task's window has closed"
            return Outcome(claim.row_id, OutboxStatus.DROPPED, reason)
        if rhythm.is_night(now):
            return self._later(claim, rhythm.to_daytime(now), rhythm, "patient's night")
        if not claim.devices:
            reason = "no device subscribed to reminders"
            return Outcome(claim.row_id, OutboxStatus.FAILED, reason)
        plaintext = reminder_payload(
            occurrence_id=occurrence_id,
            kind=claim.kind,
            title=claim.title,
            task=claim.task,
            show_title=claim.show_title,
            public_url=self._settings.public_url,
            action_token=(
                make_token(self._action_secret, occurrence_id, claim.expires_at)
                if claim.kind == "task"
                else None
            ),
        )
        ttl = int((claim.expires_at - now).total_seconds())
        results = await asyncio.gather(
            *(
                self._sender.send(
                    device, plaintext, ttl=ttl, urgency="normal", topic=occurrence_id.hex
                )
                for _, device in claim.devices
            )
        )
        return self._settle(claim, list(results), now, rhythm)

    def _settle(
        self, claim: Claim, results: list[PushResult], now: datetime, rhythm: Rhythm
    ) -> Outcome:
        ids = [sub_id for sub_id, _ in claim.devices]
        for result in results:
            metrics.device_responses.labels(_status_class(result.status)).inc()
        delivered = [i for i, r in zip(ids, results, strict=True) if r.delivered]
        gone = [i for i, r in zip(ids, results, strict=True) if r.status in GONE]
        if delivered:
            return Outcome(
                claim.row_id,
                OutboxStatus.SENT,
                "",
                sent_at=now,
                delivered_to=delivered,
                gone=gone,
                due_at=claim.due_at,
            )
        retryable = [r for r in results if _retryable(r.status)]
        last = results[-1]
        reason = f"{last.status or 'no answer'} {last.error}".strip()[:300]
        for result in results:
            if result.status in (401, 403):
                log.error(
                    "push service refused our VAPID credentials (%s): check the key", result.status
                )
            elif result.status in (400, 413):
                log.error("push service refused a message as malformed (%s): a bug", result.status)
        if not retryable:
            return Outcome(claim.row_id, OutboxStatus.FAILED, reason, gone=gone)
        if claim.attempts >= self._settings.push_max_attempts:
            reason = f"gave up after {claim.attempts} tries: {reason}"
            return Outcome(claim.row_id, OutboxStatus.FAILED, reason, gone=gone)
        waits = [timedelta(seconds=r.retry_after) for r in retryable if r.retry_after is not None]
        delay = max(waits) if waits else self._backoff(claim.attempts)
        outcome = self._later(claim, now + max(delay, MIN_RETRY), rhythm, reason)
        outcome.gone = gone
        return outcome

    def _later(self, claim: Claim, when: datetime, rhythm: Rhythm, reason: str) -> Outcome:
        """Try again at `when` (moved out of the night), or drop it if that is too late."""
        when = rhythm.to_daytime(when)
        if when >= claim.expires_at:
            return Outcome(claim.row_id, OutboxStatus.DROPPED, f"too late to retry: {reason}")
        return Outcome(claim.row_id, OutboxStatus.PENDING, reason, next_attempt_at=when)

    def _backoff(self, attempts: int) -> timedelta:
        """Exponential from 30 s, capped at an hour, with ±20% jitter so retries spread out."""
        base: timedelta = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(0, attempts - 1)))
        return base * self._rng.uniform(0.8, 1.2)

    # --- recording ----------------------------------------------------------------------------

    def _record(self, outcomes: list[Outcome], now: datetime) -> None:
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
        with transaction(self._sessions) as session:
            session.connection().execute(statement, params)
            if gone:
                session.execute(delete(PushSubscription).where(col(PushSubscription.id).in_(gone)))
            if delivered:
                session.execute(
                    update(PushSubscription)
                    .where(col(PushSubscription.id).in_(delivered))
                    .values(last_success_at=now)
                )
        for outcome in outcomes:
            metrics.sends.labels(outcome.status.value).inc()
            if outcome.sent_at is not None and outcome.due_at is not None:
                metrics.lateness.observe(
                    max(0.0, (outcome.sent_at - outcome.due_at).total_seconds())
                )
            # Ids and outcomes only: no names, no task titles, no endpoints.
            log.info(
                "outbox message=%s outcome=%s devices=%d gone=%d reason=%s",
                outcome.row_id,
                outcome.status.value,
                len(outcome.delivered_to),
                len(outcome.gone),
                outcome.reason or "-",
            )


def _retryable(status: int | None) -> bool:
    # No answer, rate limited, or a server error: the same message may go through later.
    # 401/403 mean our VAPID setup is wrong; retrying lets a fixed configuration recover.
    return status is None or status in (401, 403, 429) or status >= 500


def _status_class(status: int | None) -> str:
    return "none" if status is None else f"{status // 100}xx"
