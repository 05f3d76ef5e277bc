"""Load test: simulated patients and staff against the real server, beside GET /api/health.

Run: .venv/bin/python -m bench.load [--patients 500] [--staff 10] [--seconds 60] [--think 3]
     [--database-url URL] [--workers 1] [--results NAME] [--skip-if-unreachable] [--trace]
     (`make load` runs it on SQLite, then on PostgreSQL)
The app runs as `aftercare serve` does (uvicorn, one process, dispatcher on with nothing to
send; with --workers N, `serve --workers N`: N processes, PostgreSQL only, each with its
dispatcher) in a subprocess on a free loopback port, against a fresh database migrated first: a
temporary SQLite file by default; a sqlite URL is used as given and must not exist yet; a
PostgreSQL URL names a server, on which a throwaway database is created and dropped after.
Patients are enrolled through the services and pair their phone through POST /api/enrol; staff
sign in through POST /api/auth/login. Then for --seconds an asyncio + httpx driver plays them:
each patient opens the app (GET /api/me; now and then the PWA's 120-day task window), reads
today's tasks, ticks one that is due, undoes it, now and then reports routine pain; each staff
member pages the patient list in its sort orders, opens a patient, reads the open alerts and
now and then adherence. Everyone waits for each answer, then thinks 0.5-1.5 x --think seconds.
The default 3 s offers ~180 requests/s, which one server process carries on one free core at
the ~4 ms of CPU a request costs; --think 1 saturates it, and latency becomes queueing.

Errors: a person's requests are sequential, so no tick ever races its own undo and no 4xx is
expected at all. Any non-2xx answer, a transport failure or timeout, a tick that does not
answer "done", an undo that still does, a report not triaged "routine", and any ERROR or
traceback in the server's log count; the exit status is 1 unless there are none.
GET /api/health (no database) is probed all through the run and the p50 ratios are against
it: a plain `def` like the others, it waits for a worker thread as they do, so the ratio is
what the database work adds. The driver shares the machine with the server: the server's CPU
seconds per request are printed too, the figure a busy machine moves least.
The targets: every patient endpoint's p99 within 3x of GET /api/health's p99 in the same run,
every staff endpoint's within 5x (printed beside the measured ratios; not a failure, since a
busy machine moves them). --trace adds where the slowest 1 % of each endpoint's requests spent
their time on the server (bench/trace/sitecustomize.py, bench/load_trace.py).
Results: bench/results/load-<sqlite|postgresql>.json (-<N>-workers appended for N > 1).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from typing import Any, get_args
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.api.cookies import PATIENT_COOKIE, STAFF_COOKIE
from app.config import Settings
from app.db import make_engine, normalise_url
from app.migrate import upgrade_to_head
from app.patient_list.listing import SortOrder
from app.tasks.service import EARLY_COMPLETION
from bench.common import describe, machine, percentile, rate, reachable, write_results
from bench.load_seed import Seeded, seed
from bench.load_trace import TRACE_PATH, print_trace, summarise

ROOT = Path(__file__).resolve().parent.parent
HEALTH = "GET /api/health"
ME = "GET /api/me"
WINDOW = "GET /api/me/tasks?from&to (120 days)"
TODAY = "GET /api/me/tasks?date (today)"
TICK = "POST /api/me/tasks/{id}/complete"
UNDO = "DELETE /api/me/tasks/{id}/complete"
REPORT = "POST /api/me/reports"
LIST = "GET /api/patients?sort&offset"
PATIENT = "GET /api/patients/{id}"
ALERTS = "GET /api/alerts?status=open"
ADHERENCE = "GET /api/adherence"
ENDPOINTS = (HEALTH, ME, WINDOW, TODAY, TICK, UNDO, REPORT, LIST, PATIENT, ALERTS, ADHERENCE)
PATIENT_ENDPOINTS = (ME, WINDOW, TODAY, TICK, UNDO, REPORT)
# Issue 19's targets: a p99 at most this many times GET /api/health's p99 in the same run.
P99_TARGET = {label: 3.0 for label in PATIENT_ENDPOINTS} | {
    label: 5.0 for label in (LIST, PATIENT, ALERTS, ADHERENCE)
}

WINDOW_SHARE = 0.25  # the PWA fetches its whole window when opened, and revisits mostly today
REPORT_SHARE = 0.1
ADHERENCE_SHARE = 0.3
PAGE = 50
FIRST_PAGES = 3
SORTS: tuple[str, ...] = get_args(SortOrder)
HEALTH_INTERVAL = 0.1  # seconds between baseline probes
SETUP_CONCURRENCY = 8
LOGIN_TRIES = 20  # a sign-in answered 503 busy is repeated after its Retry-After
KEEP_ALIVE = 2.0  # seconds: see person_client
TIMEOUT = httpx.Timeout(60.0)  # far above any healthy answer: a slow one shows in p99 instead
LOG_PROBLEMS = ("ERROR", "CRITICAL", "Traceback", "database is locked", "QueuePool limit")
TICK_MARGIN = timedelta(minutes=5)  # the run takes time: stay clear of the early-tick limit


@dataclass
class Options:
    patients: int = 500
    staff: int = 10
    seconds: float = 60.0
    think: float = 3.0
    database_url: str | None = None
    results: str | None = "load-{backend}"  # None: write no file
    workers: int = 1  # `aftercare serve --workers`
    idle_probes: int = 200
    trace: bool = False  # time each request's phases in the server (bench/load_trace.py)


@dataclass
class Tally:
    spent: list[float] = field(default_factory=list)  # seconds, every request, good or bad
    errors: int = 0


@dataclass
class Recorder:
    tallies: dict[str, Tally] = field(default_factory=lambda: {e: Tally() for e in ENDPOINTS})
    samples: list[str] = field(default_factory=list)  # the first few errors, to say what broke
    # Requests sent once the run's time is up (the undo that always follows a tick) are checked
    # like the others but kept out of the latency figures: when the run's pauses were cut at
    # its end, every phone's undo and every console's next page arrived in the same instant,
    # and that burst was the p99 of exactly those endpoints (issue 19's "write tails").
    closes_at: float = math.inf  # time.monotonic() of the deadline
    wind_down: dict[str, Tally] = field(default_factory=lambda: {e: Tally() for e in ENDPOINTS})

    def add(
        self, label: str, spent: float, problem: str | None, *, sent_at: float = -math.inf
    ) -> None:
        tally = (self.wind_down if sent_at >= self.closes_at else self.tallies)[label]
        tally.spent.append(spent)
        if problem is not None:
            tally.errors += 1
            if len(self.samples) < 20:
                self.samples.append(f"{label}: {problem}")


@dataclass
class Report:
    backend: str
    options: Options
    endpoints: dict[str, dict[str, float]]
    requests: int
    errors: int
    seconds: float
    health_idle: dict[str, float]
    error_samples: list[str]
    server_problems: list[str]
    setup_seconds: dict[str, float]
    server_cpu: float
    driver_cpu: float
    trace: dict[str, Any] | None = None
    # Sent after the deadline (the undo after a last tick): checked, errors counted, not timed.
    wind_down: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def requests_per_second(self) -> float:
        return rate(self.requests, self.seconds)

    @property
    def server_cpu_per_request(self) -> float:
        """Seconds of server CPU per request: unlike latency, barely moved by a busy machine."""
        return self.server_cpu / self.requests if self.requests else float("nan")

    def targets(self) -> dict[str, dict[str, float | bool]]:
        """Each endpoint's p99 against GET /api/health's p99, beside its target."""
        health = self.endpoints[HEALTH]["p99_ms"]
        rows: dict[str, dict[str, float | bool]] = {}
        for label, target in P99_TARGET.items():
            ratio = self.endpoints[label]["p99_ms"] / health if health else float("nan")
            rows[label] = {"p99_ratio": round(ratio, 2), "target": target, "met": ratio <= target}
        return rows

    @property
    def failures(self) -> list[str]:
        """Why the run fails: errors, server log problems, an endpoint never exercised."""
        found = [f"{self.errors} errors"] if self.errors else []
        found += [f"server log: {line}" for line in self.server_problems]
        found += [f"never requested: {e}" for e, row in self.endpoints.items() if not row["count"]]
        return found

    def as_json(self) -> dict[str, Any]:
        return {
            "benchmark": "load",
            "backend": self.backend,
            "machine": machine(),
            "patients": self.options.patients,
            "staff": self.options.staff,
            "seconds": self.options.seconds,
            "think_seconds": self.options.think,
            "workers": self.options.workers,
            "measured_seconds": round(self.seconds, 2),
            "requests": self.requests,
            "errors": self.errors,
            "requests_per_second": round(self.requests_per_second, 1),
            "endpoints": self.endpoints,
            "health_idle": self.health_idle,
            "error_samples": self.error_samples,
            "server_problems": self.server_problems,
            "setup_seconds": self.setup_seconds,
            "server_cpu_seconds": round(self.server_cpu, 2),
            "server_cpu_ms_per_request": round(self.server_cpu_per_request * 1000, 2),
            "driver_cpu_seconds": round(self.driver_cpu, 2),
            "p99_targets": self.targets(),
            "trace": self.trace,
            "wind_down": self.wind_down,
            "passed": not self.failures,
        }


def _summary(spent: list[float], baseline: float | None = None) -> dict[str, float]:
    ordered = sorted(spent)
    p50, p99 = percentile(ordered, 50) * 1000, percentile(ordered, 99) * 1000
    row = {"count": len(ordered), "p50_ms": round(p50, 2), "p99_ms": round(p99, 2)}
    if baseline:
        row["p50_ratio"] = round(p50 / baseline, 1)
    return row


def person_client(base_url: str, tls: ssl.SSLContext) -> httpx.AsyncClient:
    """One person's phone or browser: one connection, no cookie jar (the person's own cookie
    is sent with each request). One client per person, not one shared: httpx scans its whole
    pool on every request, so a pool of hundreds costs more CPU than the server spends.

    An idle connection is dropped well before uvicorn's 5 s keep-alive timeout: at the same 5 s
    a request sent on a connection the server is closing fails with ReadError, which is the
    client's race (browsers retry it), not the server's error. `tls` is shared because making
    one per client costs ~35 ms (loopback is plain HTTP; httpx builds one regardless).
    """
    client = httpx.AsyncClient(
        base_url=base_url,
        timeout=TIMEOUT,
        verify=tls,
        limits=httpx.Limits(max_connections=1, keepalive_expiry=KEEP_ALIVE),
    )
    client.cookies.jar.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    return client


async def call(
    client: httpx.AsyncClient,
    recorder: Recorder,
    label: str,
    method: str,
    url: str,
    *,
    cookie: str = "",
    check: Callable[[Any], str | None] | None = None,
    **kwargs: Any,
) -> Any:
    """Send, time, record; the JSON body, or None when it failed (already counted)."""
    headers = {"cookie": cookie} if cookie else {}
    sent_at, started = time.monotonic(), time.perf_counter()
    try:
        response = await client.request(method, url, headers=headers, **kwargs)
    except httpx.HTTPError as exc:
        problem = f"{type(exc).__name__}: {exc}"
        recorder.add(label, time.perf_counter() - started, problem, sent_at=sent_at)
        return None
    spent = time.perf_counter() - started
    if not response.is_success:
        problem = f"{response.status_code} {response.text[:200]}"
        recorder.add(label, spent, problem, sent_at=sent_at)
        return None
    body = response.json()
    wrong = check(body) if check else None
    recorder.add(label, spent, wrong, sent_at=sent_at)
    return None if wrong else body


def _tickable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    latest = datetime.now(UTC) + EARLY_COMPLETION - TICK_MARGIN
    return [
        row
        for row in rows
        if row["kind"] == "task" and datetime.fromisoformat(row["due_at"]) <= latest
    ]


def _has_tickable(rows: list[dict[str, Any]]) -> str | None:
    return None if _tickable(rows) else "no task due today to tick (seeding is wrong)"


def _status_is(expected: str) -> Callable[[Any], str | None]:
    return lambda body: None if body["status"] == expected else f"answered {body['status']}"


def _not_done(body: Any) -> str | None:
    return "still done after the undo" if body["status"] == "done" else None


def _routine(body: Any) -> str | None:
    return None if body["level"] == "routine" else f"triaged {body['level']}"


def _non_empty(body: Any) -> str | None:
    return None if body["items"] else "an empty page"


def thinking(rng: random.Random, think: float) -> float:
    """Seconds to pause: 0.5-1.5 x think. Never cut at the deadline: cut pauses all end in the
    same instant, and the requests after them arrive together (see Recorder.wind_down)."""
    return think * rng.uniform(0.5, 1.5)


async def pause_then_go_on(rng: random.Random, think: float, deadline: float) -> bool:
    """Think, then True while the run's time is not up."""
    await asyncio.sleep(thinking(rng, think))
    return time.monotonic() < deadline


