"""Tables for Web Push subscriptions and the notification outbox."""

from __future__ import annotations

import binascii
import re
import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import field_validator
from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.dbtypes import UTCDateTime, foreign_key
from app.shared.base64url import b64url_decode
from app.timezones import LocalDateTime


class PushSubscription(SQLModel, table=True):
    """A browser's push endpoint, owned by exactly one patient, staff user or carer.

    A carer's reaches them for every patient they help with reminders on (app/notifications/
    load.py), so it belongs to the carer, not to the patient their phone shows at the moment.
    """

    __tablename__ = "push_subscription"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN patient_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN staff_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN carer_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="exactly_one_owner",
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    patient_id: uuid.UUID | None = foreign_key("patient.id", required=False)
    staff_id: uuid.UUID | None = foreign_key("staff_user.id", required=False)
    carer_id: uuid.UUID | None = foreign_key("carer.id", required=False)
    # The patient device that subscribed: revoking the device removes its subscription too.
    device_session_id: uuid.UUID | None = foreign_key("device_session.id", required=False)
    endpoint: str = Field(max_length=2048, unique=True)
    p256dh: str = Field(max_length=128)
    auth: str = Field(max_length=64)
    vapid_key_id: str = Field(max_length=64)  # a rotated key needs new subscriptions
    expiration_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_success_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class OutboxStatus(StrEnum):
    PENDING = "pending"  # waiting for next_attempt_at (first try or a retry)
    SENDING = "sending"  # claimed by a dispatcher until lease_until
    SENT = "sent"
    FAILED = "failed"  # gave up: attempts exhausted, or no device could take it
    CANCELLED = "cancelled"  # its occurrence was replaced or done: never to be sent
    DROPPED = "dropped"  # too late to be useful (past expires_at)


class OutboxKind(StrEnum):
    REMINDER = "reminder"
    ALERT = "alert"  # a new alert, to on-call staff (every clinician if nobody is on call)
    ALERT_ESCALATION = "alert_escalation"  # still open after the clinic's time: every clinician
    # The patient is told at once (held through their night) that a visit was booked, moved,
    # or is no longer booked: one waiting row per visit at most (app/notifications/outbox.py).
    VISIT_BOOKED = "visit_booked"
    VISIT_MOVED = "visit_moved"
    VISIT_UNBOOKED = "visit_unbooked"
    # The clinic marked a report seen: the patient is told, held through their night unless
    # the report was urgent or an emergency (then it goes at once).
    REPORT_SEEN = "report_seen"
    REPORT_SEEN_URGENT = "report_seen_urgent"


class Channel(StrEnum):
    """How a message reaches a person: Web Push first; e-mail or SMS as the patient chose."""

    PUSH = "push"
    EMAIL = "email"
    SMS = "sms"


VISIT_NOTICES = frozenset(
    {OutboxKind.VISIT_BOOKED, OutboxKind.VISIT_MOVED, OutboxKind.VISIT_UNBOOKED}
)
REPORT_NOTICES = frozenset({OutboxKind.REPORT_SEEN, OutboxKind.REPORT_SEEN_URGENT})


