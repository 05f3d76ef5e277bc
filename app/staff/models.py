"""Tables and schemas for staff users, staff sessions, set-password links and audit events."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, EmailStr, StringConstraints
from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from app.dbtypes import UTCDateTime, foreign_key
from app.shared.phone import sms_number
from app.shared.text import LINE


class StaffRole(StrEnum):
    ADMIN = "admin"
    CLINICIAN = "clinician"


class AlertChannel(StrEnum):
    """How an on-call staff member also gets a new alert: the push only, or an e-mail or text."""

    PUSH = "push"
    EMAIL = "email"
    SMS = "sms"


class StaffUser(SQLModel, table=True):
    __tablename__ = "staff_user"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    clinic_id: uuid.UUID = foreign_key("clinic.id")
    email: str = Field(max_length=254, unique=True)  # stored lower-case
    name: str = Field(default="", max_length=200)
    password_hash: str = Field(max_length=255)
    role: str = Field(default=StaffRole.CLINICIAN, max_length=20)
    totp_secret: str | None = Field(default=None, max_length=64)
    totp_last_step: int | None = None  # a TOTP code is accepted once per time step
    totp_enabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # confirmed
    # On call: gets the first push of every new alert (escalations go to every clinician).
    on_call: bool = False
    # A mobile number in E.164 (+447700900123), or "": where an on-call text goes.
    phone: str = Field(default="", max_length=20)
    # How an alert also reaches them while on call, besides the console's push: an AlertChannel
    # (e-mail goes to their sign-in address, a text to `phone`).
    alert_channel: str = Field(default="push", max_length=10)
    created_at: datetime = Field(sa_type=UTCDateTime)
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class StaffSession(SQLModel, table=True):
    """A signed-in browser; the cookie holds a token whose SHA-256 is `token_hash`."""

    __tablename__ = "staff_session"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    staff_id: uuid.UUID = foreign_key("staff_user.id")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)  # absolute expiry
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Password checked, TOTP code still owed: such a session opens nothing but the TOTP step.
    second_factor_pending: bool = False
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=200)


class PasswordResetLink(SQLModel, table=True):
    """A one-time set-password link; the URL holds a token whose SHA-256 is `token_hash`."""

    __tablename__ = "staff_password_reset"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    staff_id: uuid.UUID = foreign_key("staff_user.id")
    token_hash: str = Field(max_length=64, unique=True)
    # The admin who issued it; None: the command line (`aftercare staff reset-password`).
    issued_by: uuid.UUID | None = foreign_key(
        "staff_user.id", required=False, index=False, on_delete="SET NULL"
    )
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class IssuedPasswordReset(SQLModel):
    """A set-password link as the admin hands it over: shown once, never stored in clear."""

    url: str
    expires_at: datetime


class PasswordResetToken(SQLModel):
    token: str = Field(min_length=1, max_length=200)


class PasswordResetHolder(SQLModel):
    """Whose link it is, for the set-password page to say."""

    email: str
    name: str
    expires_at: datetime


class PasswordResetUse(SQLModel):
    token: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=1, max_length=1024)


class AuditEvent(SQLModel, table=True):
    """Append-only record of staff reads and changes; no FK to patient so it outlives erasure."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    clinic_id: uuid.UUID | None = Field(default=None, index=True)
    staff_id: uuid.UUID | None = Field(default=None, index=True)
    patient_id: uuid.UUID | None = Field(default=None, index=True)
    action: str = Field(max_length=64)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    ip: str = Field(default="", max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)


class LoginRequest(SQLModel):
    email: EmailStr = Field(max_length=254)
    password: str = Field(min_length=1, max_length=1024)


class StaffPublic(SQLModel):
    id: uuid.UUID
    email: str
    name: str
    role: str
    clinic_id: uuid.UUID
    clinic_name: str
    totp_enabled: bool
    # The clinic requires a second factor of this role (AFTERCARE_TOTP_REQUIRED_ROLES): until
    # it is on, every staff endpoint but sign-in's own answers 403 `second_factor_required`.
    totp_required: bool
    on_call: bool
    phone: str  # E.164, or "": where an on-call alert's text goes
    alert_channel: str  # an AlertChannel: push only, or e-mail or a text as well when on call
    alert_channels_offered: list[str]  # what this server can send besides push (email, sms)


class LoginResult(SQLModel):
    """A login step's answer: either the signed-in staff, or a TOTP code is still owed."""

    second_factor_required: bool
    staff: StaffPublic | None


class TotpCodeRequest(SQLModel):
    # Six digits; spaces (as authenticator apps show them) are ignored.
    code: str = Field(min_length=6, max_length=12)


class PasswordCheck(SQLModel):
    password: str = Field(min_length=1, max_length=1024)


class TotpDisableRequest(SQLModel):
    password: str = Field(min_length=1, max_length=1024)
    code: str = Field(min_length=6, max_length=12)


class TotpSetup(SQLModel):
    """The new secret, as text, as an otpauth:// URI and as a QR code (inline SVG markup)."""

    secret: str
    otpauth_uri: str
    qr_svg: str


class PasswordChange(SQLModel):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


class StaffAccount(SQLModel):
    """A staff account as an admin sees it in the clinic's list."""

    id: uuid.UUID
    email: str
    name: str
    role: str
    on_call: bool
    phone: str
    alert_channel: str
    totp_enabled: bool
    disabled: bool
    created_at: datetime


StaffName = Annotated[str, StringConstraints(max_length=200), LINE]


def _textable(value: str) -> str:
    """ "" (no number), or the number in E.164 as it is stored."""
    if not value:
        return ""
    number = sms_number(value)
    if number is None:
        raise ValueError("must start with the country code, like +44 7700 900123")
    return number


# A mobile number as typed ("+44 7700 900123"), stored as E.164; "" removes it.
StaffPhone = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=40), AfterValidator(_textable)
]


class StaffCreate(SQLModel):
    email: EmailStr = Field(max_length=254)
    name: StaffName = ""
    role: StaffRole = StaffRole.CLINICIAN
    password: str = Field(min_length=1, max_length=1024)


class StaffUpdate(SQLModel):
    """Only the fields sent change; null is the same as leaving a field out."""

    name: StaffName | None = None
    role: StaffRole | None = None
    on_call: bool | None = None
    disabled: bool | None = None
    phone: StaffPhone | None = None
    alert_channel: AlertChannel | None = None


class AlertChannelChange(SQLModel):
    """The signed-in staff member's own number and choice; fields left out stay as they are."""

    model_config = {"extra": "forbid"}

    phone: StaffPhone | None = None
    alert_channel: AlertChannel | None = None


class AuditEntry(SQLModel):
    id: int
    created_at: datetime
    staff_id: uuid.UUID | None
    staff_email: str | None
    staff_name: str | None  # the name, else the e-mail address; null: nobody (an unknown login)
    patient_id: uuid.UUID | None
    patient_name: str | None  # null: no patient, or an erased one (`patient_erased`)
    patient_erased: bool
    action: str
    action_label: str  # the action in words ("Viewed the record")
    detail: dict[str, Any]
    ip: str


class AuditPage(SQLModel):
    """Newest first; pass `next_before_id` as `before_id` for the next page (null: no more)."""

    items: list[AuditEntry]
    next_before_id: int | None