async def patient(
    client: httpx.AsyncClient,
    recorder: Recorder,
    cookie: str,
    rng: random.Random,
    *,
    deadline: float,
    think: float,
) -> None:
    """One phone: open, today's tasks, tick one, undo it, sometimes report; again until done."""

    pause = partial(pause_then_go_on, rng, think, deadline)
    await asyncio.sleep(rng.uniform(0, 2 * think))  # phones do not all open at the same instant
    while time.monotonic() < deadline:
        me = await call(client, recorder, ME, "GET", "/api/me", cookie=cookie)
        if me is None:
            await pause()
            continue
        today = datetime.now(UTC).astimezone(ZoneInfo(me["time_zone"])).date()
        if rng.random() < WINDOW_SHARE:
            window = {"from": str(today - timedelta(days=59)), "to": str(today + timedelta(60))}
            await call(
                client, recorder, WINDOW, "GET", "/api/me/tasks", cookie=cookie, params=window
            )
        rows = await call(
            client, recorder, TODAY, "GET", "/api/me/tasks", cookie=cookie,
            params={"date": str(today)}, check=_has_tickable,
        )  # fmt: skip
        if rows is None:
            await pause()
            continue
        task = f"/api/me/tasks/{rng.choice(_tickable(rows))['id']}/complete"
        if not await pause():
            break
        await call(client, recorder, TICK, "POST", task, cookie=cookie, check=_status_is("done"))
        await pause()  # an undo always follows its tick, past the deadline too
        await call(client, recorder, UNDO, "DELETE", task, cookie=cookie, check=_not_done)
        if time.monotonic() >= deadline:
            break
        if rng.random() < REPORT_SHARE:
            if not await pause():
                break
            body = {"client_id": str(uuid.uuid4()), "pain": 2, "signs": [], "note": ""}
            await call(
                client, recorder, REPORT, "POST", "/api/me/reports", cookie=cookie, json=body,
                check=_routine,
            )  # fmt: skip
        await pause()


