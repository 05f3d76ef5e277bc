"""The engine factory: SQLite pragmas, aware-UTC datetimes on both backends."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import event, text
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
