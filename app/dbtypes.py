"""What every table shares: constraint naming, aware-UTC datetimes, foreign-key columns."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, ForeignKey, Uuid
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

# Stable constraint names: Alembic can then drop or alter them on every backend.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always returns them aware in UTC.

    SQLite has no time zones and hands back naive values; PostgreSQL's timestamptz
    returns the session zone. Normalising here means no caller ever sees a naive
    datetime or compares local with UTC by accident.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store aware UTC instants only")
        utc = value.astimezone(UTC)
        # SQLite compares datetimes as text: store them naive and uniform so ordering holds.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def foreign_key(
    target: str, *, required: bool = True, index: bool = True, on_delete: str = "CASCADE"
) -> Any:
    """A UUID column referencing `target` ("table.id"), by default deleted with its parent.

    `required` makes it NOT NULL (SQLAlchemy's Column is nullable unless told otherwise).
    """
    return Field(
        default=... if required else None,
        sa_column=Column(
            Uuid, ForeignKey(target, ondelete=on_delete), index=index, nullable=not required
        ),
    )
