"""The engine factory: SQLite pragmas, aware-UTC datetimes on both backends."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
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


class TestReadTransactions:
    """`transaction(read=True)` (GET and HEAD requests) takes no write lock on SQLite."""

    @pytest.fixture
    def writer_holding_the_lock(
        self, engine: Engine, factory: sessionmaker[Session]
    ) -> Iterator[threading.Event]:
        if engine.dialect.name != "sqlite":
            pytest.skip("SQLite's one write lock")
        with transaction(factory) as session:
            session.add(Clinic(name="Before", created_at=datetime.now(UTC)))
        holding, done = threading.Event(), threading.Event()

        def write() -> None:
            with transaction(factory) as session:
                session.add(Clinic(name="Held", created_at=datetime.now(UTC)))
                session.flush()
                holding.set()
                done.wait(5)

        thread = threading.Thread(target=write)
        thread.start()
        assert holding.wait(5)
        yield done
        done.set()
        thread.join()

    def test_a_read_does_not_wait_for_a_writer(
        self, factory: sessionmaker[Session], writer_holding_the_lock: threading.Event
    ) -> None:
        started = time.perf_counter()
        with transaction(factory, read=True) as session:
            names = session.exec(select(Clinic.name)).all()
        assert time.perf_counter() - started < 1  # the old BEGIN IMMEDIATE waited 5 s here
        assert names == ["Before"]  # the last commit; the writer's row is not committed

    def test_a_read_that_writes_waits_for_the_lock_and_then_writes(
        self, factory: sessionmaker[Session], writer_holding_the_lock: threading.Event
    ) -> None:
        with transaction(factory, read=True) as session:
            before = session.exec(select(Clinic)).one()
            threading.Timer(0.3, writer_holding_the_lock.set).start()
            started = time.perf_counter()
            before.phone = "+44 20 7946 0002"  # e.g. a session's idle timer, once a minute
            session.add(before)
            session.flush()  # upgraded: waits on busy_timeout, not "database is locked"
            assert time.perf_counter() - started >= 0.2
        with transaction(factory) as session:
            rows = {c.name: c.phone for c in session.exec(select(Clinic)).all()}
        assert rows == {"Before": "+44 20 7946 0002", "Held": ""}

    def test_a_read_transaction_is_deferred_and_a_plain_one_immediate(
        self, engine: Engine, factory: sessionmaker[Session]
    ) -> None:
        if engine.dialect.name != "sqlite":
            pytest.skip("SQLite's BEGIN")
        seen: list[str] = []

        def begins(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
            if statement.startswith("BEGIN"):
                seen.append(statement)

        event.listen(engine, "before_cursor_execute", begins)
        try:
            with transaction(factory, read=True) as session:
                session.exec(select(Clinic)).all()
            with transaction(factory) as session:
                session.exec(select(Clinic)).all()
        finally:
            event.remove(engine, "before_cursor_execute", begins)
        assert seen == ["BEGIN", "BEGIN IMMEDIATE"]
