"""Tables and schemas for enrolment links and the device sessions they start."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from app.dbtypes import UTCDateTime, foreign_key
from app.patients.carers import CarerPublic


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
    # A helper's link (app/enrolment/carers.py): it signs in the carer's phone, not the patient's.
    # No foreign key (as treatment.recorded_by): SQLite could add one only by copying the table
    # under the keys that point at it. Links go only with their patient, explicitly.
    carer_link_id: uuid.UUID | None = Field(default=None, index=True)


class DeviceSession(SQLModel, table=True):
    """A signed-in phone; the cookie holds a token whose SHA-256 is `token_hash`.

    A patient's own phone, or a carer's (`carer_id`): a carer's shows one of the patients they
    help at a time (`patient_id`, switched by POST /api/me/switch), each through a live link.
    """

    __tablename__ = "device_session"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    patient_id: uuid.UUID = foreign_key("patient.id")
    carer_id: uuid.UUID | None = Field(default=None, index=True)  # carer.id; no key, as above
    token_hash: str = Field(max_length=64, unique=True)
    label: str = Field(default="", max_length=120)  # e.g. browser and OS, for "revoke device"
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class EnrolmentPublic(SQLModel):
    code: str
    url: str
    expires_at: datetime
    qr_svg: str  # <svg> markup of `url`, to show or print for the patient's phone camera


class PatientCreated(SQLModel):
    id: uuid.UUID
    enrolment: EnrolmentPublic


class EnrolRequest(SQLModel):
    code: str = Field(min_length=16, max_length=128)


class DevicePublic(SQLModel):
    id: uuid.UUID
    label: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    push: bool  # the device has a push subscription (reminders reach it)


class CarerInvited(SQLModel):
    """A helper just invited (or given a new link): their one-time link, shown once."""

    carer: CarerPublic
    enrolment: EnrolmentPublic
