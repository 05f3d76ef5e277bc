"""Periodic jobs: work a domain hands to the dispatch tick, each run in its own transaction.

A domain defines its jobs beside its own code (e.g. app/reports/jobs.py); app/scheduler.py
only lists them. Every process that dispatches runs them at the start of each tick, before
it claims outbox rows, so what a job queues goes out in the same tick.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.db import transaction
from app.db_outage import connection_lost, driver_message

log = logging.getLogger("aftercare.jobs")


class JobRun(Protocol):
    """Do what is due at `now` and say how many things were done; flush, never commit."""

    def __call__(self, session: Session, *, now: datetime) -> int: ...


@dataclass(frozen=True)
class PeriodicJob:
    """One domain's periodic work, named for the log.

    Every dispatching process runs it (web service and workers alike): the job itself must
    make sure that concurrent runs do each piece of work once (a conditional update, SKIP
    LOCKED).
    """

    name: str
    run: JobRun


def run_jobs(jobs: Sequence[PeriodicJob], sessions: sessionmaker[Session], now: datetime) -> None:
    """Run each job in its own transaction, in order.

    A job that fails is logged and tried again on the next tick: it never holds back the jobs
    after it, nor the reminders the tick sends next.
    """
    for job in jobs:
        try:
            with transaction(sessions) as session:
                done = job.run(session, now=now)
        except Exception as exc:
            if isinstance(exc, DBAPIError) and connection_lost(exc):
                log.warning("database unavailable, %s skipped: %s", job.name, driver_message(exc))
            else:
                log.exception("%s failed", job.name)
            continue
        if done:
            log.info("%s done=%d", job.name, done)
