"""ErrorCode: every machine code an error response can carry, with its meaning and statuses."""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema


class ErrorCode(StrEnum):
    """The stable `code` of an error body; clients branch on it, people read `detail`."""

    meaning: str
    statuses: tuple[int, ...]

    def __new__(cls, value: str, meaning: str, *statuses: int) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.meaning = meaning
        member.statuses = statuses
        return member

    @property
    def status(self) -> int:
        """The one HTTP status this code comes with; ValueError for a code with several."""
        if len(self.statuses) != 1:
            raise ValueError(
                f"{self.name} comes with statuses {self.statuses}: name the one meant, "
                f"as (ErrorCode.{self.name}, status)"
            )
        return self.statuses[0]

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The enum in OpenAPI, each code with its meaning (list and `x-enum-descriptions`)."""
        schema = handler.resolve_ref_schema(handler(core_schema))
        listed = "\n".join(
            f"- `{code}` ({', '.join(map(str, code.statuses)) or 'any'}): {code.meaning}"
            for code in cls
        )
        schema["description"] = f"{cls.__doc__}\n\n{listed}"
        schema["x-enum-varnames"] = [code.name for code in cls]
        schema["x-enum-descriptions"] = [code.meaning for code in cls]
        return schema

    # --- made by the framework and the middleware, before or around any route -----------
    BAD_REQUEST = (
        "bad_request",
        "The request could not be read: its body is not valid UTF-8 or cannot be parsed.",
        400,
    )
    INVALID_INPUT = (
        "invalid_input",
        "A value is missing, malformed or out of range (or cannot be stored); "
        "`detail` says which, and request validation adds `errors` (where and what).",
        422,
    )
    PAYLOAD_TOO_LARGE = (
        "payload_too_large",
        "The request body is larger than the service accepts.",
        413,
    )
    CROSS_SITE_REQUEST = (
        "cross_site_request",
        "A write sent by a browser from another site (its Origin or Sec-Fetch-Site) is refused.",
        403,
    )
    NOT_FOUND = (
        "not_found",
        "No such thing, or it belongs to another clinic or patient (answered the same, so ids "
        "cannot be probed); also any path the service does not have.",
        404,
    )
    METHOD_NOT_ALLOWED = (
        "method_not_allowed",
        "The path exists but not with this HTTP method.",
        405,
    )
    INTERNAL_ERROR = (
        "internal_error",
        "Something went wrong in the service; it is logged, and trying again later may work.",
        500,
    )
    DATABASE_UNAVAILABLE = (
        "database_unavailable",
        "The service cannot reach its database, or has no room left to store anything, just "
        "now; nothing was done: try again after the seconds in the Retry-After header.",
        503,
    )
    HTTP_ERROR = (
        "http_error",
        "Any other refusal by the HTTP framework itself; the status says which.",
    )

    # --- signing in and who may do what ---------------------------------------------------
    NOT_AUTHENTICATED = (
        "not_authenticated",
        "Not signed in, or the session has ended: staff sign in again, a phone enrols again.",
        401,
    )
    WRONG_CREDENTIALS = (
        "wrong_credentials",
        "The e-mail address or password is not right (a disabled account is answered the same).",
        401,
    )
    WRONG_CODE = (
        "wrong_code",
        "The two-step sign-in code is not right or was already used "
        "(401 while signing in; 422 when changing two-step sign-in, the session stays).",
        401,
        422,
    )
    WRONG_PASSWORD = (
        "wrong_password",
        "The current password, re-entered to confirm a change, is not right.",
        422,
    )
    TOO_MANY_REQUESTS = (
        "too_many_requests",
        "Too many requests; wait for the seconds in the Retry-After header.",
        429,
    )
    TOO_MANY_ATTEMPTS = (
        "too_many_attempts",
        "Too many failed attempts from this address or on this account; wait for the seconds "
        "in the Retry-After header.",
        429,
    )
    BUSY = (
        "busy",
        "The service is checking as many passwords as it can at once; try again after the "
        "seconds in the Retry-After header (1).",
        503,
    )
    FORBIDDEN = (
        "forbidden",
        "Not allowed: for example a reminder's Done button whose token no longer works.",
        403,
    )
    ADMIN_ONLY = ("admin_only", "Only a clinic admin can do this.", 403)
    TOTP_ALREADY_ENABLED = (
        "totp_already_enabled",
        "Two-step sign-in is already on; turn it off first to set up a new device.",
        409,
    )
    TOTP_NOT_SET_UP = (
        "totp_not_set_up",
        "Two-step sign-in has not been set up: ask for a secret (/totp/setup) first.",
        409,
    )
    TOTP_NOT_ENABLED = ("totp_not_enabled", "Two-step sign-in is not on.", 409)
    SECOND_FACTOR_REQUIRED = (
        "second_factor_required",
        "Your role needs two-step sign-in: turn it on before using the console.",
        403,
    )
    TOTP_REQUIRED_FOR_ROLE = (
        "totp_required_for_role",
        "Your role needs two-step sign-in, so it cannot be turned off.",
        403,
    )

    # --- clinics and staff accounts ---------------------------------------------------------
    CONFLICT = ("conflict", "The request conflicts with what is stored.", 409)
    NAME_TAKEN = ("name_taken", "Another clinic already has this name.", 409)
    EMAIL_TAKEN = ("email_taken", "A staff account with this e-mail address exists.", 409)
    LAST_ADMIN = (
        "last_admin",
        "The clinic would be left without an enabled admin: make someone else admin first.",
        409,
    )

    ACCOUNT_DISABLED = (
        "account_disabled",
        "The account is disabled: enable it first.",
        409,
    )
    OWN_SECOND_FACTOR = (
        "own_second_factor",
        "Change your own two-step sign-in under Settings.",
        409,
    )
    RESET_LINK_UNKNOWN = (
        "reset_link_unknown",
        "This set-password link is not one the clinic issued.",
        404,
    )
    RESET_LINK_USED = (
        "reset_link_used",
        "This set-password link was already used: ask a clinic admin for a new one.",
        410,
    )
    RESET_LINK_EXPIRED = (
        "reset_link_expired",
        "This set-password link has expired: ask a clinic admin for a new one.",
        410,
    )

    # --- enrolment ----------------------------------------------------------------------------
    CLINIC_PHONE_MISSING = (
        "clinic_phone_missing",
        "The clinic has no phone number yet, so patients would have no one to call: an admin "
        "adds it under Settings.",
        409,
    )
    OUT_OF_HOURS_MISSING = (
        "out_of_hours_missing",
        "The clinic has no out-of-hours phone number yet: an admin adds it under Settings.",
        409,
    )
    DOPPLER_NOT_CONFIRMED = (
        "doppler_not_confirmed",
        "The consultation check (ultrasound Doppler) is not recorded and enrolling without it "
        "was not confirmed.",
        422,
    )
    GONE = ("gone", "It existed but can no longer be used.", 410)
    LINK_UNKNOWN = ("link_unknown", "The enrolment code is not one the clinic issued.", 404)
    LINK_USED = ("link_used", "The enrolment link was already used: ask for a new one.", 410)
    LINK_REVOKED = (
        "link_revoked",
        "The enrolment link was withdrawn by the clinic: ask for a new one.",
        410,
    )
    LINK_EXPIRED = ("link_expired", "The enrolment link has expired: ask for a new one.", 410)

    # --- the patient's record and plan --------------------------------------------------------
    REASON_REQUIRED = (
        "reason_required",
        "This change needs a reason (a move to another protocol version, a treatment "
        "corrected or voided).",
        422,
    )
    TREATMENT_IN_FUTURE = (
        "treatment_in_future",
        "The treatment time is in the future: a treatment is recorded once performed.",
        422,
    )
    TREATMENT_TOO_OLD = (
        "treatment_too_old",
        "The treatment time is more than 8 weeks ago: no aftercare is left to plan.",
        422,
    )
    TREATMENT_OUT_OF_ORDER = (
        "treatment_out_of_order",
        "The treatment time is not after the treatment before it (or, corrected, not before "
        "the one after it).",
        422,
    )
    TREATMENT_BOOKED_IN_PAST = (
        "treatment_booked_in_past",
        "A treatment booked ahead needs a time still to come (one performed is recorded done).",
        422,
    )
    CHANNEL_NEEDS_ADDRESS = (
        "channel_needs_address",
        "Reminders by e-mail need an address in the record; by text, a number with the country "
        "code (so do a staff member's alerts by text when on call).",
        422,
    )
    CHANNEL_NOT_OFFERED = (
        "channel_not_offered",
        "The server is not set up to send by this channel (no AFTERCARE_SMTP_URL or "
        "AFTERCARE_SMS_URL).",
        422,
    )
    SEND_FAILED = (
        "send_failed",
        "The mail server or SMS gateway did not take the message; `detail` says whether "
        "trying again later may help. Nothing was changed.",
        502,
    )
    TOO_MANY_SENDS = (
        "too_many_sends",
        "The patient's link was sent too often in the last hour; wait for the seconds in the "
        "Retry-After header.",
        429,
    )
    CHANNEL_NEEDS_CONSENT = (
        "channel_needs_consent",
        "Reminders by e-mail or text are sent only with the patient's recorded agreement.",
        422,
    )
    TREATMENT_BOOKED_TOO_FAR = (
        "treatment_booked_too_far",
        "The booked treatment time is more than a year ahead.",
        422,
    )
    TREATMENT_ALREADY_BOOKED = (
        "treatment_already_booked",
        "The patient has a treatment booked already: confirm or void it first.",
        409,
    )
    TREATMENT_NOT_BOOKED = (
        "treatment_not_booked",
        "The treatment was not booked ahead: it is in the plan already.",
        409,
    )
    TREATMENT_VOIDED = (
        "treatment_voided",
        "The treatment was voided: it stays in the record as it was and can't be corrected.",
        409,
    )
    TREATMENT_ONLY_ONE = (
        "treatment_only_one",
        "The patient's only treatment can't be voided: a plan needs one (correct it instead).",
        409,
    )
    PROTOCOL_VERSION_UNKNOWN = (
        "protocol_version_unknown",
        "The protocol has no such version; `detail` lists those it has.",
        422,
    )
    CONFIRMATION_MISMATCH = (
        "confirmation_mismatch",
        "The name typed to confirm an erasure is not exactly the patient's; nothing was erased.",
        422,
    )
    APPOINTMENT_UNKNOWN = (
        "appointment_unknown",
        "The patient's plan has no visit with this key.",
        404,
    )
    APPOINTMENT_PAST = (
        "appointment_past",
        "This visit's time has passed; its booking can no longer change.",
        409,
    )
    BOOKING_UNKNOWN = ("booking_unknown", "This visit has no booking to drop.", 404)
    BOOKING_IN_PAST = ("booking_in_past", "The booking time is not in the future.", 422)
    BOOKING_TOO_FAR = ("booking_too_far", "The booking time is more than a year ahead.", 422)
    BOOKING_OUT_OF_ORDER = (
        "booking_out_of_order",
        "The time would put the course's visits out of order (a final review at or before its "
        "check-up); `detail` names the other visit and its time. Not overridable: book it "
        "later, or move the other visit first.",
        409,
    )
    BOOKING_OUTSIDE_HOURS = (
        "booking_outside_hours",
        "The clinic is closed at that time (a closed day, or outside that day's opening hours); "
        "`detail` says when it is open. Send again with `book_anyway: true` to book it all the "
        "same.",
        409,
    )
    BOOKING_IN_PATIENTS_NIGHT = (
        "booking_in_patients_night",
        "The time falls in the patient's night (between their bed and wake time, in their "
        "zone). Send again with `book_anyway: true` to book it all the same.",
        409,
    )
    NOT_A_TASK = (
        "not_a_task",
        "Only tasks can be ticked off (not information, restrictions or visits).",
        409,
    )
    NOT_DUE_YET = ("not_due_yet", "This task is not due yet, so it cannot be ticked off.", 409)
    TASK_ALREADY_DONE = (
        "task_already_done",
        "The task is already done: nothing to remind of.",
        409,
    )
    SNOOZE_NOT_REMINDING = (
        "snooze_not_reminding",
        "Only tasks that send reminders can be snoozed (not information, restrictions, visits, "
        "or a task without reminders).",
        409,
    )
    SNOOZE_TOO_LATE = (
        "snooze_too_late",
        "The task's window ends before the snoozed reminder would go out: nothing was changed.",
        409,
    )

    # --- carers ---------------------------------------------------------------------------------
    CARER_NOT_ALLOWED = (
        "carer_not_allowed",
        "A carer's phone cannot change this (the patient's day, reminder channel or helpers); "
        "the patient changes it on their own phone, or the clinic does.",
        403,
    )
    CARER_ONLY = ("carer_only", "Only a carer's phone switches between the people it helps.", 403)
    LANGUAGE_NOT_OFFERED = (
        "language_not_offered",
        "The language code is not one this server offers patients: nothing was changed.",
        422,
    )
    REPORT_FOR_ANOTHER_PERSON = (
        "report_for_another_person",
        "The report was written about another person than the one the phone now shows (a "
        "carer's phone that switched, or was switched by a removal, while it waited); it was "
        "not stored.",
        409,
    )
    CARER_LINK_ON_PATIENT_PHONE = (
        "carer_link_on_patient_phone",
        "A carer's link was opened on a phone signed in as a patient; nothing was changed.",
        409,
    )
    TOO_MANY_CARERS = ("too_many_carers", "The patient already has the most carers allowed.", 409)

    # --- push subscriptions -------------------------------------------------------------------
    PUSH_SUBSCRIPTION_TAKEN = (
        "push_subscription_taken",
        "This browser's notifications are registered to someone else, and the keys sent are not "
        "that browser's: the registration was not moved.",
        409,
    )

    # --- symptom reports ----------------------------------------------------------------------
    UNKNOWN_SIGN = ("unknown_sign", "A ticked warning sign is not one the clinic knows.", 422)
    PAIN_OUT_OF_RANGE = ("pain_out_of_range", "Pain must be between 0 and 10.", 422)
    PAIN_REQUIRED = (
        "pain_required",
        "A report needs a pain score, a ticked warning sign or a note.",
        422,
    )
    REPLY_TOO_LONG = (
        "reply_too_long",
        "The clinic's reply to a patient's report is longer than 500 characters.",
        422,
    )

    # --- the command line only ------------------------------------------------------------
    BACKUP_FAILED = (
        "backup_failed",
        "A backup or restore by the `aftercare` command failed (never an HTTP answer).",
        400,
    )
