"""The patient's choice of a second way to be reminded (e-mail or SMS), with their consent."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlmodel import Session, SQLModel

from app.error_codes import ErrorCode
from app.errors import InvalidInput
from app.patients.models import Patient, ReminderChannelPublic
from app.shared.phone import sms_number

ChannelChoice = Literal["", "email", "sms"]


class ReminderChannelChoice(SQLModel):
    """`channel` "" stops reminders by e-mail or SMS; "email" or "sms" needs `consent` true."""

    model_config = {"extra": "forbid"}

    channel: ChannelChoice
    consent: bool = False


def check_reachable(patient: Patient, channel: str) -> None:
    """Refuse a channel the record has no address or no textable number for."""
    if channel == "email" and not patient.email:
        raise InvalidInput(
            "There is no e-mail address in the record: add one first.",
            code=ErrorCode.CHANNEL_NEEDS_ADDRESS,
        )
    if channel == "sms" and sms_number(patient.phone) is None:
        raise InvalidInput(
            "Text messages need a mobile number that starts with the country code, "
            "e.g. +44 7700 900123: correct the number first.",
            code=ErrorCode.CHANNEL_NEEDS_ADDRESS,
        )


def choose_channel(
    session: Session,
    *,
    patient: Patient,
    choice: ReminderChannelChoice,
    by: Literal["patient", "staff"],
    offered: frozenset[str],
    now: datetime,
) -> bool:
    """Record the choice and when consent was given (and by whom); True if anything changed.

    `offered`: the channels this server is set up to send (Settings.letter_channels).
    """
    if choice.channel and choice.channel not in offered:
        words = "e-mail" if choice.channel == "email" else "text message"
        raise InvalidInput(
            f"This clinic does not send reminders by {words}.", code=ErrorCode.CHANNEL_NOT_OFFERED
        )
    if choice.channel and not choice.consent:
        raise InvalidInput(
            "Reminders by e-mail or text need the patient's agreement: tick the box to agree.",
            code=ErrorCode.CHANNEL_NEEDS_CONSENT,
        )
    check_reachable(patient, choice.channel)
    if choice.channel == patient.reminder_channel:
        return False
    patient.reminder_channel = choice.channel
    patient.reminder_consent_at = now if choice.channel else None
    patient.reminder_consent_by = by if choice.channel else ""
    patient.updated_at = now
    session.add(patient)
    session.flush()
    return True


def channel_of(patient: Patient, offered: frozenset[str]) -> ReminderChannelPublic:
    """The patient's choice as the phone's Settings and the patient page show it."""
    return ReminderChannelPublic(
        channel=patient.reminder_channel,
        consent_at=patient.reminder_consent_at,
        consent_by=patient.reminder_consent_by,
        offered=sorted(offered),
        email=patient.email,
        sms_number=sms_number(patient.phone),
    )
