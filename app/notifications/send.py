"""Sending a claimed batch: every row and every device at once, one row's bug kept to itself."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from app.notifications.build import Push
from app.notifications.load import AlertClaim, Claim
from app.notifications.models import OutboxStatus
from app.notifications.outcome import Outcome
from app.notifications.sender import PushResult, PushSender

log = logging.getLogger("aftercare.dispatch")

BuildPush = Callable[[Claim | AlertClaim, datetime], Push | Outcome]
SettleRow = Callable[[Claim | AlertClaim, list[PushResult], datetime], Outcome]


async def send_batch(
    claims: list[Claim | AlertClaim],
    now: datetime,
    *,
    sender: PushSender,
    build: BuildPush,
    settle: SettleRow,
) -> list[Outcome]:
    """Each row's outcome, in the order of `claims`; sends start in that (claim) order."""
    return list(
        await asyncio.gather(*(_send_safely(claim, now, sender, build, settle) for claim in claims))
    )


async def _send_safely(
    claim: Claim | AlertClaim,
    now: datetime,
    sender: PushSender,
    build: BuildPush,
    settle: SettleRow,
) -> Outcome:
    """One row's bug must not hold back its batch, nor come back after every lease."""
    try:
        push = build(claim, now)
        if isinstance(push, Outcome):
            return push
        results = await asyncio.gather(
            *(
                sender.send(
                    device, push.plaintext, ttl=push.ttl, urgency=push.urgency, topic=push.topic
                )
                for _, device in claim.devices
            )
        )
        return settle(claim, list(results), now)
    except Exception:
        log.exception("outbox message=%s could not be sent", claim.row_id)
        return Outcome(claim.row_id, OutboxStatus.FAILED, "internal error (see logs)")
