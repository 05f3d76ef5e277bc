"""Sending a patient their enrolment link by e-mail or SMS, from the clinic, rate-limited."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlmodel import Session, SQLModel, col, func, select

from app.clinics.models import Clinic
from app.config import Settings
from app.enrolment.service import IssuedLink, issue_enrolment_link
from app.error_codes import ErrorCode
from app.errors import BadGateway, InvalidInput, TooManyRequests
from app.i18n import catalogue
from app.i18n.formats import short_when_in
from app.notifications.channels import letter_senders
from app.notifications.letters import Answer, Letter, LetterResult
from app.patients.models import Patient
from app.patients.reminder_channel import check_reachable
from app.shared.phone import sms_number
from app.staff.models import AuditEvent, StaffUser

SENT_ACTION = "enrolment.send"
# A typo fixed and sent again, or a link resent after a lost phone: a few an hour. More is a
# runaway click or misuse, and each text costs the clinic money.
SENDS_PER_HOUR = 3

# DRAFT for clinical review
SMS_TEXT = (
    "{clinic}: here is your Aftercare link, to follow your care after treatment: {url} "
    "It works once, until {until}. Sent by {staff}."
)
# DRAFT for clinical review
EMAIL_SUBJECT = "Your Aftercare link from {clinic}"
# DRAFT for clinical review
EMAIL_TEXT = (
    "Hello {patient},\n\n"
    "{staff} at {clinic} has sent you your Aftercare link. Open it on your phone to see "
    "your care plan after treatment and get your reminders:\n\n{url}\n\n"
    "The link works once, until {until}. If you did not expect this e-mail, please call "
    "{clinic} on {phone}.\n"
)


class SendLink(SQLModel):
    model_config = {"extra": "forbid"}

    channel: Literal["email", "sms"]


class LinkSent(SQLModel):
    channel: str
    to: str
    expires_at: datetime


def send_link(
    session: Session,
    *,
    patient: Patient,
    staff: StaffUser,
    channel: Literal["email", "sms"],
    settings: Settings,
    now: datetime,
) -> LinkSent:
    """Issue a new link (the unused one stops working) and send it; if the message is not
    taken, raise, and the caller's rollback keeps the old link and changes nothing."""
    if channel not in settings.letter_channels:
        words = "e-mail" if channel == "email" else "text message"
        raise InvalidInput(
            f"This server is not set up to send {words}s.", code=ErrorCode.CHANNEL_NOT_OFFERED
        )
    check_reachable(patient, channel)
    _check_rate(session, patient, now)
    clinic = session.get(Clinic, patient.clinic_id)
    assert clinic is not None  # a patient's clinic outlives them
    link = issue_enrolment_link(session, patient=patient, now=now, settings=settings)
    letter = _letter(channel, patient, clinic, staff, link)
    result = asyncio.run(_send(settings, channel, letter))
    if result.answer == Answer.REFUSED:
        raise BadGateway(
            "The message was refused: check the patient's address or number. The previous "
            "link still works."
        )
    if result.answer == Answer.RETRY:
        raise BadGateway(
            "The message could not be sent just now. Try again in a few minutes, or hand the "
            "link over in person. The previous link still works."
        )
    return LinkSent(channel=channel, to=letter.to, expires_at=link.expires_at)


def _check_rate(session: Session, patient: Patient, now: datetime) -> None:
    since = now - timedelta(hours=1)
    sent = session.exec(
        select(func.count(), func.min(AuditEvent.created_at)).where(
            AuditEvent.patient_id == patient.id,
            AuditEvent.action == SENT_ACTION,
            col(AuditEvent.created_at) > since,
        )
    ).one()
    count, first = sent
    if count >= SENDS_PER_HOUR and first is not None:
        wait = int((first + timedelta(hours=1) - now).total_seconds()) + 1
        raise TooManyRequests(
            f"The link was sent {count} times in the last hour: wait a while, or hand it over "
            "in person.",
            retry_after=wait,
            code=ErrorCode.TOO_MANY_SENDS,
        )


def _letter(
    channel: str, patient: Patient, clinic: Clinic, staff: StaffUser, link: IssuedLink
) -> Letter:
    """The link's words in the patient's language, its expiry on their clock."""
    language = patient.language
    until = short_when_in(link.expires_at, ZoneInfo(patient.time_zone), language)
    # DRAFT for clinical review
    sender = staff.name or catalogue.text(language, "the clinic")
    if channel == "sms":
        number = sms_number(patient.phone)
        assert number is not None  # check_reachable
        text = catalogue.text(
            language, SMS_TEXT, clinic=clinic.name, url=link.url, until=until, staff=sender
        )
        return Letter(to=number, subject="", text=text)
    assert patient.email is not None  # check_reachable
    text = catalogue.text(
        language,
        EMAIL_TEXT,
        patient=patient.name,
        staff=sender,
        clinic=clinic.name,
        url=link.url,
        until=until,
        phone=clinic.phone,
    )
    subject = catalogue.text(language, EMAIL_SUBJECT, clinic=clinic.name)
    return Letter(to=patient.email, subject=subject, text=text)


async def _send(settings: Settings, channel: str, letter: Letter) -> LetterResult:
    sender = letter_senders(settings)[channel]
    try:
        return await sender.send(letter)
    finally:
        await sender.release()
