"""The e-mail and SMS senders this server is set up for, from its settings."""

from __future__ import annotations

from app.config import Settings
from app.gateway_urls import SmsGateway, SmtpServer
from app.notifications.mail import MailSender
from app.notifications.models import Channel
from app.notifications.send import LetterSender
from app.notifications.sms import SmsSender


def letter_senders(settings: Settings) -> dict[str, LetterSender]:
    """A sender per configured channel (AFTERCARE_SMTP_URL, AFTERCARE_SMS_URL)."""
    senders: dict[str, LetterSender] = {}
    if settings.smtp_url is not None:
        senders[Channel.EMAIL] = MailSender(
            SmtpServer.from_url(settings.smtp_url.get_secret_value()),
            sender=settings.mail_from,
            timeout=settings.push_timeout_seconds,
        )
    if settings.sms_url is not None:
        senders[Channel.SMS] = SmsSender(
            SmsGateway.from_url(settings.sms_url.get_secret_value()),
            timeout=settings.push_timeout_seconds,
        )
    return senders
