"""Notification payloads: generic lock-screen text unless the patient opted in, one JSON shape
that our service worker and Safari's declarative Web Push both read, never over 3993 bytes."""

from __future__ import annotations

import json
import uuid

from app.i18n import catalogue
from app.i18n.formats import locale_of
from app.i18n.languages import DEFAULT_LANGUAGE
from app.notifications.snooze import SNOOZE
from app.protocols.translations import translate

# RFC 8291 with one record: 4096 bytes minus header, padding delimiter and tag.
MAX_PLAINTEXT_BYTES = 3993
APP_NAME = "Aftercare"
GENERIC_TASK_TEXT = "Time for your aftercare task"
GENERIC_APPOINTMENT_TEXT = "A reminder about your next clinic visit"
OPENS_REPORT_FORM = frozenset({"symptom_check"})
# Staff lock screens: the level only, never the patient's name or symptoms.
ALERT_TEXT = {
    "emergency": "New emergency report — open the console",
    "urgent": "New urgent report — open the console",
}
ESCALATION_TEXT = {
    "emergency": "Emergency report still not acknowledged — open the console",
    "urgent": "Urgent report still not acknowledged — open the console",
}
ALERTS_PATH = "/console/#/alerts"
# A visit booked, moved or no longer booked: "{visit}" is the visit's title when the patient
# chose to see titles, else GENERIC_VISIT; "{when}" is "Mon 6 Apr at 09:15" in their zone.
GENERIC_VISIT = "Your clinic visit"
VISIT_NOTICE_TEXT = {
    # DRAFT for clinical review
    "visit_booked": "{visit} is booked for {when}.",
    # DRAFT for clinical review
    "visit_moved": "{visit} has moved to {when}.",
    # DRAFT for clinical review
    "visit_unbooked": "{visit} is no longer booked. The clinic will contact you with a new time.",
}

# The clinic saw a report: its words ("Seen by Nurse Patel at 9:12: ...") on the lock screen
# only if the patient chose to see task titles there, else this.
# DRAFT for clinical review
REPORT_SEEN_TITLE = "Message from your clinic"
# DRAFT for clinical review
GENERIC_REPORT_SEEN_TEXT = "The clinic has seen your report. Open Aftercare to read it."
REPORTS_PATH = "/?reports=1"

# A task reminder's buttons, worded here so the phone shows them in the patient's language
# (the service worker keeps English ones only for a payload without them).
# DRAFT for clinical review
DONE_ACTION = "Done"
# DRAFT for clinical review
SNOOZE_ACTION = ("Remind me in {n} minute", "Remind me in {n} minutes")


def generic_text(kind: str, language: str) -> str:
    """The lock-screen words of a reminder whose title the patient keeps private."""
    if kind == "appointment":
        return catalogue.text(language, GENERIC_APPOINTMENT_TEXT)
    return catalogue.text(language, GENERIC_TASK_TEXT)


