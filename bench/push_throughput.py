"""Benchmark: dispatch throughput and lateness beside a naive pywebpush loop and crypto ceiling.

Run: .venv/bin/python -m bench.push_throughput [--rows 10000] [--database-url URL]
All three are measured in one run against the same loopback push service (in its own process,
checking VAPID and decrypting every message), so the ratios hold on a noisy machine. It runs
twice: with the service answering at once (both sides CPU-bound on this machine), and after
30 ms, closer to a real push service a network away.
Results: bench/results/push_throughput.json.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pywebpush
from py_vapid import Vapid02
from sqlalchemy import func, update
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.clock import SystemClock
from app.config import Settings
from app.db import make_engine, session_factory, transaction
from app.migrate import upgrade_to_head
from app.notifications.models import OutboxMessage, OutboxStatus, PushSubscriptionIn
from app.notifications.payload import reminder_payload
from app.notifications.sender import Device, encrypt
from app.notifications.subscriptions import Owner, subscribe
from app.notifications.vapid import VapidSigner, load_or_create
from app.scheduler import build_dispatcher
from bench.common import describe, machine, percentile, rate, write_results
from tests.support.factories import make_clinic_with_staff, make_patient

REMINDERS_PER_PATIENT = 50  # what one enrolment plans today (stockings advised)


def receiver(conn: Connection, subscriptions: int, latency: float) -> None:
    from tests.support.push_service import FakePushService

    with FakePushService(latency=latency) as push:
        conn.send([push.subscribe().to_json() for _ in range(subscriptions)])
        conn.recv()  # until the benchmark is done
        conn.send((len(push.deliveries()), len(push.rejections)))


def naive_loop(
    subs: list[dict[str, Any]], key_file: Path, subject: str, count: int
) -> tuple[float, float]:
    """What a team writes first: one pywebpush.webpush() call per message, one after another.

    Messages per second, and this process's CPU milliseconds per message.
    """
    vapid = Vapid02.from_file(str(key_file))
    payload = reminder_payload(
        occurrence_id=uuid.uuid4(), kind="task", title="", show_title=False,
        public_url="https://care.example.org",
    )  # fmt: skip
    started, cpu = time.perf_counter(), time.process_time()
    for n in range(count):
        pywebpush.webpush(
            subscription_info=subs[n % len(subs)],
            data=payload,
            vapid_private_key=vapid,
            vapid_claims={"sub": subject},  # a fresh dict: webpush() adds to it
            ttl=3600,
            timeout=10,
        )
    cpu_ms = 1000 * (time.process_time() - cpu) / count
    return rate(count, time.perf_counter() - started), cpu_ms


def crypto_ceiling(subs: list[dict[str, Any]], signer: VapidSigner, count: int) -> float:
    """Encrypt and sign only (no HTTP): no dispatcher on this machine can beat this."""
    devices = [Device(s["endpoint"], s["keys"]["p256dh"], s["keys"]["auth"]) for s in subs]
    payload = b'{"notification":{"title":"Aftercare","body":"Time for your aftercare task"}}'
    started = time.perf_counter()
    for n in range(count):
        device = devices[n % len(devices)]
        encrypt(device, payload)
        signer.authorization(device.endpoint)
    return rate(count, time.perf_counter() - started)


def enrol(settings: Settings, subs: list[dict[str, Any]], key_id: str) -> int:
    """One patient per subscription, treated an hour ago, awake now; every reminder due now."""
    engine = make_engine(settings.database_url)
    upgrade_to_head(engine)
    factory = session_factory(engine)
    now = datetime.now(UTC)
    clinic, staff = make_clinic_with_staff(factory, now=now)
    day = {
        "time_zone": "UTC",
        "wake_time": (now - timedelta(hours=4)).strftime("%H:%M"),
        "bed_time": (now + timedelta(hours=12)).strftime("%H:%M"),
    }
    for n, sub in enumerate(subs):
        patient, _ = make_patient(
            factory, clinic=clinic, staff=staff, now=now, settings=settings, name=f"P{n}",
            treatment={"performed_at": (now - timedelta(hours=1)).isoformat()}, **day,
        )  # fmt: skip
        with transaction(factory) as session:
            subscribe(
                session, owner=Owner(patient_id=patient.id),
                data=PushSubscriptionIn.model_validate(sub), key_id=key_id, now=now,
                settings=settings,
            )  # fmt: skip
    with factory() as session:
        total: int = session.exec(select(func.count()).select_from(OutboxMessage)).one()
    engine.dispose()
    return total


def make_all_due(factory: sessionmaker[Session]) -> None:
    """Every pending reminder due this instant: the burst the dispatcher has to drain."""
    due = datetime.now(UTC)
    with transaction(factory) as session:
        session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.status) == OutboxStatus.PENDING)
            .values(due_at=due, next_attempt_at=due)
        )


def dispatch_all(settings: Settings, total: int) -> tuple[float, float, list[float], int]:
    """Messages per second, CPU milliseconds per message (this process), lateness, sent."""
    engine = make_engine(settings.database_url)
    factory = session_factory(engine)
    keys = load_or_create(settings.vapid_private_key_file, create=True)
    dispatcher = build_dispatcher(settings, session_factory=factory, clock=SystemClock(), keys=keys)
    make_all_due(factory)
    started, cpu = time.perf_counter(), time.process_time()
    while True:
        report = dispatcher.run_once()
        if report.claimed == 0:
            break
    elapsed, cpu_s = time.perf_counter() - started, time.process_time() - cpu
    dispatcher.close()
    with factory() as session:
        rows = session.exec(
            select(OutboxMessage.due_at, OutboxMessage.sent_at).where(
                col(OutboxMessage.status) == OutboxStatus.SENT
            )
        ).all()
    engine.dispose()
    lateness = sorted((sent - due).total_seconds() for due, sent in rows if sent is not None)
    cpu_ms = 1000 * cpu_s / len(rows) if rows else float("nan")
    return rate(len(rows), elapsed), cpu_ms, lateness, len(rows)


@dataclass
class Result:
    latency: float
    total: int
    sent: int
    naive: float
    naive_cpu_ms: float
    ceiling: float
    throughput: float
    dispatcher_cpu_ms: float
    lateness: list[float]
    delivered: int
    refused: int


def run(*, rows: int, naive_count: int, latency: float, database_url: str | None) -> Result:
    """One full measurement against a push service answering after `latency` seconds."""
    patients = max(1, rows // REMINDERS_PER_PATIENT)
    parent, child = multiprocessing.Pipe()
    service = multiprocessing.Process(target=receiver, args=(child, patients, latency), daemon=True)
    service.start()
    subs: list[dict[str, Any]] = parent.recv()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=database_url or f"sqlite:///{tmp}/bench.db",
            vapid_private_key_file=Path(tmp) / "vapid.pem",
            vapid_subject="mailto:bench@aftercare.example",
            dispatcher_enabled=False,
            _env_file=None,
        )
        keys = load_or_create(settings.vapid_private_key_file, create=True)
        signer = VapidSigner(keys, settings.vapid_subject)
        print(f"latency {latency * 1000:.0f} ms: enrolling {patients} patients ...", flush=True)
        total = enrol(settings, subs, keys.key_id)
        key_file, subject = settings.vapid_private_key_file, settings.vapid_subject
        naive, naive_cpu_ms = naive_loop(subs, key_file, subject, naive_count)
        ceiling = crypto_ceiling(subs, signer, 2000)
        throughput, cpu_ms, lateness, sent = dispatch_all(settings, total)
    parent.send("done")
    delivered, refused = parent.recv()
    service.join(timeout=10)
    return Result(
        latency, total, sent, naive, naive_cpu_ms, ceiling, throughput, cpu_ms, lateness,
        delivered, refused,
    )  # fmt: skip


def report(result: Result, database: str) -> None:
    p50, p99 = percentile(result.lateness, 50), percentile(result.lateness, 99)
    print(
        f"\nWeb Push dispatch, {result.total} notifications due at one instant ({database}), "
        f"push service answering after {result.latency * 1000:.0f} ms"
    )
    print(f"  naive pywebpush.webpush() loop : {result.naive:8.0f} /s")
    print(f"  crypto-only ceiling (no HTTP)  : {result.ceiling:8.0f} /s")
    print(
        f"  Aftercare dispatcher           : {result.throughput:8.0f} /s"
        f"   (sent {result.sent} of {result.total})"
    )
    print(f"  dispatcher / naive             : {result.throughput / result.naive:8.1f} x")
    print(f"  dispatcher / crypto ceiling    : {result.throughput / result.ceiling:8.2f}")
    naive_ms, ours_ms = result.naive_cpu_ms, result.dispatcher_cpu_ms
    print(
        f"  CPU per message naive / ours   : {naive_ms:.3f} ms / {ours_ms:.3f} ms"
        f" = {naive_ms / ours_ms:.1f} x"
    )
    print(f"  lateness p50 / p99             : {p50:6.2f} s / {p99:6.2f} s")
    print(f"  mean lateness                  : {statistics.fmean(result.lateness):6.2f} s")
    print(f"  push service: {result.delivered} delivered, {result.refused} refused")


def as_json(result: Result, database: str) -> dict[str, Any]:
    """One run's figures for bench/results/push_throughput.json (lateness in seconds)."""
    lateness = result.lateness
    return {
        "database": database,
        "latency_ms": result.latency * 1000,
        "due": result.total,
        "sent": result.sent,
        "naive_per_s": result.naive,
        "crypto_ceiling_per_s": result.ceiling,
        "dispatcher_per_s": result.throughput,
        "dispatcher_over_naive": result.throughput / result.naive,
        "dispatcher_over_ceiling": result.throughput / result.ceiling,
        # The sender's own CPU per message: what bounds each side when neither waits.
        "naive_cpu_ms": result.naive_cpu_ms,
        "dispatcher_cpu_ms": result.dispatcher_cpu_ms,
        "naive_cpu_over_dispatcher": result.naive_cpu_ms / result.dispatcher_cpu_ms,
        "lateness_s": {f"p{p}": percentile(lateness, p) for p in (10, 25, 50, 75, 90, 99, 100)}
        | {"mean": statistics.fmean(lateness) if lateness else float("nan")},
        "delivered": result.delivered,
        "refused": result.refused,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000, help="notifications due at once")
    parser.add_argument("--naive", type=int, default=300, help="messages for the naive loop")
    parser.add_argument(
        "--latency-ms",
        type=float,
        action="append",
        help="push service answer time; repeat for several runs (default: 0 and 30)",
    )
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    database = (args.database_url or "sqlite").split(":")[0].split("+")[0]
    started, began = machine(), time.perf_counter()
    print(describe(started))
    runs = []
    for latency_ms in args.latency_ms or [0.0, 30.0]:
        # A sequential loop pays the round trip per message: fewer messages keep it short.
        naive_count = args.naive if latency_ms == 0 else max(30, int(3000 / latency_ms))
        result = run(
            rows=args.rows,
            naive_count=naive_count,
            latency=latency_ms / 1000,
            database_url=args.database_url,
        )
        report(result, database)
        runs.append(as_json(result, database) | {"naive_count": naive_count})
    path = write_results(
        "push_throughput",
        {
            "benchmark": "push_throughput",
            "machine": started,
            "load_average_end": machine()["load_average"],
            "wall_seconds": time.perf_counter() - began,
            "rows": args.rows,
            "results": runs,
        },
    )
    print(f"\nresults: {path}")


if __name__ == "__main__":
    main()
