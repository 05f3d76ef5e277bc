"""How an on-call staff member also gets a new alert: the console's push only, or an e-mail to
their sign-in address or a text to their mobile number as well (docs/console.md, "Staff")."""

from __future__ import annotations

from typing import Any

from app.error_codes import ErrorCode
from app.errors import InvalidInput
from app.staff.models import AlertChannel, StaffUser


def apply(
    target: StaffUser,
    *,
    phone: str | None,
    alert_channel: AlertChannel | None,
    offered: frozenset[str],
) -> dict[str, Any]:
    """Set what was sent on `target` (not yet added to the session); what changed, for the audit.

    Refuses (422) a channel this server cannot send (`offered`: Settings.letter_channels), and
    texts without a number, whether the choice or the number is what changed.
    """
    before = (target.phone, target.alert_channel)
    new_phone = target.phone if phone is None else phone
    new_channel = target.alert_channel if alert_channel is None else alert_channel.value
    # A choice kept as it was is not refused (the server's settings may have changed since).
    if (
        new_channel != target.alert_channel
        and new_channel != AlertChannel.PUSH
        and new_channel not in offered
    ):
        words = "e-mail" if new_channel == AlertChannel.EMAIL else "text message"
        raise InvalidInput(
            f"This server does not send alerts by {words}.", code=ErrorCode.CHANNEL_NOT_OFFERED
        )
    if new_channel == AlertChannel.SMS and not new_phone:
        raise InvalidInput(
            "Alerts by text message need a mobile number that starts with the country code, "
            "e.g. +44 7700 900123: add the number first.",
            code=ErrorCode.CHANNEL_NEEDS_ADDRESS,
        )
    target.phone, target.alert_channel = new_phone, new_channel
    changes: dict[str, Any] = {}
    if new_phone != before[0]:
        changes["phone"] = True  # a number is personal: "changed" only
    if new_channel != before[1]:
        changes["alert_channel"] = new_channel
    return changes
