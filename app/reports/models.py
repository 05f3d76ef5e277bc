"""Tables for symptom reports and the clinic alerts they raise."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from pydantic import StrictInt, StringConstraints
from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.dbtypes import UTCDateTime, foreign_key
from app.reports.wording import sign_words
from app.shared.text import TEXT

# The longest reply the clinic may write back to a patient about a report.
REPLY_MAX = 500


class SymptomReport(SQLModel, table=True):
    __tablename__ = "symptom_report"
    # The PWA generates `client_id` so a report queued offline is stored once however often sent.
    __table_args__ = (UniqueConstraint("patient_id", "client_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    patient_id: uuid.UUID = foreign_key("patient.id")
    client_id: uuid.UUID | None = None
    # 0-10 numeric rating scale; None: not given (allowed with a sign or a note: a patient
    # with a red flag is never held up by the pain question).
    pain: int | None = None
    signs: list[str] = Field(default_factory=list, sa_type=JSON)
    note: str = Field(default="", max_length=2000)
    level: str = Field(max_length=20)  # emergency, urgent or routine
    rules_version: int = 1
    # What the patient was told, as shown: kept, since the rules may change later.
    advice_title: str = Field(default="", max_length=120)
    advice: str = Field(default="", max_length=1000)
    call_number: str | None = Field(default=None, max_length=40)
    call_label: str | None = Field(default=None, max_length=120)
    reasons: list[str] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)
    # Sent from a carer's phone: the carer's link (carer_link.id; its name says who), no
    # foreign key (as occurrence.completed_by_carer). None: the patient sent it.
    reported_by_carer: uuid.UUID | None = None
    # When the clinic first marked it seen (app/reports/seen.py), by whom (a staff_user id, no
    # foreign key: an erased account leaves the time), and what they wrote back to the patient.
    # Never the alert's acknowledgement note: that is written for colleagues.
    seen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    seen_by: uuid.UUID | None = None
    reply: str = Field(default="", max_length=REPLY_MAX)


class Alert(SQLModel, table=True):
    __tablename__ = "alert"
    __table_args__ = (Index("ix_alert_status_escalate_at", "status", "escalate_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    clinic_id: uuid.UUID = foreign_key("clinic.id")
    patient_id: uuid.UUID = foreign_key("patient.id")
    report_id: uuid.UUID | None = foreign_key(
        "symptom_report.id", required=False, index=False, on_delete="SET NULL"
    )
    level: str = Field(max_length=20)
    status: str = Field(default="open", max_length=20, index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    # When it escalates if still open: created_at plus the clinic's escalation minutes.
    escalate_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_by: uuid.UUID | None = None
    acknowledgement_note: str = Field(default="", max_length=2000)
    # The report's note mentions a warning sign the patient did not tick: someone must read it.
    note_needs_reading: bool = False


# --- API schemas -------------------------------------------------------------------------


class ReportCreate(SQLModel):
    """A patient's report; `client_id` (made by the app) makes offline re-sends harmless."""

    model_config = {"extra": "forbid"}

    client_id: uuid.UUID
    # 0-10; may be left out (or null) when a sign is ticked or a note written: otherwise the
    # service refuses it, 422 `pain_required` (the triage rules' step 1). Strict: JSON's
    # `true` or `"3"` is not a pain score, and coercing it would store what was not said.
    pain: StrictInt | None = Field(default=None, ge=0, le=10)
    signs: list[str] = Field(default_factory=list, max_length=30)
    note: Annotated[str, StringConstraints(max_length=2000), TEXT] = ""
    # Whom the phone showed when the report was written: a report that waited offline on a
    # carer's phone is refused (409) if the phone now shows someone else, never filed on them.
    for_patient: uuid.UUID | None = None


class ReportPublic(SQLModel):
    id: uuid.UUID
    client_id: uuid.UUID | None
    pain: int | None  # None: not given
    signs: list[str]
    sign_labels: list[str]  # the signs as the form showed them, in the same order
    note: str
    level: str
    title: str
    advice: str
    call_number: str | None
    call_label: str | None
    created_at: datetime
    reported_by: str | None = None  # the carer's name when a carer sent it
    # When the clinic marked it seen, who (their name), and their reply to the patient ("":
    # none). None/None: not seen yet.
    seen_at: datetime | None = None
    seen_by_name: str | None = None
    reply: str = ""


