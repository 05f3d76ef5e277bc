"""The engine factory: SQLite pragmas, aware-UTC datetimes on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.clinics.models import Clinic
from app.db import normalise_url, transaction


def test_sqlite_runs_in_wal_with_busy_timeout_and_foreign_keys(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 10_000
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_datetimes_come_back_aware_utc_whatever_offset_went_in(
    factory: sessionmaker[Session],
) -> None:
    created = datetime(2026, 3, 29, 3, 30, tzinfo=timezone(timedelta(hours=2)))
    with transaction(factory) as session:
        session.add(Clinic(name="Offset clinic", created_at=created))
    with factory() as session:
        clinic = session.exec(select(Clinic)).one()
    assert clinic.created_at == created
    assert clinic.created_at.tzinfo == UTC
    assert clinic.created_at.hour == 1


def test_naive_datetimes_are_refused(factory: sessionmaker[Session]) -> None:
    with pytest.raises(StatementError, match="naive datetime"), transaction(factory) as session:
        session.add(Clinic(name="Naive clinic", created_at=datetime(2026, 1, 1)))  # noqa: DTZ001
        session.flush()


def test_transaction_rolls_back_on_error(factory: sessionmaker[Session]) -> None:
    with pytest.raises(RuntimeError), transaction(factory) as session:
        session.add(Clinic(name="Half-written", created_at=datetime.now(UTC)))
        session.flush()
        raise RuntimeError("boom")
    with factory() as session:
        assert session.exec(select(Clinic)).first() is None


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_postgres_urls_use_psycopg3(given: str, expected: str) -> None:
    assert normalise_url(given) == expected
