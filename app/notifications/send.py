"""Sending one claimed row to every device at once, its bug kept to itself, cut off at its lease."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from app.clock import Clock
from app.notifications.build import Push, fallback_of
from app.notifications.letters import Answer, Letter, LetterResult
from app.notifications.load import AlertClaim, Claim
from app.notifications.models import OutboxStatus
from app.notifications.outcome import Outcome, Settle
from app.notifications.sender import PushResult, PushSender

log = logging.getLogger("aftercare.dispatch")

BuildPush = Callable[[Claim | AlertClaim, datetime], Push | Letter | Outcome]


class LetterSender(Protocol):
    """The mail server or the SMS gateway (app/notifications/mail.py, sms.py)."""

    async def send(self, letter: Letter) -> LetterResult: ...

    async def release(self) -> None: ...


LEASE_RAN_OUT = "lease ran out before an answer"


class Cutoff:
    """The sends of one claim, all cancelled when its lease is about to end.

    One timer per claim rather than one per row: every row of a claim shares its lease. A
    cancelled send counts as "no answer" (retried later), so this dispatcher never holds a row
    that another may already have claimed again.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, within: float) -> None:
        self._sends: set[asyncio.Future[Any]] = set()
        self._timer = loop.call_later(max(0.0, within), self.cut)
        self.passed = False

    def watch(self, send: asyncio.Future[Any]) -> None:
        if self.passed:
            send.cancel()
            return
        self._sends.add(send)
        send.add_done_callback(self._sends.discard)

    def cut(self) -> None:
        self.passed = True
        for send in list(self._sends):
            send.cancel()

    def cancel(self) -> None:
        """Every row of the claim is settled: the timer is not needed any more."""
        self._timer.cancel()


async def send_row(
    claim: Claim | AlertClaim,
    now: datetime,
    *,
    sender: PushSender,
    letters: Mapping[str, LetterSender],
    build: BuildPush,
    settle: Settle,
    clock: Clock,
    cutoff: Cutoff,
) -> Outcome:
    """The row's outcome, settled at the instant its answers came (`clock`), not at its claim."""
    try:
        push = build(claim, now)
        if isinstance(push, Outcome):
            return push
        if isinstance(push, Letter):
            letter_sender = letters.get(claim.channel)
            if letter_sender is None:  # the server's settings changed since it was queued
                reason = f"this server is not set up to send by {claim.channel}"
                return Outcome(claim.row_id, OutboxStatus.FAILED, reason)
            return await _send_letter(claim, push, letter_sender, settle, clock, cutoff)
        sends = []
        for _, device in claim.devices:
            send = asyncio.ensure_future(
                sender.send(
                    device, push.plaintext, ttl=push.ttl, urgency=push.urgency, topic=push.topic
                )
            )
            cutoff.watch(send)
            sends.append(send)
        # return_exceptions: a send the cutoff cancelled comes back as CancelledError, and the
        # devices that did answer keep their answer.
        answers = await asyncio.gather(*sends, return_exceptions=True)
        results = []
        for answer in answers:
            if isinstance(answer, asyncio.CancelledError):
                results.append(PushResult(status=None, error=LEASE_RAN_OUT))
            elif isinstance(answer, BaseException):
                raise answer
            else:
                results.append(answer)
        outcome = settle(claim, results, clock.now())
        if isinstance(claim, Claim):
            # Queued with every try, whatever its answer (a push retried for ten minutes has
            # not been shown either); writing it again for the same push changes nothing.
            outcome.fallback = fallback_of(claim, now, devices=True)
        return outcome
    except Exception:
        log.exception("outbox message=%s could not be sent", claim.row_id)
        return Outcome(claim.row_id, OutboxStatus.FAILED, "internal error (see logs)")


async def _send_letter(
    claim: Claim | AlertClaim,
    letter: Letter,
    sender: LetterSender,
    settle: Settle,
    clock: Clock,
    cutoff: Cutoff,
) -> Outcome:
    send = asyncio.ensure_future(sender.send(letter))
    cutoff.watch(send)
    try:
        result = await send
    except asyncio.CancelledError:
        if not cutoff.passed:
            raise
        result = LetterResult(Answer.RETRY, LEASE_RAN_OUT)
    return settle.letter(claim, result, clock.now())
