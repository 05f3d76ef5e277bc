"""A row's outcome from the push service's answers: sent, retried with backoff, or given up."""

from __future__ import annotations

import logging
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.careplan.daytime import Rhythm
from app.notifications import metrics
from app.notifications.letters import Answer, LetterResult
from app.notifications.load import AlertClaim, Claim
from app.notifications.models import OutboxStatus
from app.notifications.sender import PushResult

log = logging.getLogger("aftercare.dispatch")

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
# After a 429/503 without Retry-After, or with a tiny one, wait at least this long.
MIN_RETRY = timedelta(seconds=5)

GONE = frozenset({404, 410})


@dataclass(frozen=True)
class QueuedFallback:
    """An e-mail or SMS row to write with a push reminder's outcome (app/notifications/build.py)."""

    occurrence_id: uuid.UUID
    patient_id: uuid.UUID
    channel: str
    due_at: datetime  # the push's own due_at: one fallback per reminder, re-armed if it moves
    next_attempt_at: datetime
    expires_at: datetime


@dataclass
class Outcome:
    """What to write on a row once its batch is sent, and what to do with its devices."""

    row_id: int
    status: OutboxStatus
    reason: str = ""
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    delivered_to: list[uuid.UUID] = field(default_factory=list)
    gone: list[uuid.UUID] = field(default_factory=list)
    due_at: datetime | None = None
    fallback: QueuedFallback | None = None


def later(claim: Claim | AlertClaim, when: datetime, rhythm: Rhythm | None, reason: str) -> Outcome:
    """Try again at `when` (moved out of the patient's night, if any), or drop it if that is too
    late."""
    if rhythm is not None:
        when = rhythm.to_daytime(when)
    if when >= claim.expires_at:
        return Outcome(claim.row_id, OutboxStatus.DROPPED, f"too late to retry: {reason}")
    return Outcome(claim.row_id, OutboxStatus.PENDING, reason, next_attempt_at=when)


class Settle:
    """Turns each device's answer for one row into the row's outcome."""

    def __init__(self, *, max_attempts: int, rng: random.Random | None = None) -> None:
        self._max_attempts = max_attempts
        self._rng = rng or random.Random()  # noqa: S311  (jitter, not secrets)

    def __call__(
        self, claim: Claim | AlertClaim, results: list[PushResult], now: datetime
    ) -> Outcome:
        # A reminder's retry waits out the patient's night; a staff alert's never does.
        rhythm = claim.rhythm if isinstance(claim, Claim) else None
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
        if claim.attempts >= self._max_attempts:
            reason = f"gave up after {claim.attempts} tries: {reason}"
            return Outcome(claim.row_id, OutboxStatus.FAILED, reason, gone=gone)
        waits = [timedelta(seconds=r.retry_after) for r in retryable if r.retry_after is not None]
        delay = max(waits) if waits else self._backoff(claim.attempts)
        outcome = later(claim, now + max(delay, MIN_RETRY), rhythm, reason)
        outcome.gone = gone
        return outcome

    def letter(self, claim: Claim | AlertClaim, result: LetterResult, now: datetime) -> Outcome:
        """An e-mail's or text's outcome: sent, refused for good (shown to staff), or retried
        after the gateway's Retry-After or the backoff, out of the patient's night (a staff
        alert's retry never waits for a night)."""
        metrics.letter_answers.labels(claim.channel, result.answer.value).inc()
        if result.answer == Answer.SENT:
            return Outcome(claim.row_id, OutboxStatus.SENT, "", sent_at=now, due_at=claim.due_at)
        if result.answer == Answer.REFUSED:
            return Outcome(claim.row_id, OutboxStatus.FAILED, f"refused: {result.error}")
        if claim.attempts >= self._max_attempts:
            reason = f"gave up after {claim.attempts} tries: {result.error}"
            return Outcome(claim.row_id, OutboxStatus.FAILED, reason)
        delay = (
            timedelta(seconds=result.retry_after)
            if result.retry_after is not None
            else self._backoff(claim.attempts)
        )
        return later(claim, now + max(delay, MIN_RETRY), claim.rhythm, result.error)

    def _backoff(self, attempts: int) -> timedelta:
        """Exponential from 30 s, capped at an hour, with ±20% jitter so retries spread out."""
        base: timedelta = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(0, attempts - 1)))
        return base * self._rng.uniform(0.8, 1.2)


def _retryable(status: int | None) -> bool:
    # No answer, rate limited, or a server error: the same message may go through later.
    # 401/403 mean our VAPID setup is wrong; retrying lets a fixed configuration recover.
    return status is None or status in (401, 403, 429) or status >= 500


def _status_class(status: int | None) -> str:
    return "none" if status is None else f"{status // 100}xx"
