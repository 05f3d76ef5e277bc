"""Server CPU per request for what a phone asks most, in process or over HTTP: timed, profiled.

Run: .venv/bin/python -m bench.request_cost [--database-url URL] [--requests 200]
     [--rounds 5] [--patients 20] [--profile] [--top 40] [--sort cumulative]
     [--http [--results NAME]]
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
`--http` instead serves the same app and database from real uvicorn servers, one subprocess per
configuration in CONFIGS (each on a free loopback port, built as `aftercare serve` builds it
with UVICORN_OPTIONS, dispatcher off), all running at once, and sends the same requests over
one keep-alive HTTP/1.1 connection per server, accepting gzip as a browser does. The figure is
the server process's CPU per request (all its threads, from its own clock: /proc/<pid>/stat
counts 10 ms ticks), the cheapest of rounds that interleave every configuration and request,
and its ratio against the baseline and against the configuration before it in the same run:
what the HTTP parser, the event loop and the access log add to the app's own cost.
`--results` writes them to bench/results/NAME.json for bench/report.py (`make bench` runs
`--http` at a small size).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import http.client
import io
import json
import math
import os
import pstats
import select
import signal
import subprocess
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
from bench.common import describe, machine, write_results
from bench.load import TICK_MARGIN, backend_of, free_port, fresh_database
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

    def table(self, top: int, order: str) -> str:
        out = io.StringIO()
        stats = pstats.Stats(self.profiles[0], stream=out)
        for profile in self.profiles[1:]:
            stats.add(profile)
        stats.sort_stats(order).print_stats(top)
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


# How a profile table is sorted: own time finds hot functions, cumulative finds hot callers.
ORDERS = {"tottime": "own time", "cumulative": "cumulative time"}


def profile(
    app: ASGIApp, cookie: str, probes: list[Probe], count: int, top: int, order: str
) -> None:
    for probe in probes:
        profiler = AllThreads()
        with profiler.running():
            asyncio.run(measure(app, probe, cookie, count))  # a new loop: new, hooked workers
        print(f"\n===== {probe.label}: {count} requests, top {top} by {ORDERS[order]} =====")
        print(profiler.table(top, order))


@dataclass(frozen=True)
class Config:
    """One server configuration: uvicorn options over app.cli.UVICORN_OPTIONS."""

    label: str
    options: dict[str, Any]


# Each adds one step to the one before, so each ratio to the previous is that step's worth.
CONFIGS = (
    Config("asyncio + h11 (baseline)", {"loop": "asyncio", "http": "h11"}),
    Config("asyncio + httptools", {"loop": "asyncio", "http": "httptools"}),
    Config("uvloop + httptools", {"loop": "uvloop", "http": "httptools"}),
    Config("uvloop + httptools, no access log", {"loop": "uvloop", "http": "httptools",
                                                 "access_log": False}),
    Config("as `aftercare serve` (UVICORN_OPTIONS)", {}),
)  # fmt: skip


def bench_settings(url: str, tmp: Path, *, public_url: str) -> Settings:
    """The server's settings here: no .env, no dispatcher, the key in the run's folder."""
    return Settings(
        database_url=url,
        public_url=public_url,
        vapid_private_key_file=tmp / "vapid-private.pem",
        dispatcher_enabled=False,
        _env_file=None,
    )


def serve_child(url: str, port: int, tmp: Path, options: dict[str, Any], tell: int) -> None:
    """The child process: the app as `aftercare serve` builds and runs it (dispatcher off,
    migrations already applied), on loopback, with `options` over UVICORN_OPTIONS. On SIGUSR1
    it writes its CPU time so far to the file descriptor `tell`: /proc/<pid>/stat counts in
    clock ticks (10 ms), the process's own clock in nanoseconds (all threads, ended ones too)."""
    import uvicorn

    from app.access_log import keep_query_strings_out_of_access_logs
    from app.cli import UVICORN_OPTIONS

    settings = bench_settings(url, tmp, public_url=f"http://127.0.0.1:{port}")
    app = create_app(settings, engine=make_engine(url), freeze_start_up=True)
    keep_query_strings_out_of_access_logs()
    signal.signal(
        signal.SIGUSR1, lambda _signal, _frame: os.write(tell, b"%d\n" % time.process_time_ns())
    )
    uvicorn.run(app, host="127.0.0.1", port=port, **(UVICORN_OPTIONS | options))


