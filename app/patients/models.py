"""Tables and schemas for the patient record: patients, treatments, visit bookings, profiles."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, EmailStr, StringConstraints
from sqlalchemy import Column, ForeignKey, Index, Uuid, false, text
from sqlmodel import Field, SQLModel

from app.dbtypes import UTCDateTime, foreign_key
from app.patients.carers import CarerOfDevice
from app.patients.language import LanguageCode
from app.shared.phone import PhoneNumber
from app.shared.text import LINE, TEXT
from app.timezones import LocalDateTime, TimeZoneName, WallTime


class TreatmentMethod(StrEnum):
    SCLEROTHERAPY = "sclerotherapy"
    LASER = "laser"


class Patient(SQLModel, table=True):
    __tablename__ = "patient"
    __table_args__ = (
        Index("ix_patient_clinic_name", "clinic_id", "name"),
        # The list's default order (case-blind name, name, id): a first page reads 50 entries
        # instead of sorting every patient of the clinic.
        Index("ix_patient_clinic_folded_name", "clinic_id", text("lower(name)"), "name", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    clinic_id: uuid.UUID = foreign_key("clinic.id")
    name: str = Field(max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    # For reminders by e-mail (issue "reach"); optional.
    email: str | None = Field(default=None, max_length=254)
    time_zone: str = Field(max_length=64)
    # The language of everything the patient reads (app/i18n/languages.py): set by staff at
    # enrolment, changeable by the patient in Settings.
    language: str = Field(default="en", max_length=16, sa_column_kwargs={"server_default": "en"})
    wake_time: time = time(7, 30)
    bed_time: time = time(22, 0)
    stockings_advised: bool = False
    # Lock-screen privacy: show the task's title in a push only if the patient opted in.
    show_task_titles: bool = False
    # Where a reminder goes when it does not reach a phone by push: "" (nowhere), "email" or
    # "sms" (app/patients/reminder_channel.py), with the consent the choice was made with.
    reminder_channel: str = Field(default="", max_length=10)
    reminder_consent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reminder_consent_by: str = Field(default="", max_length=20)  # "patient" or "staff"
    # The clinic's own notes on the patient (staff only, never shown to the patient).
    notes: str = Field(default="", max_length=2000)
    protocol: str = Field(max_length=64)
    protocol_version: int
    # Consultation check before treatment: "ultrasound Doppler done, no reflux".
    doppler_checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    doppler_checked_by: uuid.UUID | None = None
    # The patient's latest use of the app (a device request), at most a few minutes stale.
    last_active_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class Treatment(SQLModel, table=True):
    __tablename__ = "treatment"
    __table_args__ = (Index("ix_treatment_patient_number", "patient_id", "number", unique=True),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    patient_id: uuid.UUID = foreign_key("patient.id")
    # The treatment's own number for this patient (1, 2, …), given when it is recorded and
    # never reused: the plan's keys say "t2" by it, so correcting or voiding one treatment
    # never renames another's tasks (a voided t1's done tasks must not become t2's).
    number: int
    performed_at: datetime = Field(sa_type=UTCDateTime)
    method: str = Field(max_length=20)
    notes: str = Field(default="", max_length=2000)
    recorded_by: uuid.UUID | None = None  # staff user id; kept even if the account goes
    created_at: datetime = Field(sa_type=UTCDateTime)
    # The latest correction (the audit keeps each one with its before and after).
    corrected_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    corrected_by: uuid.UUID | None = None
    correction_reason: str = Field(default="", max_length=500)
    # Booked ahead (enrolled at the consultation): not in the plan until staff confirm it was
    # done, on the day, with its real time.
    booked: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    confirmed_by: uuid.UUID | None = None
    # Voided (wrong patient, never happened): kept in the record, left out of the plan.
    voided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    voided_by: uuid.UUID | None = None
    void_reason: str = Field(default="", max_length=500)


class AppointmentBooking(SQLModel, table=True):
    """The clinic's booked time for a planned appointment (e.g. `follow_up/1`)."""

    __tablename__ = "appointment_booking"

    patient_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("patient.id", ondelete="CASCADE"), primary_key=True)
    )
    key: str = Field(max_length=80, primary_key=True)
    booked_at: datetime = Field(sa_type=UTCDateTime)
    booked_by: uuid.UUID | None = None
    updated_at: datetime = Field(sa_type=UTCDateTime)


