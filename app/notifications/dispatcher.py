"""The dispatch run: the periodic jobs, then a pipeline that claims, builds, sends and records.

Each step is its own module: claim.py, load.py, build.py, send.py, outcome.py, record.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import TypeVar

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
from app.notifications.record import Recorder, Settled
from app.notifications.send import Cutoff, LetterSender, send_row
from app.notifications.sender import PushSender

log = logging.getLogger("aftercare.dispatch")

T = TypeVar("T")

# One run keeps claiming while rows are due, so a burst drains without waiting for the next
# tick; the budget bounds how long one run holds the scheduler's thread.
RUN_BUDGET_SECONDS = 20.0
# A row's sends are cut off this long before its lease ends (a tenth of the lease, at most
# 5 s), which leaves time to record its outcome before anyone may claim it again.
LEASE_MARGIN_FRACTION = 0.1
LEASE_MARGIN_MAX_SECONDS = 5.0


@dataclass
class RunReport:
    claimed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: Outcome) -> None:
        self.outcomes[outcome.status] = self.outcomes.get(outcome.status, 0) + 1


class Dispatcher:
    """All state is in the database: any number of dispatchers can run against one PostgreSQL.

    A claim marks rows `sending` with a lease; a dispatcher that dies leaves rows whose lease
    expires and another claims them again. Outcomes are recorded as sends complete, in small
    chunks, so what is sent twice after a crash is what was in flight (and the last few
    milliseconds of answers), not the whole batch; the Topic header makes the push service
    replace the first copy.

    One run is a pipeline on the dispatcher's event loop: up to `in_flight` rows are being
    sent at once; a row that completes frees its slot, and due rows are claimed again as soon
    as half the slots are free (or every tick's interval while some are free), so a slow or
    hanging endpoint holds only its own slot, never the next claim. Database work (claims,
    jobs, writing outcomes) runs in one thread of the dispatcher's own, one statement at a
    time, while the loop goes on sending.
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
        receipt_secret: bytes = b"",
        jobs: Sequence[PeriodicJob] = (),
        letters: Mapping[str, LetterSender] | None = None,
    ) -> None:
        self._sessions = session_factory
        self._clock = clock
        self._sender = sender
        # E-mail and SMS, by channel: only those this server is set up to send.
        self._letters = dict(letters or {})
        self._settings = settings
        self._jobs = tuple(jobs)
        self._load = Loader(key_id=key_id, alerts=alerts, channels=frozenset(self._letters))
        self._build = Build(
            public_url=settings.public_url,
            action_secret=action_secret,
            receipt_secret=receipt_secret,
        )
        self._settle = Settle(max_attempts=settings.push_max_attempts)
        self._loop = asyncio.new_event_loop()
        self._database = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dispatch-db")
        # Rows sent at once: no more than connections, so none waits for one (a row with
        # several devices may still queue some of its sends on the pool).
        self.in_flight = max(1, min(settings.dispatch_batch_size, settings.dispatch_concurrency))
        lease = settings.dispatch_lease_seconds
        self._lease_margin = min(LEASE_MARGIN_MAX_SECONDS, lease * LEASE_MARGIN_FRACTION)
        self._running = threading.Lock()
        self._stopping = threading.Event()
        self._closed = False

    def close(self) -> None:
        """Stop claiming, let a run in progress finish its sends and record them, then close."""
        self._stopping.set()
        with self._running:
            if self._closed:
                return
            self._closed = True
            self._loop.run_until_complete(self._sender.aclose())
            for letters in self._letters.values():
                self._loop.run_until_complete(letters.release())
            self._loop.close()
            self._database.shutdown(wait=True)

    def run_once(self) -> RunReport:
        """Run the periodic jobs, then send everything due, claiming as sends complete, within
        the run's time budget: what a job queued (an alert's escalation) goes out in this run.

        Returns once nothing is due and nothing is in flight, every outcome recorded.
        """
        report = RunReport()
        with self._running:
            if self._closed or self._stopping.is_set():
                return report
            run_jobs(self._jobs, self._sessions, self._clock.now())
            self._loop.run_until_complete(self._run(report))
        return report

    def _claim(self, now: datetime, limit: int | None = None) -> list[Claim | AlertClaim]:
        """Atomically take up to `limit` (a batch) due rows, loaded with what sending takes."""
        batch = self._settings.dispatch_batch_size if limit is None else limit
        with transaction(self._sessions) as session:
            claimed = claim_due(
                session,
                now,
                batch=batch,
                lease=timedelta(seconds=self._settings.dispatch_lease_seconds),
            )
            return self._load.load(session, claimed, now)

    async def _in_database_thread(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._database, work)

    async def _run(self, report: RunReport) -> None:
        recorder = Recorder(
            self._sessions,
            self._clock,
            self._in_database_thread,
            every=self._settings.dispatch_record_seconds,
            chunk=self._settings.dispatch_record_chunk,
        )
        writing = asyncio.ensure_future(recorder.run())
        try:
            await self._pipeline(report, recorder)
        finally:
            for letters in self._letters.values():
                await letters.release()  # one SMTP connection per run, not one left idle
            recorder.close()  # writes what is left, retrying through an outage while leases hold
            await writing
        if recorder.failure is not None:
            raise recorder.failure

    async def _pipeline(self, report: RunReport, recorder: Recorder) -> None:
        """Claim while slots are free and rows are due; return once neither is left in flight."""
        interval = self._settings.dispatch_interval_seconds
        top_up = max(1, self.in_flight // 2)
        started = jobs_ran = next_look = time.monotonic()
        sending: set[asyncio.Task[None]] = set()
        # Set once enough sends have completed for a claim to be worth it (or none is left),
        # not on every completion: waking the loop for each of 1,000 answers a second cost
        # more CPU than it saved. asyncio.wait(sending) would be worse still: it adds and
        # removes a callback on every task in flight each time.
        freed = asyncio.Event()

        def done(task: asyncio.Task[None]) -> None:
            sending.discard(task)
            if len(sending) <= self.in_flight - top_up:
                freed.set()

        more_due = True  # the last claim was full: more rows may be due already
        claiming = True
        try:
            while True:
                now_m = time.monotonic()
                if (
                    now_m - started >= RUN_BUDGET_SECONDS
                    or self._stopping.is_set()
                    or recorder.failure is not None
                ):
                    claiming = False
                free = self.in_flight - len(sending)
                if claiming and free > 0 and (now_m >= next_look or (more_due and free >= top_up)):
                    if now_m >= next_look and now_m - jobs_ran >= interval:
                        # A run kept going by a burst or a slow send still runs the jobs (an
                        # alert escalates on time) once a tick's interval.
                        now = self._clock.now()
                        await self._in_database_thread(
                            partial(run_jobs, self._jobs, self._sessions, now)
                        )
                        jobs_ran = time.monotonic()
                    now = self._clock.now()
                    lease_ends = time.monotonic() + self._settings.dispatch_lease_seconds
                    claims = await self._claim_or_none(now, free)
                    if claims is None:
                        claiming = False
                        continue
                    next_look = time.monotonic() + interval
                    more_due = len(claims) == free
                    report.claimed += len(claims)
                    if claims:
                        self._start(claims, now, lease_ends, recorder, report, sending, done)
                    continue
                if not sending:
                    break  # nothing in flight, and nothing more due (or no more claiming)
                freed.clear()
                if claiming and free > 0:  # until a send completes or it is time to look again
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(freed.wait(), max(0.0, next_look - time.monotonic()))
                else:
                    await freed.wait()
        finally:
            if sending:
                await asyncio.wait(set(sending))

    async def _claim_or_none(self, now: datetime, limit: int) -> list[Claim | AlertClaim] | None:
        """Claim in the database thread; None when the database is away."""
        try:
            return await self._in_database_thread(partial(self._claim, now, limit))
        except DBAPIError as exc:
            if not connection_lost(exc):
                raise
            # Nothing more is claimed this run; the next run claims again once the database is
            # back. Sends in flight finish and their outcomes are kept until they can be written.
            log.warning("database unavailable, nothing claimed: %s", driver_message(exc))
            return None

    def _start(
        self,
        claims: list[Claim | AlertClaim],
        now: datetime,
        lease_ends: float,
        recorder: Recorder,
        report: RunReport,
        sending: set[asyncio.Task[None]],
        done: Callable[[asyncio.Task[None]], None],
    ) -> None:
        """A task per claimed row; the claim's sends are cut off before its lease ends."""
        loop = asyncio.get_running_loop()
        cutoff = Cutoff(loop, lease_ends - self._lease_margin - time.monotonic())
        unsettled = len(claims)

        async def send(claim: Claim | AlertClaim) -> None:
            nonlocal unsettled
            try:
                outcome = await send_row(
                    claim,
                    now,
                    sender=self._sender,
                    letters=self._letters,
                    build=self._build,
                    settle=self._settle,
                    clock=self._clock,
                    cutoff=cutoff,
                )
                report.add(outcome)
                recorder.add(Settled(outcome, claim.attempts, lease_ends))
            finally:
                unsettled -= 1
                if unsettled == 0:
                    cutoff.cancel()

        for claim in claims:
            task = loop.create_task(send(claim))
            sending.add(task)
            task.add_done_callback(done)
