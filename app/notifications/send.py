"""Sending one claimed row to every device at once, its bug kept to itself, cut off at its lease."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from app.clock import Clock
from app.notifications.build import Push
from app.notifications.load import AlertClaim, Claim
from app.notifications.models import OutboxStatus
from app.notifications.outcome import Outcome
from app.notifications.sender import PushResult, PushSender

log = logging.getLogger("aftercare.dispatch")

BuildPush = Callable[[Claim | AlertClaim, datetime], Push | Outcome]
SettleRow = Callable[[Claim | AlertClaim, list[PushResult], datetime], Outcome]

LEASE_RAN_OUT = "lease ran out before an answer"


class Cutoff:
    """The sends of one claim, all cancelled when its lease is about to end.

    One timer per claim rather than one per row: every row of a claim shares its lease. A
    cancelled send counts as "no answer" (retried later), so this dispatcher never holds a row
    that another may already have claimed again.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, within: float) -> None:
        self._sends: set[asyncio.Future[PushResult]] = set()
        self._timer = loop.call_later(max(0.0, within), self.cut)
        self.passed = False

    def watch(self, send: asyncio.Future[PushResult]) -> None:
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
    build: BuildPush,
    settle: SettleRow,
    clock: Clock,
    cutoff: Cutoff,
) -> Outcome:
    """The row's outcome, settled at the instant its answers came (`clock`), not at its claim."""
    try:
        push = build(claim, now)
        if isinstance(push, Outcome):
            return push
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
        return settle(claim, results, clock.now())
    except Exception:
        log.exception("outbox message=%s could not be sent", claim.row_id)
        return Outcome(claim.row_id, OutboxStatus.FAILED, "internal error (see logs)")
