"""The words of a reminder by e-mail or SMS, and of an alert to on-call staff: lock-screen safe
like a push (no name, no diagnosis, no symptom), with the task's or the console's link."""

from __future__ import annotations

import html
import uuid

from app.i18n import catalogue
from app.i18n.languages import DEFAULT_LANGUAGE
from app.notifications.letters import Letter
from app.notifications.models import Channel
from app.notifications.payload import ALERTS_PATH, APP_NAME, generic_text
from app.protocols.translations import translate

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
# DRAFT for clinical review
OPEN_IN_APP = "Open it in the app"


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
    language: str = DEFAULT_LANGUAGE,
) -> Letter:
    """A reminder as an e-mail or a text, in the patient's language: the task's title only if
    the patient chose to see titles (a text lands on the lock screen, an e-mail in a shared
    inbox), never a diagnosis."""
    generic = generic_text(kind, language)
    body = (translate(language, title) if show_title and title else generic).rstrip(".")
    link = f"{public_url}/?task={occurrence_id}"
    settings = f"{public_url}{SETTINGS_PATH}"
    if channel == Channel.SMS:
        sms = catalogue.text(language, SMS_TEXT, clinic=clinic, body=body, link=link)
        return Letter(to=to, subject="", text=sms)
    text = catalogue.text(
        language, EMAIL_TEXT, body=body, link=link, clinic=clinic, settings=settings
    )
    opening = catalogue.text(language, OPEN_IN_APP)
    markup = (
        f'<p style="font-size:20px">{html.escape(body)}.</p>'
        f'<p style="font-size:20px"><a href="{html.escape(link)}">{html.escape(opening)}</a></p>'
        f"<p>{html.escape(text.split(chr(10) * 2)[2])}</p>"
    )
    return Letter(
        to=to,
        subject=catalogue.text(language, EMAIL_SUBJECT, clinic=clinic),
        text=text,
        html=markup,
        unsubscribe=settings,
    )


CONSOLE_SETTINGS_PATH = "/console/#/settings"
# An alert's level in plain words (the console calls them "Emergency" and "Urgent").
# DRAFT for clinical review
ALERT_LEVEL_WORDS = {"emergency": "urgent", "urgent": "needs a call"}
# DRAFT for clinical review
ALERT_SUBJECT = "{app} at {clinic}: a new alert ({level})"
# DRAFT for clinical review
ALERT_EMAIL_TEXT = (
    "{app} at {clinic}: a patient's report has made a new alert. It is {level}.\n\n"
    "Open the alerts in the console: {link}\n\n"
    "You get this e-mail because you are on call and chose to be alerted by e-mail as well. "
    "To change that, open Settings in the console: {settings}\n"
)
# DRAFT for clinical review
ALERT_SMS_TEXT = "{app} at {clinic}: new alert, {level}. Open the console: {link}"


def staff_alert_letter(
    *, channel: str, to: str, level: str, clinic: str, public_url: str
) -> Letter:
    """A new alert as an e-mail or a text to an on-call staff member: who it is from, how
    pressing it is and the console's alerts, nothing about the patient (a lock screen, a shared
    inbox, a phone left on a desk)."""
    words = ALERT_LEVEL_WORDS.get(level, ALERT_LEVEL_WORDS["urgent"])
    link = f"{public_url}{ALERTS_PATH}"
    values = {"app": APP_NAME, "clinic": clinic, "level": words, "link": link}
    if channel == Channel.SMS:
        return Letter(to=to, subject="", text=ALERT_SMS_TEXT.format(**values))
    settings = f"{public_url}{CONSOLE_SETTINGS_PATH}"
    text = ALERT_EMAIL_TEXT.format(**values, settings=settings)
    lead, _, why = text.split("\n\n")
    markup = (
        f'<p style="font-size:20px">{html.escape(lead)}</p>'
        f'<p style="font-size:20px"><a href="{html.escape(link)}">Open the alerts</a></p>'
        f"<p>{html.escape(why)}</p>"
    )
    return Letter(
        to=to,
        subject=ALERT_SUBJECT.format(**values),
        text=text,
        html=markup,
        unsubscribe=settings,
    )