@dataclass
class Served:
    config: Config
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    told: io.BufferedReader  # where the server writes its CPU time when asked
    connection: http.client.HTTPConnection | None = None

    def cpu_seconds(self) -> float:
        """The server process's CPU seconds so far, all threads, from its own clock."""
        self.process.send_signal(signal.SIGUSR1)
        ready, _, _ = select.select([self.told], [], [], 30)
        if not ready:
            raise SystemExit(f"{self.config.label}: no CPU time within 30 s")
        return int(self.told.readline()) / 1e9

    def ask(self, method: str, path: str, query: str, cookie: str) -> int:
        """One request on this server's keep-alive connection: its status (body read)."""
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        # As a phone's browser asks: answers over GZipMiddleware's 1 KB come compressed.
        headers = {"User-Agent": "request-cost", "Accept-Encoding": "gzip, deflate, br"}
        if cookie:
            headers["Cookie"] = cookie
        self.connection.request(method, f"{path}?{query}" if query else path, headers=headers)
        answer = self.connection.getresponse()
        answer.read()
        if answer.will_close:
            raise SystemExit(f"{self.config.label}: the server closed the connection")
        return answer.status

    def wait_until_up(self) -> None:
        give_up = time.monotonic() + 120
        while time.monotonic() < give_up:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.config.label} exited:\n{self.log.read_text()[-3000:]}")
            try:
                if self.ask("GET", "/api/health", "", "") == 200:
                    return
            except OSError:
                self.connection = None
            time.sleep(0.2)
        raise SystemExit(f"{self.config.label} did not answer within 120 s")


@contextmanager
def servers(url: str, tmp: Path, configs: tuple[Config, ...]) -> Iterator[list[Served]]:
    """Every configuration's server at once (idle ones cost nothing), stopped at the end."""
    started: list[Served] = []
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFTERCARE_")}
    try:
        for n, config in enumerate(configs):
            port, log = free_port(), tmp / f"server-{n}.log"
            read, write = os.pipe()
            command = [sys.executable, "-m", "bench.request_cost", "--database-url", url]
            command += ["--serve", json.dumps([port, str(tmp), config.options, write])]
            with log.open("wb") as out:
                process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                    command, cwd=Path(__file__).resolve().parent.parent, env=env,
                    stdout=out, stderr=subprocess.STDOUT, pass_fds=(write,),
                )  # fmt: skip
            os.close(write)
            started.append(Served(config, process, port, log, os.fdopen(read, "rb")))
        for served in started:
            served.wait_until_up()
        yield started
    finally:
        for served in started:
            if served.connection is not None:
                served.connection.close()
            served.told.close()
            served.process.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown
        for served in started:
            try:
                served.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                served.process.kill()
                served.process.wait()


def measure_http(served: Served, probe: Probe, cookie: str, count: int, warm_up: int) -> Cost:
    """The server's CPU and this side's wall time per request over `count` requests."""

    def once() -> None:
        for call in probe.calls:
            status = served.ask(
                call.method, call.path, call.query, cookie if probe.authenticated else ""
            )
            if status != 200:
                raise SystemExit(f"{served.config.label}, {probe.label}: {status}")

    # A fresh connection, opened in the warm-up: uvicorn closes one idle for 5 s, as this
    # server's is while the others are measured.
    if served.connection is not None:
        served.connection.close()
        served.connection = None
    for _ in range(warm_up):
        once()
    cpu, wall = served.cpu_seconds(), time.perf_counter()
    for _ in range(count):
        once()
    cpu, wall = served.cpu_seconds() - cpu, time.perf_counter() - wall
    requests = count * len(probe.calls)
    return Cost(probe.label, cpu / requests * 1000, wall / requests * 1000)


def time_http(
    running: list[Served], cookie: str, probes: list[Probe], count: int, rounds: int
) -> dict[str, list[Cost]]:
    """Each configuration's cheapest round per probe; a round runs every probe on every
    server in turn, so a busy spell on the machine falls on all configurations alike."""
    best: dict[tuple[str, str], Cost] = {}
    for n in range(rounds):
        for probe in probes:
            for served in running:
                cost = measure_http(served, probe, cookie, count, WARM_UP if n == 0 else 3)
                key = (served.config.label, probe.label)
                if key not in best or cost.cpu_ms < best[key].cpu_ms:
                    best[key] = cost
    return {s.config.label: [best[s.config.label, p.label] for p in probes] for s in running}