# --- API schemas -------------------------------------------------------------------------

PersonName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), LINE
]


class TreatmentCreate(SQLModel):
    """A treatment session; `performed_at` is an ISO 8601 instant with its offset. `booked`:
    not done yet, booked for `performed_at` ahead (staff confirm it on the day)."""

    performed_at: AwareDatetime
    method: TreatmentMethod = TreatmentMethod.SCLEROTHERAPY
    notes: Annotated[str, StringConstraints(max_length=2000), TEXT] = ""
    booked: bool = False


class TreatmentConfirm(SQLModel):
    """A booked treatment was done: at its booked time, or at `performed_at` if it moved."""

    model_config = {"extra": "forbid"}

    performed_at: AwareDatetime | None = None


class PatientCreate(SQLModel):
    name: PersonName
    time_zone: TimeZoneName
    wake_time: WallTime = time(7, 30)
    bed_time: WallTime = time(22, 0)
    stockings_advised: bool = False
    # What the patient reads everything in (app/i18n/languages.py offers the codes).
    language: LanguageCode = "en"
    phone: PhoneNumber | None = None
    # For reminders by e-mail, should a push not reach the patient's phone.
    email: EmailStr | None = Field(default=None, max_length=254)
    treatment: TreatmentCreate
    # The consultation check ("ultrasound Doppler done, no reflux"): recorded, or knowingly
    # skipped; enrolling with neither is refused.
    doppler_checked: bool = False
    confirm_without_doppler: bool = False


PatientNotes = Annotated[str, StringConstraints(max_length=2000), TEXT]


class PatientUpdate(SQLModel):
    """What staff may correct in a record; omitted fields stay as they are. `phone` and
    `email` may be null (removed); the others may not."""

    model_config = {"extra": "forbid"}  # a misspelt field is refused, not ignored

    name: PersonName | None = None
    phone: PhoneNumber | None = None
    email: EmailStr | None = Field(default=None, max_length=254)
    time_zone: TimeZoneName | None = None
    wake_time: WallTime | None = None
    bed_time: WallTime | None = None
    stockings_advised: bool | None = None
    notes: PatientNotes | None = None
    language: LanguageCode | None = None


class PreferencesUpdate(SQLModel):
    """What a patient may change themselves; omitted fields stay as they are."""

    model_config = {"extra": "forbid"}  # e.g. stockings_advised is the clinic's call

    time_zone: TimeZoneName | None = None
    wake_time: WallTime | None = None
    bed_time: WallTime | None = None
    show_task_titles: bool | None = None
    language: LanguageCode | None = None


class TreatmentPublic(SQLModel):
    id: uuid.UUID
    number: int  # "t2" in the plan's keys
    performed_at: datetime
    method: str
    notes: str
    created_at: datetime
    corrected_at: datetime | None = None
    correction_reason: str = ""
    booked: bool = False  # booked ahead, not confirmed done yet: not in the plan
    confirmed_at: datetime | None = None
    voided_at: datetime | None = None  # set: kept in the record, left out of the plan
    void_reason: str = ""


Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), TEXT]


class TreatmentCorrection(SQLModel):
    """What staff may correct in a treatment; omitted fields stay. `reason` is required."""

    model_config = {"extra": "forbid"}

    performed_at: AwareDatetime | None = None
    method: TreatmentMethod | None = None
    notes: Annotated[str, StringConstraints(max_length=2000), TEXT] | None = None
    reason: Reason = ""


class TreatmentVoid(SQLModel):
    """Void a treatment (wrong patient, never happened); `reason` is required."""

    model_config = {"extra": "forbid"}

    reason: Reason = ""


class TreatmentChangeResult(SQLModel):
    """What a correction or a voiding changed (or, previewed, would change) in the plan."""

    preview: bool  # true: nothing was saved
    changed: list[str]  # the treatment's fields whose values changed
    tasks_moved: int
    tasks_added: int
    tasks_removed: int
    treatment: TreatmentPublic


