"""Benchmark: N reminders sent by APScheduler alone (one job each) beside Aftercare's outbox.

Run: .venv/bin/python -m bench.scheduler_peer [--reminders 100000] [--patients 2000]
     [--postgres postgresql://postgres@127.0.0.1:5432/postgres]

The same work on both sides, sent to the same loopback push service (its own process; it
checks the VAPID JWT and decrypts every message, then counts deliveries per reminder id):

(a) APScheduler alone, as a team would build it: a BackgroundScheduler with an
    SQLAlchemyJobStore, one `date` job per reminder whose function calls pywebpush.webpush()
    with the patient's subscription (carried in the job's kwargs, so no lookup is charged to
    it), the default pool of 10 threads, and misfire_grace_time=None: with APScheduler's
    default of 1 s most of a burst is skipped as "missed" (measured below as its own line).
(b) Aftercare: patients enrolled through the real services (the plan writes the outbox),
    sent by the Dispatcher on its production wiring (app.scheduler.start_in_background).

Each step runs in a child process of its own, so memory and SIGKILL are real:
- schedule: (a) add_job for every reminder on a running scheduler, each its own transaction
  (timed for at most --schedule-cap seconds, then the rest bulk-inserted untimed as
  identical rows and the time extrapolated); (b) the outbox writes of enrolment:
  sync_reminders per patient, one transaction each, timed on a sample of patients whose
  reminder rows are deleted first, its rate applied to N. Whole enrolment (plan,
  occurrences, link, subscription) is reported beside it for context.
- firing: every reminder due at one instant T0 (a bench-only rewrite of the stored due
  time on both sides, like bench.push_throughput); throughput = reminders delivered /
  (last delivery - T0); lateness = arrival at the push service - T0. APScheduler's run is
  capped at --fire-cap seconds (Aftercare's at --aftercare-cap); a capped side's drain
  time and lateness for all N are extrapolated from its rate and labelled so. The firing
  process's CPU time per delivery is printed too: on a shared machine it moves less with
  other load than any wall-clock rate.
- memory: peak RSS of the firing process (VmHWM, reset once imports are done), and its
  RSS just before firing.
- restart: R reminders due at once; the process is SIGKILLed once R/2 are delivered and a
  new one started on the same store; the push service counts deliveries per reminder.
  Aftercare re-claims the killed batch after its lease (--lease, 60 s in production), so at
  most one claimed batch (dispatch_batch_size) is sent twice, which the Topic header makes
  a real push service replace. APScheduler deletes a date job from its store when it hands
  it to the thread pool, before it runs: whatever waits in that queue at the kill is lost.
Both SQLite stores use app.db.make_engine (WAL, synchronous=NORMAL). With SQLAlchemy's
defaults (an fsync per commit) add_job is far slower; a short sample of that is printed.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import multiprocessing
import os
import pickle
import secrets
import signal
import sqlite3
import tempfile
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import apscheduler
import pywebpush
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobEvent
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from py_vapid import Vapid02
from sqlalchemy import bindparam, create_engine, delete, func, text, update
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine, make_url
from sqlmodel import col, select

from app.clock import SystemClock
from app.config import Settings
from app.db import make_engine, normalise_url, session_factory, transaction
from app.migrate import upgrade_to_head
from app.notifications.models import OutboxKind, OutboxMessage, OutboxStatus
from app.notifications.outbox import sync_reminders
from app.notifications.payload import reminder_payload
from app.notifications.vapid import load_or_create
from app.patients.models import Patient
from app.scheduler import build_dispatcher, start_in_background
from bench.common import (
    current_rss_mb,
    describe,
    machine,
    peak_rss_mb,
    percentile,
    rate,
    reset_peak_rss,
    write_results,
)
from bench.push_throughput import enrol
from tests.support.push_service import Delivery, FakePushService

PUBLIC_URL = "https://care.example.org"
SUBJECT = "mailto:bench@aftercare.example"
JOB_FUNCTION = "bench.scheduler_peer:send_reminder"  # a textual reference: jobs are pickled
FAR_AHEAD = timedelta(days=30)  # where reminders outside the measured burst wait
USEFUL_FOR = timedelta(days=1)  # the burst's expiry: nothing is dropped as too late
OUTBOX_SAMPLE_PATIENTS = 200
POLL_SECONDS = 0.05
SPAWN = multiprocessing.get_context("spawn")  # a fresh interpreter: honest RSS, real kills


# --- (a) the team's APScheduler code ----------------------------------------------------------


@functools.cache
def _vapid(key_file: str) -> Vapid02:
    return Vapid02.from_file(key_file)


def send_reminder(subscription: dict[str, Any], reminder_id: str, key_file: str) -> None:
    """The team's job: the reminder's payload (Aftercare's own format) to the patient's device."""
    payload = reminder_payload(
        occurrence_id=uuid.UUID(reminder_id), kind="task", title="", show_title=False,
        public_url=PUBLIC_URL,
    )  # fmt: skip
    pywebpush.webpush(
        subscription_info=subscription,
        data=payload,
        vapid_private_key=_vapid(key_file),
        vapid_claims={"sub": SUBJECT},  # a fresh dict: webpush() adds to it
        ttl=3600,
        timeout=10,
    )


def team_scheduler(engine: Engine) -> BackgroundScheduler:
    # misfire_grace_time=None: run however late (the default, 1 s, drops most of a burst).
    return BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine)},
        job_defaults={"misfire_grace_time": None},
        timezone=UTC,
    )


def store_engine(url: str) -> Engine:
    return make_engine(url)  # SQLite as Aftercare has it: WAL, synchronous=NORMAL


# --- the push service, counting deliveries per reminder ---------------------------------------


class TallyingPushService(FakePushService):
    """Keeps (reminder id, arrival) per delivery instead of every decrypted message."""

    def __init__(self, *, latency: float) -> None:
        super().__init__(latency=latency)
        self.tally: list[tuple[str, float]] = []

    def _accept(self, delivery: Delivery, status: int = 201) -> Any:
        answer = super()._accept(delivery, status)
        reminder_id = str(json.loads(delivery.payload)["task_id"])
        with self._lock:
            self._deliveries.clear()  # 100,000 decrypted payloads would otherwise pile up
            self.tally.append((reminder_id, delivery.received_wall.timestamp()))
        return answer


def receiver_main(conn: Connection, latency: float) -> None:
    with TallyingPushService(latency=latency) as push:
        while True:
            command, argument = conn.recv()
            if command == "subscribe":
                conn.send([push.subscribe().to_json() for _ in range(argument)])
            elif command == "count":
                conn.send(len(push.tally))
            elif command == "take":
                with push._lock:
                    taken, push.tally = push.tally, []
                    refused, push.rejections = len(push.rejections), []
                conn.send((taken, refused))
            else:
                conn.send(None)
                return


class Receiver:
    """The parent's handle on the push service process."""

    def __init__(self, latency: float) -> None:
        self._conn, child = SPAWN.Pipe()
        self._process = SPAWN.Process(target=receiver_main, args=(child, latency), daemon=True)
        self._process.start()

    def call(self, command: str, argument: Any = None) -> Any:
        self._conn.send((command, argument))
        return self._conn.recv()

    def count(self) -> int:
        return int(self.call("count"))

    def take(self) -> tuple[list[tuple[str, float]], int]:
        taken, refused = self.call("take")
        return taken, refused

    def stop(self) -> None:
        self.call("stop")
        self._process.join(timeout=10)


# --- stores: SQLite files or throwaway PostgreSQL databases -----------------------------------


class SqliteStores:
    name = "sqlite"

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def fresh(self, name: str) -> str:
        return f"sqlite:///{self._folder / name}.db"

    def clone(self, source: str, name: str) -> str:
        target = self.fresh(name)
        with (
            closing(sqlite3.connect(make_url(source).database or "")) as src,
            closing(sqlite3.connect(make_url(target).database or "")) as dst,
        ):
            src.backup(dst)
        return target

    def drop_all(self) -> None:
        pass  # the temporary folder goes


class PostgresStores:
    name = "postgresql"

    def __init__(self, server_url: str) -> None:
        self._url = make_url(normalise_url(server_url))
        self._admin = create_engine(self._url, isolation_level="AUTOCOMMIT")
        self._prefix = f"bench_peer_{secrets.token_hex(3)}"
        self._made: list[str] = []

    def _create(self, name: str, template: str | None) -> str:
        database = f"{self._prefix}_{name}"
        clause = f' TEMPLATE "{template}"' if template else ""
        with self._admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{database}"{clause}'))
        self._made.append(database)
        return self._url.set(database=database).render_as_string(hide_password=False)

    def fresh(self, name: str) -> str:
        return self._create(name, None)

    def clone(self, source: str, name: str) -> str:
        return self._create(name, make_url(source).database)

    def drop_all(self) -> None:
        with self._admin.connect() as connection:
            for database in self._made:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        self._admin.dispose()


# --- child processes --------------------------------------------------------------------------


def _entry(conn: Connection, target: Callable[..., Any], kwargs: dict[str, Any]) -> None:
    try:
        result = target(conn, **kwargs)
    except BaseException:
        conn.send(("error", traceback.format_exc()))
        raise
    conn.send(("done", result))


@dataclass
class ChildRun:
    t0: float | None  # the due instant (epoch seconds) the child armed
    result: dict[str, Any]
    killed_at: int | None  # deliveries counted when it was SIGKILLed


def run_child(
    target: Callable[..., Any],
    *,
    receiver: Receiver | None = None,
    kill_at: int | None = None,
    due_at: Callable[[], float] | None = None,
    **kwargs: Any,
) -> ChildRun:
    """Run target(conn, **kwargs) in a fresh process; SIGKILL it once `kill_at` are delivered.

    A firing child says "loaded" once it is built; `due_at` then makes the burst due (here,
    so its memory is not the child's) and the child is told the instant.
    """
    parent, child = SPAWN.Pipe()
    process = SPAWN.Process(target=_entry, args=(child, target, kwargs))
    process.start()
    t0: float | None = None
    try:
        while True:
            if parent.poll(POLL_SECONDS):
                kind, value = parent.recv()
                if kind == "loaded":
                    assert due_at is not None
                    parent.send(due_at())
                    continue
                if kind == "ready":
                    t0 = value
                    continue
                if kind == "error":
                    raise RuntimeError(f"{target.__name__} failed:\n{value}")
                return ChildRun(t0, value, None)
            if kill_at is not None and t0 is not None and receiver is not None:
                delivered = receiver.count()
                if delivered >= kill_at:
                    os.kill(process.pid or 0, signal.SIGKILL)
                    return ChildRun(t0, {}, delivered)
            if not process.is_alive() and not parent.poll():
                raise RuntimeError(f"{target.__name__} died (exit code {process.exitcode})")
    finally:
        process.join()


def await_due_instant(conn: Connection) -> datetime:
    conn.send(("loaded", None))
    return datetime.fromtimestamp(conn.recv(), UTC)


# --- (a) APScheduler: schedule, make due, fire ------------------------------------------------


def aps_schedule(
    conn: Connection,
    *,
    url: str,
    subscriptions: list[dict[str, Any]],
    reminders: int,
    key_file: str,
    cap_seconds: float,
    default_sqlite_url: str | None,
) -> dict[str, Any]:
    """add_job per reminder on a running scheduler, timed for at most cap_seconds."""
    result: dict[str, Any] = {}
    if default_sqlite_url is not None:
        # What a team gets by passing only a URL: SQLAlchemy's SQLite (fsync per commit).
        engine = create_engine(default_sqlite_url)
        added, seconds = _add_jobs(engine, subscriptions, 10**9, key_file, cap_seconds=3.0)
        result["default_sqlite_add_per_s"] = rate(added, seconds)
        engine.dispose()
    engine = store_engine(url)
    reset_peak_rss()
    result["rss_before_mb"] = current_rss_mb()
    added, seconds = _add_jobs(engine, subscriptions, reminders, key_file, cap_seconds)
    result.update(timed=added, seconds=seconds, per_s=rate(added, seconds))
    if added < reminders:
        _bulk_add_jobs(engine, subscriptions, added, reminders, key_file)
    with engine.connect() as connection:
        result["stored"] = connection.execute(
            text("SELECT count(*) FROM apscheduler_jobs")
        ).scalar()
    result["peak_rss_mb"] = peak_rss_mb()
    engine.dispose()
    return result


def _job_kwargs(subscriptions: list[dict[str, Any]], n: int, key_file: str) -> dict[str, Any]:
    reminder_id = uuid.uuid4().hex
    # Reminder n belongs to patient n mod P: each patient gets N/P of them.
    subscription = subscriptions[n % len(subscriptions)]
    return {"subscription": subscription, "reminder_id": reminder_id, "key_file": key_file}


def _add_jobs(
    engine: Engine,
    subscriptions: list[dict[str, Any]],
    count: int,
    key_file: str,
    cap_seconds: float,
) -> tuple[int, float]:
    scheduler = team_scheduler(engine)
    scheduler.start()
    ahead = datetime.now(UTC) + FAR_AHEAD
    started = time.perf_counter()
    added = 0
    while added < count and time.perf_counter() - started < cap_seconds:
        kwargs = _job_kwargs(subscriptions, added, key_file)
        scheduler.add_job(
            JOB_FUNCTION,
            "date",
            run_date=ahead + timedelta(milliseconds=added),
            id=kwargs["reminder_id"],
            kwargs=kwargs,
        )
        added += 1
    seconds = time.perf_counter() - started
    scheduler.shutdown(wait=False)
    return added, seconds


def _bulk_add_jobs(
    engine: Engine, subscriptions: list[dict[str, Any]], start: int, stop: int, key_file: str
) -> None:
    """The reminders past the timed part: rows exactly as add_job writes them, in bulk."""
    jobs = SQLAlchemyJobStore(engine=engine).jobs_t
    with engine.begin() as connection:
        stored = connection.execute(sa_select(jobs.c.job_state).limit(1)).scalar_one()
    template = pickle.loads(stored)  # noqa: S301  (our own rows)
    ahead = datetime.now(UTC) + FAR_AHEAD
    for chunk in range(start, stop, 10_000):
        rows = []
        for n in range(chunk, min(stop, chunk + 10_000)):
            kwargs = _job_kwargs(subscriptions, n, key_file)
            run_at = ahead + timedelta(milliseconds=n)
            state = template | {
                "id": kwargs["reminder_id"],
                "kwargs": kwargs,
                "trigger": DateTrigger(run_date=run_at, timezone=UTC),
                "next_run_time": run_at,
            }
            rows.append(
                {
                    "id": state["id"],
                    "next_run_time": run_at.timestamp(),
                    "job_state": pickle.dumps(state, pickle.HIGHEST_PROTOCOL),
                }
            )
        with engine.begin() as connection:
            connection.execute(jobs.insert(), rows)


def aps_make_due(url: str, *, due: int | None, grace: float | None) -> float:
    """Rewrite `due` stored jobs (all when None) to run at T0, a moment from now."""
    engine = store_engine(url)
    jobs = SQLAlchemyJobStore(engine=engine).jobs_t
    with engine.begin() as connection:
        rows = connection.execute(
            sa_select(jobs.c.id, jobs.c.job_state).order_by(jobs.c.id).limit(due)
        ).all()
    states = [(job_id, pickle.loads(blob)) for job_id, blob in rows]  # noqa: S301
    # Lead enough to pickle and write them all before T0, even on a busy machine: a child
    # armed after T0 would count the wait as lateness (armed_late_s shows it; the table too).
    t0 = datetime.now(UTC) + timedelta(seconds=2.0 + 80e-6 * len(states))
    trigger = DateTrigger(run_date=t0, timezone=UTC)
    params = []
    for job_id, state in states:
        state.update(trigger=trigger, next_run_time=t0, misfire_grace_time=grace)
        params.append(
            {
                "b_id": job_id,
                "b_state": pickle.dumps(state, pickle.HIGHEST_PROTOCOL),
                "b_next": t0.timestamp(),
            }
        )
    with engine.begin() as connection:
        connection.execute(
            jobs.update()
            .where(jobs.c.id == bindparam("b_id"))
            .values(job_state=bindparam("b_state"), next_run_time=bindparam("b_next")),
            params,
        )
    engine.dispose()
    return t0.timestamp()


def aps_fire(
    conn: Connection,
    *,
    url: str,
    cap_seconds: float,
) -> dict[str, Any]:
    """Fire the jobs due by T0 until all have run (or been missed), or the cap."""
    logging.getLogger("apscheduler").setLevel(logging.ERROR)  # one warning per missed job
    engine = store_engine(url)
    finished: list[int] = []
    errors: list[str] = []

    def on_event(event: JobEvent) -> None:
        finished.append(event.code)
        if event.code == EVENT_JOB_ERROR and len(errors) < 3:
            errors.append(repr(getattr(event, "exception", None)))

    scheduler = team_scheduler(engine)
    scheduler.add_listener(on_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    reset_peak_rss()  # imports peak above where they settle (argon2's 64 MiB hash)
    rss_before = current_rss_mb()
    cpu_before = time.process_time()
    t0 = await_due_instant(conn)
    jobs = SQLAlchemyJobStore(engine=engine).jobs_t
    with engine.begin() as connection:
        expected = connection.execute(
            sa_select(func.count()).where(jobs.c.next_run_time <= t0.timestamp())
        ).scalar_one()
    scheduler.start()
    armed_late = time.time() - t0.timestamp()
    conn.send(("ready", t0.timestamp()))
    deadline = t0.timestamp() + cap_seconds
    while len(finished) < expected and time.time() < deadline:
        time.sleep(POLL_SECONDS)
    stopped = time.time()
    codes = Counter(finished)
    result = {
        "expected": expected,
        "executed": codes[EVENT_JOB_EXECUTED],
        "missed": codes[EVENT_JOB_MISSED],
        "errors": codes[EVENT_JOB_ERROR],
        "error_samples": errors,
        "capped": len(finished) < expected,
        "stopped_at": stopped,
        "armed_late_s": armed_late,
        "rss_before_mb": rss_before,
        "peak_rss_mb": peak_rss_mb(),
        "cpu_seconds": time.process_time() - cpu_before,
    }
    conn.send(("done", result))
    os._exit(0)  # a capped run leaves queued jobs in the pool: do not wait for them


# --- (b) Aftercare: enrol, make due, dispatch -------------------------------------------------


def aftercare_schedule(
    conn: Connection,
    *,
    settings_kw: dict[str, Any],
    subscriptions: list[dict[str, Any]],
    key_id: str,
    reminders: int,
) -> dict[str, Any]:
    """Enrol a patient per subscription, time the outbox writes alone, keep N reminders."""
    settings = Settings(**settings_kw)
    reset_peak_rss()
    engine = make_engine(settings.database_url)
    upgrade_to_head(engine)
    engine.dispose()
    started = time.perf_counter()
    rows = enrol(settings, subscriptions, key_id)
    enrol_seconds = time.perf_counter() - started
    engine = make_engine(settings.database_url)
    factory = session_factory(engine)
    reminder_rows = col(OutboxMessage.kind) == OutboxKind.REMINDER
    with factory() as session:
        sample = session.exec(select(Patient.id).limit(OUTBOX_SAMPLE_PATIENTS)).all()
    timed = 0.0
    for patient_id in sample:
        with transaction(factory) as session:
            session.execute(
                delete(OutboxMessage).where(
                    reminder_rows, col(OutboxMessage.patient_id) == patient_id
                )
            )
        started = time.perf_counter()
        with transaction(factory) as session:
            sync_reminders(session, patient_id=patient_id, now=datetime.now(UTC))
        timed += time.perf_counter() - started
    with factory() as session:
        written = session.exec(
            select(func.count())
            .select_from(OutboxMessage)
            .where(reminder_rows, col(OutboxMessage.patient_id).in_(sample))
        ).one()
        pending = session.exec(
            select(func.count())
            .select_from(OutboxMessage)
            .where(col(OutboxMessage.status) == OutboxStatus.PENDING)
        ).one()
    if pending < reminders:
        raise SystemExit(
            f"enrolment planned {pending} reminders for {len(subscriptions)} patients, fewer "
            f"than the {reminders} asked for: give more --patients"
        )
    if pending > reminders:  # keep exactly N: the rest never take part
        with transaction(factory) as session:
            keep = (
                select(OutboxMessage.id)
                .where(col(OutboxMessage.status) == OutboxStatus.PENDING)
                .order_by(col(OutboxMessage.id))
                .limit(reminders)
            )
            session.execute(
                update(OutboxMessage)
                .where(
                    col(OutboxMessage.status) == OutboxStatus.PENDING,
                    col(OutboxMessage.id).not_in(keep.scalar_subquery()),
                )
                .values(status=OutboxStatus.CANCELLED, last_error="not part of the benchmark")
            )
    engine.dispose()
    return {
        "patients": len(subscriptions),
        "enrolled_rows": rows,
        "enrol_seconds": enrol_seconds,
        "sample_patients": len(sample),
        "sample_rows": written,
        "sample_seconds": timed,
        "per_s": rate(written, timed),
        "peak_rss_mb": peak_rss_mb(),
    }


def aftercare_make_due(url: str, *, due: int | None) -> float:
    """`due` pending reminders (all when None) due at T0, a moment from now; the rest far off."""
    engine = make_engine(url)
    factory = session_factory(engine)
    pending = col(OutboxMessage.status) == OutboxStatus.PENDING
    with factory() as session:
        count = session.exec(select(func.count()).select_from(OutboxMessage).where(pending)).one()
    t0 = datetime.now(UTC) + timedelta(seconds=2.0 + 40e-6 * count)  # see aps_make_due
    with transaction(factory) as session:
        chosen = pending
        if due is not None:
            later = t0 + FAR_AHEAD
            session.execute(
                update(OutboxMessage)
                .where(pending)
                .values(due_at=later, next_attempt_at=later, expires_at=later + USEFUL_FOR)
            )
            first = select(OutboxMessage.id).where(pending).order_by(col(OutboxMessage.id))
            chosen = col(OutboxMessage.id).in_(first.limit(due).scalar_subquery())
        session.execute(
            update(OutboxMessage)
            .where(chosen)
            .values(due_at=t0, next_attempt_at=t0, expires_at=t0 + USEFUL_FOR)
        )
    engine.dispose()
    return t0.timestamp()


def aftercare_fire(
    conn: Connection,
    *,
    settings_kw: dict[str, Any],
    cap_seconds: float,
) -> dict[str, Any]:
    """Dispatch on the production wiring until every due row is settled (or capped)."""
    # "skipped: maximum number of running instances": a tick while a run drains, by design.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    settings = Settings(**settings_kw)
    engine = make_engine(settings.database_url)
    factory = session_factory(engine)
    keys = load_or_create(settings.vapid_private_key_file, create=False)
    dispatcher = build_dispatcher(settings, session_factory=factory, clock=SystemClock(), keys=keys)
    # Watched over a plain engine: the app's takes SQLite's write lock on every BEGIN.
    watcher = create_engine(normalise_url(settings.database_url))
    reset_peak_rss()  # imports peak above where they settle (argon2's 64 MiB hash)
    rss_before = current_rss_mb()
    cpu_before = time.process_time()
    t0 = await_due_instant(conn)
    in_burst = col(OutboxMessage.due_at) <= t0
    outstanding = (
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            in_burst, col(OutboxMessage.status).in_([OutboxStatus.PENDING, OutboxStatus.SENDING])
        )
    )
    with watcher.connect() as connection:
        expected = connection.execute(
            select(func.count()).select_from(OutboxMessage).where(in_burst)
        ).scalar_one()
    scheduler = start_in_background(dispatcher, settings)
    armed_late = time.time() - t0.timestamp()
    conn.send(("ready", t0.timestamp()))
    deadline = t0.timestamp() + cap_seconds
    left = -1
    while time.time() < deadline:
        time.sleep(10 * POLL_SECONDS)  # a count over the burst: not too often
        with watcher.connect() as connection:
            left = connection.execute(outstanding).scalar_one()
        if left == 0:
            break
    stopped = time.time()
    scheduler.shutdown(wait=True)
    cpu_seconds = time.process_time() - cpu_before
    dispatcher.close()
    with watcher.connect() as connection:
        statuses = dict(
            connection.execute(
                sa_select(col(OutboxMessage.status), func.count())
                .where(in_burst)
                .group_by(col(OutboxMessage.status))
            ).all()
        )
    watcher.dispose()
    engine.dispose()
    return {
        "expected": expected,
        "statuses": statuses,
        "capped": left != 0,
        "stopped_at": stopped,
        "armed_late_s": armed_late,
        "rss_before_mb": rss_before,
        "peak_rss_mb": peak_rss_mb(),
        "cpu_seconds": cpu_seconds,
    }


# --- measuring --------------------------------------------------------------------------------


def firing_stats(
    deliveries: list[tuple[str, float]], *, t0: float, total: int, stopped_at: float, capped: bool
) -> dict[str, Any]:
    """Throughput and lateness of one burst, from what the push service received."""
    # A capped run counts what arrived within its window, not what came while it stopped.
    counted = [(r, at) for r, at in deliveries if not capped or at <= stopped_at]
    first: dict[str, float] = {}
    for reminder_id, at in counted:
        first[reminder_id] = min(at, first.get(reminder_id, at))
    lateness = sorted(at - t0 for at in first.values())
    end = stopped_at if capped else (t0 + lateness[-1] if lateness else stopped_at)
    throughput = rate(len(first), end - t0)
    stats: dict[str, Any] = {
        "due": total,
        "delivered": len(first),
        "duplicates": len(counted) - len(first),
        "capped": capped,
        "seconds": end - t0,
        "per_s": throughput,
        "first_delivery_s": lateness[0] if lateness else float("nan"),
        "lateness_p50_s": percentile(lateness, 50),
        "lateness_p99_s": percentile(lateness, 99),
        "lateness_max_s": lateness[-1] if lateness else float("nan"),
        "extrapolated": False,
    }
    if capped and len(first) < total:
        # Nothing more arrived within the cap: assume the rate holds, in due order.
        stats.update(
            extrapolated=True,
            seconds=total / throughput,
            lateness_p50_s=0.50 * total / throughput,
            lateness_p99_s=0.99 * total / throughput,
            lateness_max_s=total / throughput,
        )
    return stats


def restart_stats(deliveries: list[tuple[str, float]], due: int, killed_at: int) -> dict[str, int]:
    per_reminder = Counter(reminder_id for reminder_id, _ in deliveries)
    return {
        "due": due,
        "killed_after": killed_at,
        "delivered_0": due - len(per_reminder),
        "delivered_1": sum(1 for n in per_reminder.values() if n == 1),
        "delivered_2_plus": sum(1 for n in per_reminder.values() if n >= 2),
    }


@dataclass
class Plan:
    reminders: int
    patients: int
    restart: int
    schedule_cap: float
    fire_cap: float
    aftercare_cap: float
    lease: int


def compare(stores: Any, receiver: Receiver, folder: Path, plan: Plan) -> dict[str, Any]:
    """Everything, on one kind of store; each step in its own process."""
    key_file = folder / "vapid.pem"
    keys = load_or_create(key_file, create=True)
    subscriptions = receiver.call("subscribe", plan.patients)
    settings_kw: dict[str, Any] = {
        "vapid_private_key_file": key_file,
        "vapid_subject": SUBJECT,
        "public_url": PUBLIC_URL,
        "dispatcher_enabled": False,
        "dispatch_lease_seconds": plan.lease,
        "_env_file": None,
    }
    aftercare_db, aps_db = stores.fresh("aftercare"), stores.fresh("aps")
    say(f"[{stores.name}] Aftercare: enrolling {plan.patients} patients ...")
    schedule_b = run_child(
        aftercare_schedule,
        settings_kw=settings_kw | {"database_url": aftercare_db},
        subscriptions=subscriptions,
        key_id=keys.key_id,
        reminders=plan.reminders,
    ).result
    say(f"[{stores.name}] APScheduler: add_job x {plan.reminders} ...")
    default_url = f"sqlite:///{folder / 'aps-defaults.db'}" if stores.name == "sqlite" else None
    schedule_a = run_child(
        aps_schedule,
        url=aps_db,
        subscriptions=subscriptions,
        reminders=plan.reminders,
        key_file=str(key_file),
        cap_seconds=plan.schedule_cap,
        default_sqlite_url=default_url,
    ).result

    def aftercare(name: str, due: int | None) -> Callable[..., ChildRun]:
        """A starter of dispatcher processes on a fresh copy of the enrolled database."""
        url = stores.clone(aftercare_db, name)
        kw = settings_kw | {"database_url": url}
        make_due = functools.partial(aftercare_make_due, url, due=due)
        return functools.partial(run_child, aftercare_fire, settings_kw=kw, due_at=make_due)

    def aps(name: str, due: int | None, grace: float | None = None) -> Callable[..., ChildRun]:
        """A starter of scheduler processes on a fresh copy of the scheduled job store."""
        url = stores.clone(aps_db, name)
        make_due = functools.partial(aps_make_due, url, due=due, grace=grace)
        return functools.partial(run_child, aps_fire, url=url, due_at=make_due)

    say(f"[{stores.name}] Aftercare: firing {plan.reminders} ...")
    receiver.take()
    fire_b = fire_summary(
        receiver, aftercare("aftercare_fire", None)(cap_seconds=plan.aftercare_cap)
    )
    say(f"[{stores.name}] APScheduler: firing {plan.reminders} (cap {plan.fire_cap:.0f} s) ...")
    fire_a = fire_summary(receiver, aps("aps_fire", None)(cap_seconds=plan.fire_cap))

    say(f"[{stores.name}] restarts: {plan.restart} due, SIGKILL at half ...")
    restart_b = restart(
        receiver, plan.restart, aftercare("aftercare_restart", plan.restart), plan.lease + 120.0
    )
    restart_a = restart(receiver, plan.restart, aps("aps_restart", plan.restart), 120.0)
    say(f"[{stores.name}] APScheduler with its default misfire_grace_time (1 s) ...")
    run = aps("aps_defaults", plan.restart, grace=1)(cap_seconds=120.0)
    deliveries, refused = receiver.take()
    defaults_a = {
        "due": plan.restart,
        "delivered": len({reminder_id for reminder_id, _ in deliveries}),
        "missed": run.result["missed"],
        "refused": refused,
    }
    return {
        "store": stores.name,
        "apscheduler": {
            "schedule": schedule_a | {"extrapolated_seconds": plan.reminders / schedule_a["per_s"]},
            "fire": fire_a,
            "restart": restart_a,
            "default_grace": defaults_a,
        },
        "aftercare": {
            "schedule": schedule_b | {"extrapolated_seconds": plan.reminders / schedule_b["per_s"]},
            "fire": fire_b,
            "restart": restart_b,
        },
    }


def fire_summary(receiver: Receiver, run: ChildRun) -> dict[str, Any]:
    deliveries, refused = receiver.take()
    assert run.t0 is not None
    stats = firing_stats(
        deliveries,
        t0=run.t0,
        total=run.result["expected"],
        stopped_at=run.result["stopped_at"],
        capped=run.result["capped"],
    )
    # Less sensitive to a shared machine's load than wall-clock rates: the firing process's
    # own CPU time (all its threads) per delivery.
    cpu_ms = 1000 * run.result["cpu_seconds"] / max(1, stats["delivered"])
    return stats | {"cpu_ms_per_sent": cpu_ms, "refused": refused, "process": run.result}


def restart(
    receiver: Receiver, due: int, start: Callable[..., ChildRun], resume_cap: float
) -> dict[str, Any]:
    """`due` reminders due at once; SIGKILL at half delivered; a new process on the same store."""
    receiver.take()
    first = start(receiver=receiver, kill_at=due // 2, cap_seconds=600.0)
    if first.killed_at is None:
        raise RuntimeError("the burst ended before half was delivered: use more reminders")
    time.sleep(1.0)  # let the push service finish what the killed process had in flight
    t0 = first.t0
    assert t0 is not None
    second = start(cap_seconds=resume_cap, due_at=lambda: t0)  # the store as the kill left it
    deliveries, refused = receiver.take()
    stats: dict[str, Any] = restart_stats(deliveries, due, first.killed_at)
    return stats | {"refused": refused, "resumed": second.result}


# --- reporting --------------------------------------------------------------------------------


def ratio(aftercare: float, aps: float) -> float:
    return aftercare / aps if aps else float("nan")


def ratios(result: dict[str, Any]) -> dict[str, float]:
    a, b = result["apscheduler"], result["aftercare"]
    return {
        "schedule_seconds": ratio(
            b["schedule"]["extrapolated_seconds"], a["schedule"]["extrapolated_seconds"]
        ),
        "fire_per_s": ratio(b["fire"]["per_s"], a["fire"]["per_s"]),
        "lateness_p50": ratio(b["fire"]["lateness_p50_s"], a["fire"]["lateness_p50_s"]),
        "lateness_p99": ratio(b["fire"]["lateness_p99_s"], a["fire"]["lateness_p99_s"]),
        "cpu_per_sent": ratio(b["fire"]["cpu_ms_per_sent"], a["fire"]["cpu_ms_per_sent"]),
        "peak_rss": ratio(b["fire"]["process"]["peak_rss_mb"], a["fire"]["process"]["peak_rss_mb"]),
    }


def report(result: dict[str, Any], plan: Plan) -> None:
    a, b, r = result["apscheduler"], result["aftercare"], result["ratios"]
    est = " (extrap.)"

    def row(label: str, left: str, right: str, factor: float | None) -> None:
        shown = "" if factor is None else f"{factor:10.2f}"
        print(f"  {label:<34}{left:>24}{right:>24}{shown:>12}")

    print(
        f"\n{plan.reminders:,} reminders for {plan.patients:,} patients, "
        f"store: {result['store']}, push service on loopback"
    )
    row("", f"APScheduler {apscheduler.__version__}", "Aftercare", None)
    print(f"  {'':<34}{'':>24}{'':>24}{'Aft/APS':>12}")
    sa, sb = a["schedule"], b["schedule"]
    row(
        "schedule all N (s)",
        f"{sa['extrapolated_seconds']:.1f}" + (est if sa["timed"] < plan.reminders else ""),
        f"{sb['extrapolated_seconds']:.1f}" + (est if sb["sample_rows"] < plan.reminders else ""),
        r["schedule_seconds"],
    )
    row("  reminders scheduled per second", f"{sa['per_s']:,.0f}", f"{sb['per_s']:,.0f}", None)
    row("  whole enrolment (context) (s)", "-", f"{sb['enrol_seconds']:.1f}", None)
    fa, fb = a["fire"], b["fire"]
    mark_a = est if fa["extrapolated"] else ""
    mark_b = est if fb["extrapolated"] else ""
    row("firing throughput (/s)", f"{fa['per_s']:,.0f}", f"{fb['per_s']:,.0f}", r["fire_per_s"])
    row(
        "  delivered in the run",
        f"{fa['delivered']:,} in {plan.fire_cap:.0f} s" if fa["capped"] else f"{fa['delivered']:,}",
        f"{fb['delivered']:,} in {plan.aftercare_cap:.0f} s"
        if fb["capped"]
        else f"{fb['delivered']:,}",
        None,
    )
    row(
        "  drain time for all N (s)",
        f"{fa['seconds']:.1f}{mark_a}",
        f"{fb['seconds']:.1f}{mark_b}",
        None,
    )
    row(
        "  first delivery after T0 (s)",
        f"{fa['first_delivery_s']:.1f}",
        f"{fb['first_delivery_s']:.1f}",
        None,
    )
    row(
        "lateness p50 (s)",
        f"{fa['lateness_p50_s']:.1f}{mark_a}",
        f"{fb['lateness_p50_s']:.1f}{mark_b}",
        r["lateness_p50"],
    )
    row(
        "lateness p99 (s)",
        f"{fa['lateness_p99_s']:.1f}{mark_a}",
        f"{fb['lateness_p99_s']:.1f}{mark_b}",
        r["lateness_p99"],
    )
    row(
        "CPU ms per delivery (firing proc.)",
        f"{fa['cpu_ms_per_sent']:.2f}",
        f"{fb['cpu_ms_per_sent']:.2f}",
        r["cpu_per_sent"],
    )
    pa, pb = fa["process"], fb["process"]
    row(
        "peak RSS firing (MB)",
        f"{pa['peak_rss_mb']:.0f}",
        f"{pb['peak_rss_mb']:.0f}",
        r["peak_rss"],
    )
    row(
        "  RSS before firing (MB)", f"{pa['rss_before_mb']:.0f}", f"{pb['rss_before_mb']:.0f}", None
    )
    ra, rb = a["restart"], b["restart"]
    print(f"  restart: {plan.restart:,} due, SIGKILL after half delivered, new process, same store")
    for key, label in (
        ("killed_after", "  killed after (delivered)"),
        ("delivered_0", "  reminders delivered 0 times"),
        ("delivered_1", "  reminders delivered once"),
        ("delivered_2_plus", "  reminders delivered 2+ times"),
    ):
        row(label, f"{ra[key]:,}", f"{rb[key]:,}", None)
    d = a["default_grace"]
    print(
        f"  APScheduler with its default misfire_grace_time (1 s), {d['due']:,} due at once: "
        f"{d['delivered']:,} delivered, {d['missed']:,} skipped as missed"
    )
    if "default_sqlite_add_per_s" in sa:
        print(
            f"  add_job on SQLAlchemy's default SQLite settings (fsync per commit): "
            f"{sa['default_sqlite_add_per_s']:,.0f}/s"
        )
    for side, run in (("APScheduler", fa), ("Aftercare", fb)):
        late = run["process"]["armed_late_s"]
        if late > 0:
            print(f"  note: {side} started {late:.1f} s after T0 (a busy machine): in its lateness")
    refused = fa["refused"] + fb["refused"] + ra["refused"] + rb["refused"]
    print(f"  push service refused {refused} requests over all runs")


def say(message: str) -> None:
    print(message, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reminders", type=int, default=100_000)
    parser.add_argument("--patients", type=int, default=2_000)
    parser.add_argument(
        "--restart", type=int, default=5_000, help="reminders due in the restart runs"
    )
    parser.add_argument(
        "--schedule-cap", type=float, default=30.0, help="seconds of add_job timing at most"
    )
    parser.add_argument(
        "--fire-cap", type=float, default=40.0, help="seconds APScheduler may fire at most"
    )
    parser.add_argument(
        "--aftercare-cap", type=float, default=150.0, help="seconds Aftercare may fire at most"
    )
    parser.add_argument("--lease", type=int, default=10, help="Aftercare's dispatch lease (s)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="push service answer time")
    parser.add_argument("--postgres", default=None, help="also on this PostgreSQL server URL")
    parser.add_argument("--output", type=Path, default=None, help="default: bench/results/")
    args = parser.parse_args()
    if args.patients < 1 or args.reminders < 2:
        parser.error("need at least one patient and two reminders")
    plan = Plan(
        reminders=args.reminders,
        patients=args.patients,
        restart=min(args.restart, args.reminders),
        schedule_cap=args.schedule_cap,
        fire_cap=args.fire_cap,
        aftercare_cap=args.aftercare_cap,
        lease=args.lease,
    )
    info = machine()
    say(f"machine: {describe(info)}")
    started = time.perf_counter()
    receiver = Receiver(args.latency_ms / 1000)
    results = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            kinds: list[Any] = [SqliteStores(Path(tmp))]
            if args.postgres:
                kinds.append(PostgresStores(args.postgres))
            for stores in kinds:
                try:
                    result = compare(stores, receiver, Path(tmp), plan)
                finally:
                    stores.drop_all()
                result["ratios"] = ratios(result)
                results.append(result)
                report(result, plan)
    finally:
        receiver.stop()
    elapsed = time.perf_counter() - started
    data = {
        "benchmark": "scheduler_peer",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": info,
        "apscheduler": apscheduler.__version__,
        "pywebpush_timeout_s": 10,
        "plan": plan.__dict__ | {"latency_ms": args.latency_ms},
        "wall_seconds": elapsed,
        "load_average_end": [round(x, 1) for x in os.getloadavg()],
        "results": results,
    }
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(data, indent=2, default=str) + "\n")
        path = args.output
    else:
        path = write_results("scheduler_peer", data)
    load = " ".join(str(x) for x in data["load_average_end"])
    say(f"\nwall time {elapsed:.0f} s, load average now {load}; results in {path}")


if __name__ == "__main__":
    main()
