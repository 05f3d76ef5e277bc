"""Periodic jobs: each runs in its own transaction; one that fails never stops the others."""

from __future__ import annotations

import logging
from datetime import datetime

import pytest
from sqlalchemy import func
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.clock import FixedClock
from app.jobs import PeriodicJob, run_jobs
from app.notifications.models import OutboxKind, OutboxMessage, OutboxStatus


def _row(now: datetime) -> OutboxMessage:
    """Any row will do: a settled one, which no dispatcher looks at."""
    return OutboxMessage(
        kind=OutboxKind.REMINDER, status=OutboxStatus.CANCELLED,
        due_at=now, next_attempt_at=now, expires_at=now, created_at=now,
    )  # fmt: skip


def test_each_job_runs_with_now_and_commits(
    factory: sessionmaker[Session], clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    def add_row(session: Session, *, now: datetime) -> int:
        session.add(_row(now))
        session.flush()
        return 1

    with caplog.at_level(logging.INFO, logger="aftercare.jobs"):
        run_jobs([PeriodicJob("row maker", add_row)], factory, clock.now())
    with factory() as session:
        [row] = session.exec(select(OutboxMessage)).all()
    assert row.created_at == clock.now()
    assert "row maker done=1" in caplog.text


def test_a_failing_job_is_rolled_back_and_logged_and_the_next_one_still_runs(
    factory: sessionmaker[Session], clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    ran = []

    def broken(session: Session, *, now: datetime) -> int:
        session.add(_row(now))
        session.flush()
        raise RuntimeError("a bug")

    def database_away(session: Session, *, now: datetime) -> int:
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    def fine(session: Session, *, now: datetime) -> int:
        ran.append(now)
        return 0

    jobs = [PeriodicJob("broken", broken), PeriodicJob("away", database_away)]
    with caplog.at_level(logging.INFO, logger="aftercare.jobs"):
        run_jobs([*jobs, PeriodicJob("fine", fine)], factory, clock.now())
    assert ran == [clock.now()]
    with factory() as session:
        assert session.exec(select(func.count()).select_from(OutboxMessage)).one() == 0
    messages = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert ("ERROR", "broken failed") in messages
    assert ("WARNING", "database unavailable, away skipped: server closed the connection") in (
        messages
    )
    assert not any("fine" in message for _, message in messages)  # nothing done: nothing said
