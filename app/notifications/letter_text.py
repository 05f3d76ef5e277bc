"""The words of a reminder by e-mail or SMS: lock-screen safe like a push, with the task's link."""

from __future__ import annotations

import html
import uuid

from app.notifications.letters import Letter
from app.notifications.models import Channel
from app.notifications.payload import GENERIC_APPOINTMENT_TEXT, GENERIC_TASK_TEXT

SETTINGS_PATH = "/#settings"
# DRAFT for clinical review
EMAIL_SUBJECT = "A reminder from {clinic}"
# DRAFT for clinical review
EMAIL_TEXT = (
    "{body}.\n\n"
    "Open it in the app: {link}\n\n"
    "You get this e-mail because you asked {clinic} to remind you by e-mail when a reminder "
    "does not reach your phone. To stop, open Settings in the app: {settings}\n"
)
# DRAFT for clinical review
SMS_TEXT = "{clinic}: {body}. Open: {link}"


def reminder_letter(
    *,
    channel: str,
    to: str,
    occurrence_id: uuid.UUID,
    kind: str,
    title: str,
    show_title: bool,
    clinic: str,
    public_url: str,
) -> Letter:
    """A reminder as an e-mail or a text: the task's title only if the patient chose to see
    titles (a text lands on the lock screen, an e-mail in a shared inbox), never a diagnosis."""
    generic = GENERIC_APPOINTMENT_TEXT if kind == "appointment" else GENERIC_TASK_TEXT
    body = (title if show_title and title else generic).rstrip(".")
    link = f"{public_url}/?task={occurrence_id}"
    settings = f"{public_url}{SETTINGS_PATH}"
    if channel == Channel.SMS:
        return Letter(to=to, subject="", text=SMS_TEXT.format(clinic=clinic, body=body, link=link))
    text = EMAIL_TEXT.format(body=body, link=link, clinic=clinic, settings=settings)
    markup = (
        f'<p style="font-size:20px">{html.escape(body)}.</p>'
        f'<p style="font-size:20px"><a href="{html.escape(link)}">Open it in the app</a></p>'
        f"<p>{html.escape(text.split(chr(10) * 2)[2])}</p>"
    )
    return Letter(
        to=to,
        subject=EMAIL_SUBJECT.format(clinic=clinic),
        text=text,
        html=markup,
        unsubscribe=settings,
    )