class OutboxMessage(SQLModel, table=True):
    """One notification to send; unique per (occurrence, kind, channel) so planning twice, or a
    push falling back twice, sends once; an alert's e-mail or text to one on-call staff member
    is unique per (alert, staff, channel) likewise."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        UniqueConstraint("occurrence_id", "kind", "channel"),
        # Push rows have no staff_id (NULLs are distinct): only staff letters are constrained.
        UniqueConstraint("alert_id", "staff_id", "channel"),
        # The claim's order: due rows come off the index already sorted, ties by id.
        Index("ix_outbox_message_claim_order", "status", "next_attempt_at", "id"),
        # A report's "seen" push is queued once (an index: SQLite adds it without a copy).
        Index(
            "ix_outbox_message_report_id_kind_channel", "report_id", "kind", "channel", unique=True
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)  # an OutboxKind
    # A Channel. E-mail and SMS rows are fallbacks a push reminder queues when it goes out
    # (app/notifications/fallback.py); their due_at is that push's, so a re-sent push (after a
    # crash) finds its fallback already there, and a moved or snoozed one re-arms it.
    channel: str = Field(default="push", max_length=10)
    occurrence_id: uuid.UUID | None = foreign_key(
        "occurrence.id", required=False, index=False, on_delete="SET NULL"
    )
    patient_id: uuid.UUID | None = foreign_key("patient.id", required=False)
    alert_id: uuid.UUID | None = foreign_key("alert.id", required=False, index=False)
    # The staff member an alert's e-mail or text goes to (None: a push, or a patient's row).
    staff_id: uuid.UUID | None = foreign_key(
        "staff_user.id", required=False, index=False, on_delete="SET NULL"
    )
    # The report a "seen" push is about (no foreign key, as symptom_report.seen_by), and its
    # words, made when it was queued ("Seen by Nurse Patel at 9:12: ..."): a report's seen
    # state never changes after, so nothing needs reading at send time.
    report_id: uuid.UUID | None = None
    text: str = Field(default="", max_length=700)
    status: str = Field(default="pending", max_length=20)
    due_at: datetime = Field(sa_type=UTCDateTime)
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)  # after this the message is dropped
    attempts: int = 0
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str = Field(default="", max_length=500)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)


# --- API schemas -------------------------------------------------------------------------

P256_POINT_BYTES = 65  # uncompressed P-256 public key
# 9999-12-30T00:00Z: the last day of the year 9999 is left out so that the value still has
# a date in whatever time zone PostgreSQL hands it back in.
MAX_EXPIRATION_MS = 253_402_128_000_000
AUTH_SECRET_BYTES = 16


class PushKeys(SQLModel):
    p256dh: str = Field(min_length=80, max_length=100)
    auth: str = Field(min_length=16, max_length=32)

    @field_validator("p256dh")
    @classmethod
    def _p256_point(cls, value: str) -> str:
        raw = _b64url_bytes(value, "p256dh")
        if len(raw) != P256_POINT_BYTES or raw[0] != 4:
            raise ValueError("p256dh must be an uncompressed P-256 public key (65 bytes)")
        return value

    @field_validator("auth")
    @classmethod
    def _auth_secret(cls, value: str) -> str:
        if len(_b64url_bytes(value, "auth")) != AUTH_SECRET_BYTES:
            raise ValueError("auth must be a 16-byte secret")
        return value


class PushSubscriptionIn(SQLModel):
    """The browser's `PushSubscription.toJSON()`, as it is."""

    endpoint: str = Field(min_length=10, max_length=2048)
    # Milliseconds since 1970; a date past the year 9999 cannot be held (it answered 500).
    expirationTime: int | None = Field(default=None, ge=0, le=MAX_EXPIRATION_MS)
    keys: PushKeys


class PushSubscriptionPublic(SQLModel):
    id: uuid.UUID
    endpoint: str
    vapid_key_id: str
    current_key: bool  # False: made with an older server key; the device must subscribe again
    created_at: datetime


class EndpointRef(SQLModel):
    endpoint: str = Field(min_length=10, max_length=2048)


class ActionRequest(SQLModel):
    task_id: uuid.UUID
    token: str = Field(min_length=10, max_length=200)


class SnoozeOut(SQLModel):
    """When a snoozed task reminds again: UTC, and in the patient's zone for the app to show."""

    task_id: uuid.UUID
    remind_at: datetime
    local_remind_at: LocalDateTime


class PublicKeyOut(SQLModel):
    public_key: str  # applicationServerKey for PushManager.subscribe, base64url
    key_id: str


def _b64url_bytes(value: str, name: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]+=*", value):
        raise ValueError(f"{name} must be base64url")
    try:
        return b64url_decode(value.rstrip("="))
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"{name} must be base64url") from exc


class ReceiptEvent(StrEnum):
    SHOWN = "shown"  # the service worker showed the notification
    TAPPED = "tapped"  # the patient tapped it (or one of its buttons)


class DeliveryReceipt(SQLModel, table=True):
    """A device reported a reminder shown or tapped; one per (occurrence, event, device)."""

    __tablename__ = "delivery_receipt"
    __table_args__ = (
        Index("ix_delivery_receipt_patient_at", "patient_id", "at"),
        Index("ix_delivery_receipt_occurrence_event", "occurrence_id", "event"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    # Erasing the patient deletes the row; so does the database if it goes first.
    patient_id: uuid.UUID = foreign_key("patient.id", index=False)
    occurrence_id: uuid.UUID | None = foreign_key(
        "occurrence.id", required=False, index=False, on_delete="SET NULL"
    )
    # The phone it was shown on (its label names it, "Chrome on Android"); none if unknown.
    device_session_id: uuid.UUID | None = foreign_key(
        "device_session.id", required=False, index=False, on_delete="SET NULL"
    )
    event: str = Field(max_length=10)  # a ReceiptEvent
    at: datetime = Field(sa_type=UTCDateTime)


class ReceiptIn(SQLModel):
    task_id: uuid.UUID
    token: str = Field(min_length=10, max_length=200)
    event: ReceiptEvent
    endpoint: str | None = Field(default=None, min_length=10, max_length=2048)


class DeviceReachOut(SQLModel):
    subscribed: bool  # this phone has a push subscription
    last_shown_at: datetime | None  # the newest reminder this phone reported shown
