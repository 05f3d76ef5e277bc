"""The rate-limit table: one row per counted attempt, keyed by a hash of what is limited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from app.dbtypes import UTCDateTime


class RateLimitHit(SQLModel, table=True):
    """One attempt against a limit; `key_hash` is a SHA-256, never the raw e-mail or address."""

    __tablename__ = "rate_limit_hit"
    __table_args__ = (Index("ix_rate_limit_hit_scope_key_at", "scope", "key_hash", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=32)  # e.g. login_account_client, login_ip, totp, enrol_ip
    key_hash: str = Field(max_length=64)
    created_at: datetime = Field(sa_type=UTCDateTime)
