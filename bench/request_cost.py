"""Server CPU per request, in process, for what a phone asks most: timed and profiled.

Run: .venv/bin/python -m bench.request_cost [--database-url URL] [--requests 200]
     [--rounds 5] [--patients 20] [--profile] [--top 40]
The app is built as `aftercare serve` builds it (create_app, every middleware, dispatcher off)
on a fresh migrated database (a temporary SQLite file by default; a PostgreSQL URL names a
server, on which a throwaway database is made and dropped), seeded as bench/load.py seeds it,
with one phone paired through POST /api/enrol. It asks what bench/load.py's patients ask most
(its profile, the day's tasks, the PWA's 120-day window, a tick and its undo), beside GET
/api/health. Each request is sent straight to the ASGI app in one event loop, one at a time,
so sync routes and dependencies take their worker-thread hops as under uvicorn, but no HTTP
parsing and no client share the process's CPU. The figures
are the app's own cost: CPU seconds of the whole process (all threads) per request in the
cheapest of several interleaved rounds, and the ratio against GET /api/health in the same
run. `--profile` then profiles every thread with cProfile while repeating each request and
prints the top functions by own (CPU) time.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

from starlette.types import ASGIApp, Message

from app.api.cookies import PATIENT_COOKIE
from app.config import Settings
from app.db import make_engine
from app.main import create_app
from app.migrate import upgrade_to_head
from app.tasks.service import EARLY_COMPLETION
from bench.load import TICK_MARGIN, backend_of, fresh_database
from bench.load_seed import seed

WARM_UP = 30
HOST = "127.0.0.1:8000"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


async def send_request(
    app: ASGIApp, method: str, path: str, *, query: str = "", cookie: str = "", body: bytes = b""
) -> Answer:
    """One HTTP/1.1 request straight into the ASGI app, as uvicorn would hand it over."""
    headers = [(b"host", HOST.encode()), (b"user-agent", b"request-cost")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent = False
    status = 0
    answer_headers: list[tuple[bytes, bytes]] = []
    chunks: list[bytes] = []

    async def receive() -> Message:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # as a connection that stays open: never disconnects
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status, answer_headers
        if message["type"] == "http.response.start":
            status = message["status"]
            answer_headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return Answer(status, answer_headers, b"".join(chunks))


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    query: str = ""


@dataclass(frozen=True)
class Probe:
    """What one measured request is: one call, or a tick and its undo (counted as two)."""

    label: str
    calls: tuple[Call, ...]
    authenticated: bool = True


@dataclass(frozen=True)
class Cost:
    label: str
    cpu_ms: float
    wall_ms: float


async def measure(app: ASGIApp, probe: Probe, cookie: str, count: int) -> Cost:
    """CPU and wall time per request over `count` sequential requests, after a warm-up."""

    async def once() -> None:
        for call in probe.calls:
            answer = await send_request(
                app,
                call.method,
                call.path,
                query=call.query,
                cookie=cookie if probe.authenticated else "",
            )
            if answer.status != 200:
                raise SystemExit(f"{probe.label}: {answer.status} {answer.body[:200]!r}")

    for _ in range(WARM_UP):
        await once()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(count):
        await once()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    requests = count * len(probe.calls)
    return Cost(probe.label, cpu / requests * 1000, wall / requests * 1000)


async def pair(app: ASGIApp, code: str) -> str:
    answer = await send_request(app, "POST", "/api/enrol", body=json.dumps({"code": code}).encode())
    if answer.status != 200:
        raise SystemExit(f"pairing failed: {answer.status} {answer.body[:200]!r}")
    for name, value in answer.headers:
        if name == b"set-cookie" and value.startswith(PATIENT_COOKIE.encode() + b"="):
            return value.decode().split(";", 1)[0]
    raise SystemExit("pairing set no cookie")


class AllThreads:
    """cProfile in the main thread and every thread started while running (AnyIO's workers:
    they belong to one event loop, so profile inside a fresh asyncio.run), merged. Each thread's
    CPU time, not wall time: waiting for the database or another thread counts nothing."""

    def __init__(self) -> None:
        self.profiles: list[cProfile.Profile] = []
        self._lock = threading.Lock()

    def _start_here(self, _frame: FrameType, _event: str, _arg: Any) -> None:
        profile = cProfile.Profile(time.thread_time)
        with self._lock:
            self.profiles.append(profile)
        profile.enable()  # replaces this hook in this thread

    @contextmanager
    def running(self) -> Iterator[None]:
        threading.setprofile(self._start_here)
        main = cProfile.Profile(time.thread_time)
        self.profiles.append(main)
        main.enable()
        try:
            yield
        finally:
            main.disable()
            threading.setprofile(None)

    def table(self, top: int) -> str:
        out = io.StringIO()
        stats = pstats.Stats(self.profiles[0], stream=out)
        for profile in self.profiles[1:]:
            stats.add(profile)
        stats.sort_stats("tottime").print_stats(top)
        return out.getvalue()


def report(costs: list[Cost], backend: str) -> None:
    base = costs[0].cpu_ms
    print(f"\nIn-process cost per request on {backend} (whole-process CPU, cheapest round):")
    print(f"  {'request':<34} {'CPU ms':>8} {'wall ms':>8} {'CPU x health':>13}")
    for cost in costs:
        print(
            f"  {cost.label:<34} {cost.cpu_ms:>8.3f} {cost.wall_ms:>8.3f} "
            f"{cost.cpu_ms / base:>13.2f}"
        )


async def probes_for(app: ASGIApp, code: str) -> tuple[str, list[Probe]]:
    """The phone's cookie and the requests to time: bench/load.py's patient, less the rarer
    ones (the day's tasks are today's where the patient lives; the tick is of a task due)."""
    cookie = await pair(app, code)
    me = json.loads((await send_request(app, "GET", "/api/me", cookie=cookie)).body)
    today = datetime.now(UTC).astimezone(ZoneInfo(me["time_zone"])).date()
    query = f"date={today}"
    window = f"from={today - timedelta(days=59)}&to={today + timedelta(days=60)}"  # the PWA's
    day = json.loads(
        (await send_request(app, "GET", "/api/me/tasks", query=query, cookie=cookie)).body
    )
    latest = datetime.now(UTC) + EARLY_COMPLETION - TICK_MARGIN
    due = [r for r in day if r["kind"] == "task" and datetime.fromisoformat(r["due_at"]) <= latest]
    if not due:
        raise SystemExit("no task due today to tick (seeding is wrong)")
    tick = f"/api/me/tasks/{due[0]['id']}/complete"
    return cookie, [
        Probe("GET /api/health", (Call("GET", "/api/health"),), authenticated=False),
        Probe("GET /api/me", (Call("GET", "/api/me"),)),
        Probe("GET /api/me/tasks?date", (Call("GET", "/api/me/tasks", query),)),
        Probe("GET /api/me/tasks?from&to", (Call("GET", "/api/me/tasks", window),)),
        Probe("POST, DELETE .../{id}/complete", (Call("POST", tick), Call("DELETE", tick))),
    ]


async def time_all(
    app: ASGIApp, cookie: str, probes: list[Probe], count: int, rounds: int
) -> list[Cost]:
    """Each probe's cheapest round: rounds interleave, so other work on a shared machine
    inflates some rounds of every probe, and the minimum is what the request itself costs."""
    best: dict[str, Cost] = {}
    for _ in range(rounds):
        for probe in probes:
            cost = await measure(app, probe, cookie, count)
            if probe.label not in best or cost.cpu_ms < best[probe.label].cpu_ms:
                best[probe.label] = cost
    return [best[probe.label] for probe in probes]


def profile(app: ASGIApp, cookie: str, probes: list[Probe], count: int, top: int) -> None:
    for probe in probes:
        profiler = AllThreads()
        with profiler.running():
            asyncio.run(measure(app, probe, cookie, count))  # a new loop: new, hooked workers
        print(f"\n===== {probe.label}: {count} requests, top {top} by own time =====")
        print(profiler.table(top))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--requests", type=int, default=200, help="per endpoint and round")
    parser.add_argument("--rounds", type=int, default=5, help="the cheapest round counts")
    parser.add_argument("--patients", type=int, default=20)
    parser.add_argument("--profile", action="store_true", help="also print cProfile tables")
    parser.add_argument("--top", type=int, default=40, help="rows per profile table")
    options = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="aftercare-cost-") as name,
        fresh_database(options.database_url, Path(name)) as url,
    ):
        tmp = Path(name)
        settings = Settings(
            database_url=url,
            public_url=f"http://{HOST}",
            vapid_private_key_file=tmp / "vapid-private.pem",
            dispatcher_enabled=False,
            _env_file=None,
        )
        engine = make_engine(url)
        try:
            upgrade_to_head(engine)
            seeded = seed(url, settings, patients=options.patients, staff=1)
            app = create_app(settings, engine=engine)
            cookie, probes = asyncio.run(probes_for(app, seeded.codes[0]))
            costs = asyncio.run(time_all(app, cookie, probes, options.requests, options.rounds))
            if options.profile:
                profile(app, cookie, probes, options.requests, options.top)
        finally:
            engine.dispose()
    report(costs, backend_of(url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