async def staff_member(
    client: httpx.AsyncClient,
    recorder: Recorder,
    cookie: str,
    rng: random.Random,
    *,
    pages: int,
    deadline: float,
    think: float,
) -> None:
    """One console: a first page in some order, a patient from it, open alerts, adherence."""

    pause = partial(pause_then_go_on, rng, think, deadline)
    await asyncio.sleep(rng.uniform(0, 2 * think))
    while time.monotonic() < deadline:
        params = {"sort": rng.choice(SORTS), "limit": PAGE, "offset": PAGE * rng.randrange(pages)}
        page = await call(
            client, recorder, LIST, "GET", "/api/patients", cookie=cookie, params=params,
            check=_non_empty,
        )  # fmt: skip
        if not await pause():
            break
        if page is not None:
            chosen = rng.choice(page["items"])["id"]
            await call(client, recorder, PATIENT, "GET", f"/api/patients/{chosen}", cookie=cookie)
            if not await pause():
                break
        await call(
            client, recorder, ALERTS, "GET", "/api/alerts", cookie=cookie,
            params={"status": "open"},
        )  # fmt: skip
        if rng.random() < ADHERENCE_SHARE:
            await call(client, recorder, ADHERENCE, "GET", "/api/adherence", cookie=cookie)
        await pause()