class ReminderChannelPublic(SQLModel):
    """A second way to be reminded: what was chosen (and agreed), and what could be."""

    channel: str  # "", "email" or "sms"
    consent_at: datetime | None
    consent_by: str  # "patient" or "staff" ("" when nothing is chosen)
    offered: list[str]  # what this server can send: "email", "sms"
    email: str | None  # the address e-mails would go to
    sms_number: str | None  # the number texts would go to (None: none with a country code)
    # The latest e-mail or text that could not be delivered, and why (staff only).
    problem: str | None = None
    problem_at: datetime | None = None


class ReachPublic(SQLModel):
    """Whether reminders reach the patient (app/notifications/receipts.py decides)."""

    last_shown_at: datetime | None  # the newest reminder a device reported shown
    last_shown_device: str  # that device's User-Agent label ("" if unknown)
    getting_through: bool
    reason: str  # "" when getting through; else plain words for staff


class PatientDetail(SQLModel):
    id: uuid.UUID
    name: str
    phone: str | None
    email: str | None
    notes: str
    time_zone: str
    wake_time: WallTime
    bed_time: WallTime
    stockings_advised: bool
    show_task_titles: bool
    language: str  # the code ("pl")
    language_name: str  # in its own language ("Polski"), as the console shows it
    protocol: str
    protocol_version: int  # the version the patient's plan follows (pinned at enrolment)
    protocol_versions: list[int]  # the versions of the protocol available, oldest first
    protocol_newest_version: int
    treatments: list[TreatmentPublic]
    enrolment_status: str  # none, active, used, expired or revoked (the newest link)
    enrolment_expires_at: datetime | None  # the newest link's expiry while it is active
    active_devices: int
    doppler_checked_at: datetime | None
    doppler_checked_by_name: str | None  # the staff user's name (e-mail if unnamed)
    last_active_at: datetime | None
    created_at: datetime
    reminders_by: ReminderChannelPublic | None = None
    reach: ReachPublic | None = None


class PatientEditResult(SQLModel):
    """What a correction changed (or, previewed, would change) in the record and the plan."""

    preview: bool  # true: nothing was saved
    changed: list[str]  # the fields whose values changed
    tasks_moved: int  # future tasks at another time now (a new zone, day or treatment)
    tasks_added: int
    tasks_removed: int
    patient: PatientDetail


# What GET /api/me answers: plain pydantic models, as app/tasks/models.py's OccurrencePublic
# (SQLModel's __init__ costs twice as much, and a phone asks on every visit).
class ClinicContact(BaseModel):
    name: str
    phone: str
    emergency_number: str


class RestrictionPublic(BaseModel):
    task: str
    title: str
    instructions: str
    until: date  # last local day it applies (inclusive)
    until_at: datetime  # the instant it ends


class AppointmentPublic(BaseModel):
    id: uuid.UUID
    key: str
    title: str
    due_at: datetime
    local_due: LocalDateTime
    # Not booked yet: the day is a target and the time of day a guess; show the day only.
    tentative: bool = False


class BookedTreatmentPublic(BaseModel):
    """The patient's treatment booked ahead: when, and what to prepare (the protocol's words)."""

    performed_at: datetime
    local_at: LocalDateTime  # in the patient's zone, with its offset
    preparation: list[str]


class LanguagePublic(BaseModel):
    """A language this server offers, named in its own language."""

    code: str
    name: str


class MeProfile(BaseModel):
    id: uuid.UUID
    name: str
    time_zone: str
    wake_time: WallTime
    bed_time: WallTime
    stockings_advised: bool
    show_task_titles: bool
    clinic: ClinicContact
    restrictions: list[RestrictionPublic]
    appointments: list[AppointmentPublic]
    booked_treatment: BookedTreatmentPublic | None = None  # the plan starts once it is done
    reminders_by: ReminderChannelPublic | None = None  # e-mail or SMS should push not reach
    carer: CarerOfDevice | None = None  # on a carer's phone: whom it helps, whom it shows
    language: str = "en"  # what the server's texts here are in, and the PWA's catalogue
    languages: list[LanguagePublic] = []  # the ones the patient may choose in Settings


# --- staff views of a patient's record ------------------------------------------------------


class ProtocolVersionChange(SQLModel):
    """Move the patient to another version of their protocol; the reason goes in the audit."""

    model_config = {"extra": "forbid"}

    version: int = Field(ge=1, le=999_999)
    # Required, but checked by the service: missing and blank get the same plain sentence.
    reason: Annotated[str, StringConstraints(max_length=500), TEXT] = ""
