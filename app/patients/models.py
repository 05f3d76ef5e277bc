"""Tables and schemas for patients, treatments, enrolment links, device sessions and bookings."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, StringConstraints
from sqlalchemy import Column, ForeignKey, Index, Uuid, text
from sqlmodel import Field, SQLModel

from app.dbtypes import UTCDateTime, foreign_key
from app.reports.models import ReportPublic
from app.shared.phone import PhoneNumber
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
    time_zone: str = Field(max_length=64)
    wake_time: time = time(7, 30)
    bed_time: time = time(22, 0)
    stockings_advised: bool = False
    # Lock-screen privacy: show the task's title in a push only if the patient opted in.
    show_task_titles: bool = False
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

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    patient_id: uuid.UUID = foreign_key("patient.id")
    performed_at: datetime = Field(sa_type=UTCDateTime)
    method: str = Field(max_length=20)
    notes: str = Field(default="", max_length=2000)
    recorded_by: uuid.UUID | None = None  # staff user id; kept even if the account goes
    created_at: datetime = Field(sa_type=UTCDateTime)


class EnrolmentLink(SQLModel, table=True):
    """A one-time code that turns a phone into a patient device; only its hash is stored."""

    __tablename__ = "enrolment_link"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    patient_id: uuid.UUID = foreign_key("patient.id")
    code_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DeviceSession(SQLModel, table=True):
    """A patient's signed-in phone; the cookie holds a token whose SHA-256 is `token_hash`."""

    __tablename__ = "device_session"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    patient_id: uuid.UUID = foreign_key("patient.id")
    token_hash: str = Field(max_length=64, unique=True)
    label: str = Field(default="", max_length=120)  # e.g. browser and OS, for "revoke device"
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


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

PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class TreatmentCreate(SQLModel):
    """A treatment session; `performed_at` is an ISO 8601 instant with its offset."""

    performed_at: AwareDatetime
    method: TreatmentMethod = TreatmentMethod.SCLEROTHERAPY
    notes: str = Field(default="", max_length=2000)


class PatientCreate(SQLModel):
    name: PersonName
    time_zone: TimeZoneName
    wake_time: WallTime = time(7, 30)
    bed_time: WallTime = time(22, 0)
    stockings_advised: bool = False
    phone: PhoneNumber | None = None
    treatment: TreatmentCreate
    # The consultation check ("ultrasound Doppler done, no reflux"): recorded, or knowingly
    # skipped; enrolling with neither is refused.
    doppler_checked: bool = False
    confirm_without_doppler: bool = False


class PreferencesUpdate(SQLModel):
    """What a patient may change themselves; omitted fields stay as they are."""

    model_config = {"extra": "forbid"}  # e.g. stockings_advised is the clinic's call

    time_zone: TimeZoneName | None = None
    wake_time: WallTime | None = None
    bed_time: WallTime | None = None
    show_task_titles: bool | None = None


class EnrolmentPublic(SQLModel):
    code: str
    url: str
    expires_at: datetime
    qr_svg: str  # <svg> markup of `url`, to show or print for the patient's phone camera


class PatientCreated(SQLModel):
    id: uuid.UUID
    enrolment: EnrolmentPublic


class TreatmentPublic(SQLModel):
    id: uuid.UUID
    performed_at: datetime
    method: str
    notes: str
    created_at: datetime


class PatientDetail(SQLModel):
    id: uuid.UUID
    name: str
    phone: str | None
    time_zone: str
    wake_time: WallTime
    bed_time: WallTime
    stockings_advised: bool
    show_task_titles: bool
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


class ClinicContact(SQLModel):
    name: str
    phone: str
    emergency_number: str


class RestrictionPublic(SQLModel):
    task: str
    title: str
    instructions: str
    until: date  # last local day it applies (inclusive)
    until_at: datetime  # the instant it ends


class AppointmentPublic(SQLModel):
    id: uuid.UUID
    key: str
    title: str
    due_at: datetime
    local_due: LocalDateTime
    # Not booked yet: the day is a target and the time of day a guess; show the day only.
    tentative: bool = False


class MeProfile(SQLModel):
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


class EnrolRequest(SQLModel):
    code: str = Field(min_length=16, max_length=128)


# --- staff views of a patient's record ------------------------------------------------------


class PatientAppointment(SQLModel):
    """A planned visit: `due_at` is when it is now, `computed_at` what the protocol alone gives."""

    key: str
    title: str
    due_at: datetime
    local_due: LocalDateTime
    computed_at: datetime | None  # None if the protocol no longer plans this visit
    booked: bool
    tentative: bool  # not booked: a target day on the clinic's clock, no reminder


class ProtocolVersionChange(SQLModel):
    """Move the patient to another version of their protocol; the reason goes in the audit."""

    model_config = {"extra": "forbid"}

    version: int = Field(ge=1, le=999_999)
    # Required, but checked by the service: missing and blank get the same plain sentence.
    reason: str = Field(default="", max_length=500)


class VisitToBook(SQLModel):
    """A clinic visit not booked yet, with a time to offer inside the opening hours."""

    patient_id: uuid.UUID
    patient_name: str
    key: str
    title: str
    target_day: date  # in the clinic's zone
    due_at: datetime  # the planned (tentative) instant
    suggested_at: LocalDateTime  # in the clinic's zone, inside its opening hours


class AppointmentBookingIn(SQLModel):
    model_config = {"extra": "forbid"}

    booked_at: AwareDatetime


class DevicePublic(SQLModel):
    id: uuid.UUID
    label: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    push: bool  # the device has a push subscription (reminders reach it)


class PatientReport(ReportPublic):
    """A report as the clinic sees it: what the patient was told, and why."""

    reasons: list[str]


class EraseRequest(SQLModel):
    model_config = {"extra": "forbid"}

    confirm_name: str = Field(max_length=400)