def reminder_payload(
    *,
    occurrence_id: uuid.UUID,
    kind: str,
    title: str,
    task: str = "",
    show_title: bool,
    public_url: str,
    action_token: str | None = None,
    receipt_token: str | None = None,
    patient_id: uuid.UUID | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> bytes:
    """The JSON a device receives for one reminder, in the patient's `language`.

    The lock screen shows only generic text (no task, no diagnosis) unless the patient chose
    to see task titles. `notification` follows Safari's declarative format (`web_push: 8030`);
    the service worker reads the same fields, `task_id` to open the task and `action_token`
    to tick it from the notification's "Done" button. `patient_id` (also `for` in the URL)
    lets a carer's phone, which may show another person they help, switch to this one.
    """
    generic = generic_text(kind, language)
    body = translate(language, title) if show_title else generic
    path = f"/?task={occurrence_id}"
    if task in OPENS_REPORT_FORM:
        path += "&report=1"  # the daily check-in reminder opens "Report a problem" directly
    if patient_id is not None:
        path += f"&for={patient_id}"
    document = _task_document(body, occurrence_id, kind, path, public_url, receipt_token, language)
    if patient_id is not None:
        document["patient_id"] = str(patient_id)
    if action_token is not None:
        document["action_token"] = action_token
        document["actions"] = task_actions(language)
    encoded = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    while len(encoded) > MAX_PLAINTEXT_BYTES:  # only a pathological title can get here
        document["notification"]["body"] = generic  # type: ignore[index]
        encoded = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        if len(encoded) > MAX_PLAINTEXT_BYTES:
            raise ValueError("notification payload cannot fit in a push message")
    return encoded


def task_actions(language: str) -> list[dict[str, str]]:
    """The reminder's "Done" and "Remind me in 30 minutes" buttons in `language`."""
    minutes = int(SNOOZE.total_seconds() // 60)
    return [
        {"action": "done", "title": catalogue.text(language, DONE_ACTION)},
        {"action": "snooze", "title": catalogue.plural(language, SNOOZE_ACTION, minutes)},
    ]


def notification_lang(language: str) -> str:
    """The notification's `lang` (a BCP 47 tag, "en-GB", "pl-PL"), so the phone's screen
    reader reads it in the right language; pseudo-locales read as English."""
    return locale_of(language).replace("_", "-")


def alert_payload(*, alert_id: uuid.UUID, level: str, escalation: bool, public_url: str) -> bytes:
    """The JSON a staff device receives for a new or escalated alert.

    Generic text (the level, nothing about the patient), opening the console's alert inbox.
    The tag is the alert's, so an escalation replaces the first notification on the device.
    """
    texts = ESCALATION_TEXT if escalation else ALERT_TEXT
    body = texts.get(level, texts["urgent"])
    document = {
        "web_push": 8030,
        "notification": {
            "title": APP_NAME,
            "body": body,
            "navigate": f"{public_url}{ALERTS_PATH}",
            "tag": f"alert-{alert_id}",
        },
        "alert_id": str(alert_id),
        "kind": "alert_escalation" if escalation else "alert",
        "level": level,
        "url": ALERTS_PATH,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def visit_notice_payload(
    *,
    occurrence_id: uuid.UUID,
    notice: str,
    title: str,
    when: str,
    show_title: bool,
    public_url: str,
    receipt_token: str | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> bytes:
    """The JSON a device receives when the clinic books, moves or unbooks a visit.

    Opens the visit in the app; its tag is the visit's, so a later change (or the visit's
    reminder) replaces it on the device. The lock screen names the visit only if the patient
    chose to see titles; the time is always there (it is what the message is for).
    """
    generic = catalogue.text(language, GENERIC_VISIT)
    shown = translate(language, title) if show_title and title else generic
    body = catalogue.text(language, VISIT_NOTICE_TEXT[notice], visit=shown, when=when)
    if len(body.encode()) > MAX_PLAINTEXT_BYTES // 2:  # only a pathological title gets here
        body = catalogue.text(language, VISIT_NOTICE_TEXT[notice], visit=generic, when=when)
    path = f"/?task={occurrence_id}"
    document = _task_document(
        body, occurrence_id, notice, path, public_url, receipt_token, language
    )
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def _task_document(
    body: str,
    occurrence_id: uuid.UUID,
    kind: str,
    path: str,
    public_url: str,
    receipt_token: str | None,
    language: str,
) -> dict[str, object]:
    """A push about one of the patient's occurrences: Safari's declarative format
    (`web_push: 8030`) and the fields the service worker reads (`task_id` opens it,
    `receipt_token` reports it shown or tapped)."""
    document: dict[str, object] = {
        "web_push": 8030,
        "notification": {
            "title": APP_NAME,
            "body": body,
            "lang": notification_lang(language),
            "navigate": f"{public_url}{path}",
            "tag": str(occurrence_id),
        },
        "task_id": str(occurrence_id),
        "kind": kind,
        "url": path,
    }
    if receipt_token is not None:
        document["receipt_token"] = receipt_token
    return document


def report_seen_payload(
    *,
    report_id: uuid.UUID,
    text: str,
    show_text: bool,
    public_url: str,
    patient_id: uuid.UUID | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> bytes:
    """The JSON a patient's (or carer's) device receives when the clinic has seen a report.

    Opens the app's list of earlier reports; the tag is the report's. The reply may say
    something about the patient's health, so the lock screen has it only if they chose to see
    task titles there (the same choice); the app shows it in full either way.
    """
    body = text if show_text and text else catalogue.text(language, GENERIC_REPORT_SEEN_TEXT)
    # `for`: a carer's phone, which may show another person they help, switches to this one.
    path = REPORTS_PATH if patient_id is None else f"{REPORTS_PATH}&for={patient_id}"
    document: dict[str, object] = {
        "web_push": 8030,
        "notification": {
            "title": catalogue.text(language, REPORT_SEEN_TITLE),
            "body": body,
            "lang": notification_lang(language),
            "navigate": f"{public_url}{path}",
            "tag": f"report-{report_id}",
        },
        "report_id": str(report_id),
        "kind": "report_seen",
        "url": path,
    }
    if patient_id is not None:
        document["patient_id"] = str(patient_id)
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