def results_http(
    costs: dict[str, list[Cost]], backend: str, count: int, rounds: int
) -> dict[str, Any]:
    info = machine()
    print(f"machine: {describe(info)}")
    return {
        "benchmark": "request_cost",
        "machine": info,
        "backend": backend,
        "requests": count,
        "rounds": rounds,
        "configs": [
            {
                "label": label,
                "options": next(c.options for c in CONFIGS if c.label == label),
                "costs": [
                    {"request": c.label, "cpu_ms": c.cpu_ms, "wall_ms": c.wall_ms} for c in found
                ],
            }
            for label, found in costs.items()
        ],
    }


def report_http(costs: dict[str, list[Cost]], backend: str, count: int, rounds: int) -> None:
    labels = list(costs)
    print(
        f"\nServer CPU per request over HTTP on {backend} (server process, all threads; "
        f"cheapest of {rounds} rounds of {count}):"
    )
    print(f"  {'configuration':<40} {'request':<32} {'CPU ms':>7} {'wall ms':>8} "
          f"{'x previous':>10} {'x baseline':>10}")  # fmt: skip
    for n, label in enumerate(labels):
        for i, cost in enumerate(costs[label]):
            base = costs[labels[0]][i].cpu_ms
            previous = costs[labels[max(n - 1, 0)]][i].cpu_ms
            print(
                f"  {label:<40} {cost.label:<32} {cost.cpu_ms:>7.3f} {cost.wall_ms:>8.3f} "
                f"{cost.cpu_ms / previous:>10.2f} {cost.cpu_ms / base:>10.2f}"
            )
    # One cell moves by 10-20 % on a shared machine; the mean over every request moves less.
    print(f"\n  {'configuration':<40} {'geometric mean of the ratios':<32} {'':>16} "
          f"{'x previous':>10} {'x baseline':>10}")  # fmt: skip
    for n, label in enumerate(labels):
        before = labels[max(n - 1, 0)]
        print(
            f"  {label:<40} {'(every request)':<32} {'':>16} "
            f"{mean_ratio(costs[label], costs[before]):>10.2f} "
            f"{mean_ratio(costs[label], costs[labels[0]]):>10.2f}"
        )


def mean_ratio(costs: list[Cost], against: list[Cost]) -> float:
    return math.prod(c.cpu_ms / a.cpu_ms for c, a in zip(costs, against, strict=True)) ** (
        1 / len(costs)
    )


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
    parser.add_argument(
        "--sort", choices=sorted(ORDERS), default="tottime", help="how profile tables are sorted"
    )
    parser.add_argument(
        "--http", action="store_true", help="over HTTP, one uvicorn server per configuration"
    )
    parser.add_argument("--results", default=None, help="with --http: bench/results/NAME.json")
    parser.add_argument("--serve", default=None, help=argparse.SUPPRESS)  # --http's children
    options = parser.parse_args(argv)
    if options.serve:
        port, tmp, uvicorn_options, tell = json.loads(options.serve)
        serve_child(options.database_url, port, Path(tmp), uvicorn_options, tell)
        return 0
    with (
        tempfile.TemporaryDirectory(prefix="aftercare-cost-") as name,
        fresh_database(options.database_url, Path(name)) as url,
    ):
        tmp = Path(name)
        settings = bench_settings(url, tmp, public_url=f"http://{HOST}")
        engine = make_engine(url)
        try:
            upgrade_to_head(engine)
            seeded = seed(url, settings, patients=options.patients, staff=1)
            app = create_app(settings, engine=engine)
            cookie, probes = asyncio.run(probes_for(app, seeded.codes[0]))
            if options.http:
                with servers(url, tmp, CONFIGS) as running:
                    by_config = time_http(running, cookie, probes, options.requests, options.rounds)
                report_http(by_config, backend_of(url), options.requests, options.rounds)
                if options.results:
                    write_results(
                        options.results,
                        results_http(by_config, backend_of(url), options.requests, options.rounds),
                    )
                return 0
            costs = asyncio.run(time_all(app, cookie, probes, options.requests, options.rounds))
            if options.profile:
                profile(app, cookie, probes, options.requests, options.top, options.sort)
        finally:
            engine.dispose()
    report(costs, backend_of(url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