def public_report(
    report: SymptomReport,
    labels: dict[str, str],
    by: Mapping[uuid.UUID, str] | None = None,
    seen_by: Mapping[uuid.UUID, str] | None = None,
) -> ReportPublic:
    """What a patient (and the clinic) sees of a stored report; `labels`: sign labels by code
    (app/reports/wording.py); `by`: carers' names by link id (app/patients/carers.py);
    `seen_by`: staff names by id (app/reports/seen.py seen_by_names)."""
    return ReportPublic(
        id=report.id,
        client_id=report.client_id,
        pain=report.pain,
        signs=report.signs,
        sign_labels=sign_words(report.signs, labels),
        note=report.note,
        level=report.level,
        title=report.advice_title,
        advice=report.advice,
        call_number=report.call_number,
        call_label=report.call_label,
        created_at=report.created_at,
        reported_by=(by or {}).get(report.reported_by_carer) if report.reported_by_carer else None,
        seen_at=report.seen_at,
        seen_by_name=(seen_by or {}).get(report.seen_by) if report.seen_by else None,
        reply=report.reply,
    )


class SignPublic(SQLModel):
    code: str
    label: str
    description: str
    group: str  # emergency, urgent or expected


class ClosedPeriod(SQLModel):
    """The clinic is closed from `starts_at` to `ends_at`; `reopens` is `ends_at` as the
    advice says it, in the patient's zone ("8:00 on Wednesday")."""

    starts_at: datetime
    ends_at: datetime
    reopens: str


class ReportForm(SQLModel):
    version: int
    urgent_pain_at_least: int  # lets the app answer at once while offline
    urgent_pain_rise: int
    emergency_number: str
    clinic_phone: str
    signs: list[SignPublic]
    # Everything the app needs to triage offline exactly as the server does (the algorithm
    # in app/reports/triage.py): the validated rules (the clinic's own, if it has them), the
    # out-of-hours route, and when the clinic is closed in the next 14 days.
    rules: dict[str, Any]
    out_of_hours_name: str
    out_of_hours_phone: str
    closed_periods: list[ClosedPeriod]


class AlertPublic(SQLModel):
    id: uuid.UUID
    patient_id: uuid.UUID
    patient_name: str
    level: str
    status: str  # open or acknowledged
    created_at: datetime
    report: ReportPublic | None
    acknowledged_at: datetime | None
    acknowledged_by: uuid.UUID | None
    acknowledged_by_name: str | None  # the staff user's name (e-mail if unnamed)
    acknowledgement_note: str
    # When it escalates if still open (the clinic's escalation minutes after created_at),
    # and when it did: every clinician's devices were alerted again.
    escalate_at: datetime | None
    escalated_at: datetime | None
    # The note mentions a warning sign that was not ticked ("The note needs reading").
    note_needs_reading: bool


class AcknowledgeRequest(SQLModel):
    model_config = {"extra": "forbid"}

    # What was done about it: the record a later reader (or an inquiry) relies on.
    note: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), TEXT
    ]
    # Words for the patient, shown in the app and pushed to their phone; the note never is.
    # Longer than REPLY_MAX: 422 `reply_too_long` (app/reports/seen.py).
    reply: Annotated[str, StringConstraints(strip_whitespace=True), TEXT] = ""


class SeenRequest(SQLModel):
    """The clinic marks a report seen, with an optional reply for the patient."""

    model_config = {"extra": "forbid"}

    # Longer than REPLY_MAX: 422 `reply_too_long`, checked by the service for its plain words.
    reply: Annotated[str, StringConstraints(strip_whitespace=True), TEXT] = ""


class PatientReport(ReportPublic):
    """A report as the clinic sees it: what the patient was told, and why."""

    reasons: list[str]  # as stored: sign codes and pain rules
    reason_labels: list[str]  # the same, as sentences ("Pain 8 out of 10")