async def probe_health(client: httpx.AsyncClient, recorder: Recorder, *, deadline: float) -> None:
    while time.monotonic() < deadline:
        await call(client, recorder, HEALTH, "GET", "/api/health")
        await asyncio.sleep(HEALTH_INTERVAL)


async def _redeem(client: httpx.AsyncClient, gate: asyncio.Semaphore, code: str) -> str:
    async with gate:
        response = await client.post("/api/enrol", json={"code": code})
    response.raise_for_status()
    return f"{PATIENT_COOKIE}={response.cookies[PATIENT_COOKIE]}"


async def _log_in(
    client: httpx.AsyncClient, gate: asyncio.Semaphore, email: str, password: str
) -> str:
    for _ in range(LOGIN_TRIES):
        async with gate:
            response = await client.post(
                "/api/auth/login", json={"email": email, "password": password}
            )
        if response.status_code != 503:
            break
        # Busy checking other passwords (app.staff.passwords.CheckSlots): setup signs staff in
        # at once, faster than one process verifies argon2 on a loaded machine; come back
        # when told, as the console does. Not counted: the load has not started.
        await asyncio.sleep(float(response.headers.get("retry-after", "1")))
    response.raise_for_status()
    return f"{STAFF_COOKIE}={response.cookies[STAFF_COOKIE]}"


