"""Tables for Web Push subscriptions and the notification outbox."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.dbtypes import UTCDateTime, foreign_key


class PushSubscription(SQLModel, table=True):
    """A browser's push endpoint, owned by exactly one patient or one staff user."""

    __tablename__ = "push_subscription"
    __table_args__ = (
        CheckConstraint("(patient_id IS NULL) <> (staff_id IS NULL)", name="exactly_one_owner"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    patient_id: uuid.UUID | None = foreign_key("patient.id", required=False)
    staff_id: uuid.UUID | None = foreign_key("staff_user.id", required=False)
    endpoint: str = Field(max_length=2048, unique=True)
    p256dh: str = Field(max_length=128)
    auth: str = Field(max_length=64)
    vapid_key_id: str = Field(max_length=64)  # a rotated key needs new subscriptions
    expiration_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_success_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class OutboxMessage(SQLModel, table=True):
    """One notification to send; unique per (occurrence, kind) so planning twice sends once."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        UniqueConstraint("occurrence_id", "kind"),
        Index("ix_outbox_message_status_next", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)  # reminder, alert
    occurrence_id: uuid.UUID | None = foreign_key(
        "occurrence.id", required=False, index=False, on_delete="SET NULL"
    )
    patient_id: uuid.UUID | None = foreign_key("patient.id", required=False)
    alert_id: uuid.UUID | None = foreign_key("alert.id", required=False, index=False)
    status: str = Field(default="pending", max_length=20)
    due_at: datetime = Field(sa_type=UTCDateTime)
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)  # after this the message is dropped
    attempts: int = 0
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str = Field(default="", max_length=500)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
