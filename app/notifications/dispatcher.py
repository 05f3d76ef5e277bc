"""The dispatch tick: run the registered periodic jobs, then claim, build, send, record batches.

Each step is its own module: claim.py, load.py, build.py, send.py, outcome.py, record.py.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.clock import Clock
from app.config import Settings
from app.db import transaction
from app.db_outage import connection_lost, driver_message
from app.jobs import PeriodicJob, run_jobs
from app.notifications.build import Build
from app.notifications.claim import claim_due
from app.notifications.load import AlertClaim, AlertSource, Claim, Loader
from app.notifications.outcome import Outcome, Settle
from app.notifications.record import record
from app.notifications.send import send_batch
from app.notifications.sender import PushSender

log = logging.getLogger("aftercare.dispatch")

# One run keeps claiming while batches come back full, so a burst drains without waiting for
# the next tick; the budget bounds how long one run holds the scheduler's thread.
RUN_BUDGET_SECONDS = 20.0


@dataclass
class RunReport:
    claimed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: Outcome) -> None:
        self.outcomes[outcome.status] = self.outcomes.get(outcome.status, 0) + 1


class Dispatcher:
    """All state is in the database: any number of dispatchers can run against one PostgreSQL.

    A claim marks rows `sending` with a lease; a dispatcher that dies leaves rows whose lease
    expires and another claims them again (at most that batch is sent twice; the Topic header
    makes the push service replace the first copy).
    """

    def __init__(
        self,
        *,
        session_factory: sessionmaker[Session],
        clock: Clock,
        sender: PushSender,
        settings: Settings,
        key_id: str,
        action_secret: bytes,
        alerts: AlertSource,
        jobs: Sequence[PeriodicJob] = (),
    ) -> None:
        self._sessions = session_factory
        self._clock = clock
        self._sender = sender
        self._settings = settings
        self._jobs = tuple(jobs)
        self._load = Loader(key_id=key_id, alerts=alerts)
        self._build = Build(public_url=settings.public_url, action_secret=action_secret)
        self._settle = Settle(max_attempts=settings.push_max_attempts)
        self._loop = asyncio.new_event_loop()

    def close(self) -> None:
        self._loop.run_until_complete(self._sender.aclose())
        self._loop.close()

    def run_once(self) -> RunReport:
        """Run the periodic jobs, then send everything due now, batch after batch, within the
        run's time budget: what a job queued (an alert's escalation) goes out in this run."""
        report = RunReport()
        run_jobs(self._jobs, self._sessions, self._clock.now())
        started = time.monotonic()
        while time.monotonic() - started < RUN_BUDGET_SECONDS:
            now = self._clock.now()
            claimed_at = time.monotonic()
            try:
                claims = self._claim(now)
            except DBAPIError as exc:
                if not connection_lost(exc):
                    raise
                # Nothing was sent: the next run claims again once the database is back.
                log.warning("database unavailable, nothing claimed: %s", driver_message(exc))
                break
            if not claims:
                break
            report.claimed += len(claims)
            outcomes = self._loop.run_until_complete(
                send_batch(claims, now, sender=self._sender, build=self._build, settle=self._settle)
            )
            lease_ends = claimed_at + self._settings.dispatch_lease_seconds
            record(self._sessions, outcomes, self._clock.now(), lease_ends=lease_ends)
            for outcome in outcomes:
                report.add(outcome)
            if len(claims) < self._settings.dispatch_batch_size:
                break
        return report

    def _claim(self, now: datetime) -> list[Claim | AlertClaim]:
        """Atomically take up to a batch of due rows, loaded with what sending them takes."""
        with transaction(self._sessions) as session:
            claimed = claim_due(
                session,
                now,
                batch=self._settings.dispatch_batch_size,
                lease=timedelta(seconds=self._settings.dispatch_lease_seconds),
            )
            return self._load.load(session, claimed)
