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


async def send_row(
    claim: Claim | AlertClaim,
    now: datetime,
    *,
    sender: PushSender,
    build: BuildPush,
    settle: SettleRow,
    clock: Clock,
    within: float,
) -> Outcome:
    """The row's outcome, settled at the instant its answers came (`clock`), not at its claim.

    `within` seconds is what is left of the row's lease (less a margin to record it): devices
    that have not answered by then count as not answered, so this dispatcher never holds a row
    another may already have claimed again.
    """
    try:
        push = build(claim, now)
        if isinstance(push, Outcome):
            return push
        sends = [
            asyncio.ensure_future(
                sender.send(
                    device, push.plaintext, ttl=push.ttl, urgency=push.urgency, topic=push.topic
                )
            )
            for _, device in claim.devices
        ]
        try:
            # wait(), not gather() under a timeout: devices that did answer keep their answer.
            await asyncio.wait(sends, timeout=max(0.001, within))
        finally:
            late = [send for send in sends if not send.done()]
            for send in late:
                send.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        results = [
            PushResult(status=None, error=LEASE_RAN_OUT) if send.cancelled() else send.result()
            for send in sends
        ]
        return settle(claim, results, clock.now())
    except Exception:
        log.exception("outbox message=%s could not be sent", claim.row_id)
        return Outcome(claim.row_id, OutboxStatus.FAILED, "internal error (see logs)")
