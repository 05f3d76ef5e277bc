"""The engine factory: SQLite pragmas, aware-UTC datetimes on both backends."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.clinics.models import Clinic
from app.db import make_engine, normalise_url, transaction
from tests.support.sqlite_files import database_bytes


def test_sqlite_runs_in_wal_with_busy_timeout_and_foreign_keys(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 10_000
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA secure_delete")).scalar() == 1


def checkpoint(path: Path) -> None:
    """Copy the WAL into the file and empty it (outside a transaction: a plain connection)."""
    with closing(sqlite3.connect(path, isolation_level=None)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


MARKER = "Xanthippe Unforgettable"


def fill_then_empty(path: Path, run: Callable[[str], object]) -> bool:
    """Write rows holding MARKER (and an index of them), delete them all, checkpoint: whether
    MARKER is still in the file's or the WAL's bytes."""
    run("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
    run("CREATE INDEX t_name ON t (name)")
    # Fifty copies through SQL itself (a literal, no parameters: `run` takes a statement).
    run(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50) "
        "INSERT INTO t (name) SELECT i || ' Xanthippe Unforgettable' FROM n"
    )
    checkpoint(path)
    assert MARKER.encode() in database_bytes(path)
    run("DELETE FROM t")
    checkpoint(path)
    return MARKER.encode() in database_bytes(path)


def test_a_deleted_rows_text_is_gone_from_the_sqlite_files(tmp_path: Path) -> None:
    path = tmp_path / "erase.db"
    engine = make_engine(f"sqlite:///{path}")

    def run(statement: str) -> None:
        with engine.begin() as connection:
            connection.execute(text(statement))

    try:
        assert fill_then_empty(path, run) is False
    finally:
        engine.dispose()


def test_without_secure_delete_it_would_stay(tmp_path: Path) -> None:
    """The control: the check above can see a deleted row (some SQLite builds, Debian's among
    them, turn secure_delete on by default; others do not, hence the pragma)."""
    path = tmp_path / "plain.db"
    with closing(sqlite3.connect(path, isolation_level=None)) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA secure_delete=OFF")
        assert fill_then_empty(path, connection.execute) is True


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
