"""Error sentences in the patient's language: the refusals a patient meets, by code and field.

The services word their refusals in English, often with details (a name, a time). For a
patient whose language is another, the error body's `detail` (and each field's `message`) is
replaced by the catalogue's sentence for its code (or field): plainer, without the details,
but in words they read. English answers keep the service's own sentence. A phone not signed
in yet (an enrolment link refused) is answered in the language its browser prefers, if this
server offers it; staff routes always keep the English (the console is English).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from app.error_codes import ErrorCode
from app.i18n import catalogue
from app.i18n.languages import DEFAULT_LANGUAGE, REAL_LANGUAGES

# The patient's language, put on the request by the patient's sign-in dependency.
LANGUAGE_STATE = "patient_language"

# Where a phone that is not signed in is answered: enrolling, a notification's buttons, its
# own (missing) session. Every other route is staff's or needs a patient's session.
PATIENT_PATHS = ("/api/enrol", "/api/me", "/api/push-actions/")

LINK_UNUSABLE = (
    "This link has already been used or has expired. Please ask your clinic for a new link."
)
# DRAFT for clinical review: every sentence below.
BY_CODE = {
    ErrorCode.NOT_AUTHENTICATED.value: (
        "This phone is not signed in. Please ask your clinic for a new link."
    ),
    ErrorCode.LINK_UNKNOWN.value: "This link is not valid. Please ask your clinic for a new link.",
    ErrorCode.LINK_USED.value: LINK_UNUSABLE,
    ErrorCode.LINK_REVOKED.value: LINK_UNUSABLE,
    ErrorCode.LINK_EXPIRED.value: LINK_UNUSABLE,
    ErrorCode.GONE.value: LINK_UNUSABLE,
    ErrorCode.CARER_LINK_ON_PATIENT_PHONE.value: (
        "This phone is signed in as a patient. A helper's link opens on the helper's own phone."
    ),
    ErrorCode.CARER_NOT_ALLOWED.value: (
        "Only the patient can change this, on their own phone, or the clinic can."
    ),
    ErrorCode.CARER_ONLY.value: "Only a helper's phone can switch between people.",
    ErrorCode.CHANNEL_NEEDS_ADDRESS.value: (
        "Your clinic needs your e-mail address or mobile number for this. Please ask them."
    ),
    ErrorCode.CHANNEL_NEEDS_CONSENT.value: (
        "Please tick that you agree to be reminded this way, then try again."
    ),
    ErrorCode.CHANNEL_NOT_OFFERED.value: "Your clinic does not send reminders this way.",
    ErrorCode.LANGUAGE_NOT_OFFERED.value: "Please choose a language from the list.",
    ErrorCode.NOT_A_TASK.value: "Only tasks can be ticked off.",
    ErrorCode.NOT_DUE_YET.value: "This task is not due yet, so it cannot be ticked off.",
    ErrorCode.NOT_FOUND.value: "This could not be found: it may have been removed.",
    ErrorCode.PAIN_OUT_OF_RANGE.value: "Please choose a pain score from 0 to 10.",
    ErrorCode.PAIN_REQUIRED.value: (
        "Please choose a pain score, tick a warning sign or write a note."
    ),
    ErrorCode.PUSH_SUBSCRIPTION_TAKEN.value: (
        "Reminders on this phone are set up for someone else. Please ask your clinic."
    ),
    ErrorCode.REPORT_FOR_ANOTHER_PERSON.value: (
        "This report was written about someone other than the person this phone shows now, "
        "so it was not sent. If the person it was about is unwell, call their clinic now."
    ),
    ErrorCode.SNOOZE_NOT_REMINDING.value: "This has no reminder to move.",
    ErrorCode.SNOOZE_TOO_LATE.value: (
        "It is too late to be reminded again: the time for this task ends before then."
    ),
    ErrorCode.TASK_ALREADY_DONE.value: "This task is already ticked off.",
    ErrorCode.TOO_MANY_CARERS.value: (
        "You already have as many helpers as you can. Remove one to add another."
    ),
    ErrorCode.TOO_MANY_ATTEMPTS.value: "Too many tries. Please wait a few minutes and try again.",
    ErrorCode.UNKNOWN_SIGN.value: (
        "One of the signs is not on your clinic's list. Please open the form again."
    ),
    ErrorCode.INVALID_INPUT.value: "Please check what you entered.",
}
BY_FIELD = {
    "wake_time": "Please give a time like 07:30.",
    "bed_time": "Please give a time like 22:30.",
    "language": "Please choose a language from the list.",
    "note": "The note is too long. Please make it shorter.",
    "name": "Please give a short name.",
    "time_zone": "Please choose a time zone from the list.",
    "pain": "Please choose a pain score from 0 to 10.",
}
ANY_FIELD = "Please check this."


def in_patients_language(request: Request, content: dict[str, Any]) -> dict[str, Any]:
    """`content` (an error body) with its sentences in the patient's language, when the
    request is a patient's whose language is not English; otherwise unchanged."""
    language = getattr(request.state, LANGUAGE_STATE, None) or _browsers_language(request)
    if language == DEFAULT_LANGUAGE:
        return content
    code = content.get("code")
    if code in BY_CODE:
        content = content | {"detail": catalogue.text(language, BY_CODE[code])}
    if isinstance(content.get("errors"), list):
        content = content | {
            "errors": [_field_error(language, error) for error in content["errors"]]
        }
    return content


def _field_error(language: str, error: dict[str, Any]) -> dict[str, Any]:
    field = error.get("field")
    if field in BY_FIELD:
        return error | {"message": catalogue.text(language, BY_FIELD[field])}
    return error | {"message": catalogue.text(language, ANY_FIELD)}


def _browsers_language(request: Request) -> str:
    """On a patient's path, the first language of the browser's Accept-Language offered here
    (its q-values in order); English otherwise. Parsed here: a header of a few tags, and no
    dependency of ours parses it (Babel matches locales, not headers)."""
    if not request.url.path.startswith(PATIENT_PATHS):
        return DEFAULT_LANGUAGE
    offered = {language.code for language in REAL_LANGUAGES}
    wanted: list[tuple[float, int, str]] = []
    for order, part in enumerate(request.headers.get("accept-language", "").split(",")[:20]):
        tag, _, quality = part.strip().partition(";q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            continue
        primary = tag.split("-")[0].strip().lower()
        if primary in offered and weight > 0:
            wanted.append((-weight, order, primary))
    return min(wanted)[2] if wanted else DEFAULT_LANGUAGE