@dataclass
class Driven:
    """What one drive() measured: every request, the idle probes, CPU used on both sides."""

    recorder: Recorder
    seconds: float
    idle: list[float]
    setup: dict[str, float]
    server_cpu: float  # CPU seconds the server process used during the load
    driver_cpu: float  # and this process


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children (`serve --workers` runs
    the app in those), all threads (Linux /proc; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")
    return own + sum(cpu_seconds(child) for child in _children(pid))


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.update(int(n) for n in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return found


async def drive(base_url: str, seeded: Seeded, options: Options, *, server_pid: int) -> Driven:
    """Pair the phones, sign staff in, probe health alone, then run everyone at once."""
    setup: dict[str, float] = {}
    tls = ssl.create_default_context()
    async with AsyncExitStack() as stack:
        client = await stack.enter_async_context(
            httpx.AsyncClient(base_url=base_url, timeout=TIMEOUT, verify=tls)
        )
        gate = asyncio.Semaphore(SETUP_CONCURRENCY)
        started = time.perf_counter()
        phones = await asyncio.gather(*(_redeem(client, gate, code) for code in seeded.codes))
        setup["pair_phones"] = round(time.perf_counter() - started, 2)
        consoles = await asyncio.gather(
            *(_log_in(client, gate, e, seeded.password) for e in seeded.staff_emails)
        )
        idle: list[float] = []
        for _ in range(options.idle_probes):  # one at a time, nothing else running: the floor
            started = time.perf_counter()
            (await client.get("/api/health")).raise_for_status()
            idle.append(time.perf_counter() - started)

        clients = [
            await stack.enter_async_context(person_client(base_url, tls))
            for _ in range(1 + len(phones) + len(consoles))
        ]
        deadline = time.monotonic() + options.seconds
        recorder = Recorder(closes_at=deadline)
        pages = max(1, min(FIRST_PAGES, -(-len(seeded.codes) // PAGE)))
        people = [
            probe_health(clients[0], recorder, deadline=deadline),
            *(
                patient(
                    client, recorder, cookie, random.Random(n),  # noqa: S311 - not secrets
                    deadline=deadline, think=options.think,
                )
                for n, (client, cookie) in enumerate(zip(clients[1:], phones, strict=False))
            ),
            *(
                staff_member(
                    client, recorder, cookie, random.Random(-1 - n),  # noqa: S311
                    pages=pages, deadline=deadline, think=options.think,
                )
                for n, (client, cookie) in enumerate(
                    zip(clients[1 + len(phones) :], consoles, strict=True)
                )
            ),
        ]  # fmt: skip
        server_cpu, driver_cpu = cpu_seconds(server_pid), time.process_time()
        started = time.perf_counter()
        await asyncio.gather(*people)
        return Driven(
            recorder=recorder,
            # The window the figures' requests were sent in; the last pauses and undos after
            # it are not in them (their CPU is: a few requests).
            seconds=min(time.perf_counter() - started, options.seconds),
            idle=idle,
            setup=setup,
            server_cpu=cpu_seconds(server_pid) - server_cpu,
            driver_cpu=time.process_time() - driver_cpu,
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path
    workers: int = 1

    def wait_until_up(self) -> None:
        """Until it answers, and every worker has started (the first to start answers)."""
        give_up = time.monotonic() + 120
        while time.monotonic() < give_up:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited at start-up:\n{self.log_tail()}")
            started = self.log.read_text(errors="replace").count("Application startup complete")
            try:
                up = httpx.get(f"{self.base_url}/api/health", timeout=1).is_success
                if up and started >= self.workers:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the server did not answer within 120 s:\n{self.log_tail()}")

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


@contextmanager
def running_server(
    database_url: str, *, port: int, tmp: Path, workers: int = 1, trace: Path | None = None
) -> Iterator[Server]:
    """`aftercare serve --no-migrate` in a subprocess, starting (wait_until_up() to use it);
    configured only by the environment given here: the caller's AFTERCARE_* and .env are out.
    With `trace`, each server process writes its per-phase timings into that folder at exit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFTERCARE_")}
    first = (str(TRACE_PATH), str(ROOT)) if trace else (str(ROOT),)
    env |= {
        "AFTERCARE_ENV": "development",
        "AFTERCARE_DATABASE_URL": database_url,
        "AFTERCARE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "AFTERCARE_VAPID_PRIVATE_KEY_FILE": str(tmp / "vapid-private.pem"),
        "PYTHONPATH": os.pathsep.join(filter(None, (*first, env.get("PYTHONPATH")))),
    }
    if trace:
        env["AFTERCARE_TRACE_DIR"] = str(trace)
    log = tmp / "server.log"
    command = [sys.executable, "-m", "app.cli", "serve", "--no-migrate"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command, cwd=tmp, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            yield Server(process, f"http://127.0.0.1:{port}", log, workers)
        finally:
            process.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def server_problems(log: Path) -> list[str]:
    lines = log.read_text(errors="replace").splitlines()
    return [line[:300] for line in lines if any(p in line for p in LOG_PROBLEMS)][:20]


def backend_of(url: str) -> str:
    return make_url(normalise_url(url)).get_backend_name()


@contextmanager
def fresh_database(url: str | None, tmp: Path) -> Iterator[str]:
    """An empty database for one run: see the module docstring."""
    if url is None:
        yield f"sqlite:///{tmp / 'load.db'}"
        return
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "").resolve()  # the server runs in another directory
        if not parsed.database or path.exists():
            raise SystemExit(f"{url}: give a SQLite file that does not exist yet")
        yield f"sqlite:///{path}"
        return
    name = f"aftercare_load_{uuid.uuid4().hex[:12]}"
    admin = make_engine(
        parsed.set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(options: Options) -> Report:
    """Seed, serve, drive, stop: the report (also written to bench/results unless told not)."""
    with tempfile.TemporaryDirectory(prefix="aftercare-load-") as name:
        tmp = Path(name)
        with fresh_database(options.database_url, tmp) as url:
            backend = backend_of(url)
            port = free_port()
            settings = Settings(
                database_url=url,
                public_url=f"http://127.0.0.1:{port}",
                vapid_private_key_file=tmp / "vapid-private.pem",
                _env_file=None,
            )
            engine = make_engine(url)
            try:
                upgrade_to_head(engine)
            finally:
                engine.dispose()
            traced = tmp / "trace" if options.trace else None
            if traced:
                traced.mkdir()
            with running_server(
                url, port=port, tmp=tmp, workers=options.workers, trace=traced
            ) as server:
                # Seed while the server process imports: start-up is seconds on a busy machine.
                print(f"{backend}: seeding {options.patients} patients ...", flush=True)
                started = time.perf_counter()
                seeded = seed(url, settings, patients=options.patients, staff=options.staff)
                seeding = round(time.perf_counter() - started, 2)
                server.wait_until_up()
                print(f"{backend}: driving for {options.seconds:g} s ...", flush=True)
                driven = asyncio.run(
                    drive(server.base_url, seeded, options, server_pid=server.process.pid)
                )
            problems = server_problems(server.log)
            trace = summarise(traced) if traced else None
    tallies = driven.recorder.tallies
    base = percentile(sorted(tallies[HEALTH].spent), 50) * 1000
    endpoints = {}
    for label, tally in tallies.items():
        endpoints[label] = _summary(tally.spent, base) | {"errors": tally.errors}
    report = Report(
        backend=backend,
        options=options,
        endpoints=endpoints,
        requests=sum(len(t.spent) for t in tallies.values()),
        errors=sum(t.errors for t in (*tallies.values(), *driven.recorder.wind_down.values())),
        seconds=driven.seconds,
        health_idle=_summary(driven.idle),
        error_samples=driven.recorder.samples,
        server_problems=problems,
        setup_seconds={"seed": seeding, **driven.setup},
        server_cpu=driven.server_cpu,
        driver_cpu=driven.driver_cpu,
        trace=trace,
        wind_down={
            label: {"count": len(tally.spent), "errors": tally.errors}
            for label, tally in driven.recorder.wind_down.items()
            if tally.spent
        },
    )
    if options.results:
        name = options.results.format(backend=backend)
        suffix = f"-{options.workers}-workers" if options.workers > 1 else ""
        write_results(name + suffix, report.as_json())
    return report


def print_report(report: Report) -> None:
    options = report.options
    print(
        f"\nLoad on {report.backend} ({options.workers} server process"
        f"{'es' if options.workers > 1 else ''}): {options.patients} patients, "
        f"{options.staff} staff, "
        f"{report.seconds:.1f} s, think {0.5 * options.think:g}-{1.5 * options.think:g} s"
    )
    print(f"  {describe(machine())}")
    heads = ("count", "errors", "p50 ms", "p99 ms", "p50 x", "p99 x", "target")
    print(f"  {'endpoint':<38}" + "".join(f"{head:>8}" for head in heads))
    targets = report.targets()
    for label, row in report.endpoints.items():
        shown = f"{label} (baseline)" if label == HEALTH else label
        aim = targets.get(label)
        verdict = f"{'<=' if aim['met'] else '>'}{aim['target']:g}x" if aim else ""
        print(
            f"  {shown:<38} {row['count']:>7.0f} {row['errors']:>7.0f} {row['p50_ms']:>7.2f} "
            f"{row['p99_ms']:>7.2f} {row.get('p50_ratio', float('nan')):>7.1f} "
            f"{aim['p99_ratio'] if aim else 1.0:>7.1f} {verdict:>7}"
        )
    missed = [label for label, aim in targets.items() if not aim["met"]]
    print(
        f"  p99 targets: {len(targets) - len(missed)} of {len(targets)} met"
        + (f"; missed: {', '.join(missed)}" if missed else "")
    )
    idle = report.health_idle
    print(
        f"  {'all':<38} {report.requests:>7} {report.errors:>6}   "
        f"{report.requests_per_second:.0f} requests/s"
    )
    after = ", ".join(f"{row['count']} {label}" for label, row in report.wind_down.items())
    if after:
        print(f"  sent after the deadline, checked but not timed: {after}")
    print(
        f"  {HEALTH} alone, before the load: p50 {idle['p50_ms']:.2f} ms, "
        f"p99 {idle['p99_ms']:.2f} ms"
    )
    print(
        f"  server CPU {report.server_cpu:.1f} s ({report.server_cpu / report.seconds:.0%} of one "
        f"core), {report.server_cpu_per_request * 1000:.1f} ms per request; "
        f"driver CPU {report.driver_cpu:.1f} s"
    )
    if report.trace:
        print_trace(report.trace)
    for line in report.error_samples:
        print(f"  error: {line}")
    for reason in report.failures:
        print(f"  FAIL: {reason}")
    print(f"  {'PASS: zero errors' if not report.failures else 'FAILED'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--patients", type=int, default=Options.patients)
    parser.add_argument("--staff", type=int, default=Options.staff)
    parser.add_argument("--seconds", type=float, default=Options.seconds)
    parser.add_argument("--think", type=float, default=Options.think, help="mean pause, s")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument(
        "--workers",
        type=int,
        default=Options.workers,
        help="server processes (`aftercare serve --workers`; more than 1 needs PostgreSQL)",
    )
    parser.add_argument(
        "--results",
        default=Options.results,
        help="file name under bench/results, without .json ({backend} is filled in; '' for none)",
    )
    parser.add_argument(
        "--trace",
        action="store_true",
        help="time each request's phases in the server (thread wait, pool, SQL, commit, GC)",
    )
    parser.add_argument(
        "--skip-if-unreachable",
        action="store_true",
        help="exit 0 with a note when the PostgreSQL server does not answer",
    )
    args = parser.parse_args(argv)
    if args.trace and args.workers > 1:
        # uvicorn stops its worker processes without their exit handlers: no trace is written.
        parser.error("--trace times one server process: leave --workers at 1")
    if args.database_url and args.skip_if_unreachable and not reachable(args.database_url):
        print(
            f"PostgreSQL at {make_url(normalise_url(args.database_url)).host}: no answer, skipped"
        )
        return 0
    options = Options(
        patients=args.patients,
        staff=args.staff,
        seconds=args.seconds,
        think=args.think,
        database_url=args.database_url,
        results=args.results or None,
        workers=args.workers,
        trace=args.trace,
    )
    report = run(options)
    print_report(report)
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
