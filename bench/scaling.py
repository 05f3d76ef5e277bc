"""Benchmark: how each cost grows from one clinic's 1,000 patients up, beside baselines.

Run: .venv/bin/python -m bench.scaling [--sizes 1000 10000] [--full] [--postgres URL]
     [--workers 1 2 4] [--dispatch-rows 6000] [--detail-at 10000] [--runs 20]
--full adds 100,000 patients (plan computation at 10,000): about 15 minutes more here.

Curves, each with a baseline timed in the same run, so the ratio holds on a shared machine:
- plan computation (pure app.careplan, no database): patients/s for a batch of varied
  patients (zones, hours, stockings, re-treatments), beside a trivial loop that walks the
  same inputs and builds an output list of the same length without applying any rule;
- for each size and each database (a temporary SQLite file; a throwaway PostgreSQL database
  when --postgres answers), one clinic seeded as bench.patient_list seeds it, then p50/p99 of
  the clinic list's first page (by name, and by worst adherence, which ranks every patient),
  of the adherence overview, and of `SELECT 1`; then enrolment through the real service
  (plan, occurrences, outbox, link: one transaction per patient) into that full clinic, beside
  a one-row write transaction; at --detail-at patients bench.patient_list's whole query set
  runs on the same database (writing patient_list.json);
- dispatch throughput on PostgreSQL for 1, 2 and 4 `aftercare worker` processes draining the
  same burst (every reminder due at one instant) to the loopback push service (its own
  process; it checks VAPID and decrypts every message), beside one worker.
Growth between sizes is printed as an exponent k (time ~ N^k): k near 0 is a page that costs
the same whatever the clinic's size, 1 is linear, above 1.1 is flagged as faster than linear.
Results: bench/results/scaling.json (and patient_list.json).
"""

from __future__ import annotations

import argparse
import itertools
import math
import multiprocessing
import os
import random
import select as io_select
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from sqlalchemy import text, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, func, select

from app.adherence.service import overview
from app.careplan.plan import compute_plan
from app.careplan.types import Preferences, TreatmentSession
from app.clinics.models import Clinic
from app.config import Settings
from app.db import make_engine, session_factory, transaction
from app.enrolment.service import create_patient
from app.migrate import upgrade_to_head
from app.notifications.models import OutboxKind, OutboxMessage, OutboxStatus
from app.notifications.vapid import load_or_create
from app.patient_list import listing
from app.patient_list.listing import PatientFilter
from app.patients.models import PatientCreate
from app.protocols.loader import Protocol, load_protocol
from app.staff.models import StaffUser
from app.tasks.models import Occurrence
from bench import patient_list
from bench.common import describe, machine, percentile, rate, reachable, write_results
from bench.push_throughput import REMINDERS_PER_PATIENT, enrol

NOW = patient_list.NOW  # the seeded clinic's "now"
PAGE = patient_list.PAGE
ZONES = ("Europe/London", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney")
SUPERLINEAR = 1.1  # a growth exponent above this is flagged
BUDGET_S = 10.0  # seconds of timed runs per figure and size, at most (after MIN_RUNS)
MIN_RUNS = 5


# --- plan computation -----------------------------------------------------------------------


@dataclass(frozen=True)
class PlanInput:
    treatments: list[TreatmentSession]
    preferences: Preferences


def plan_inputs(count: int, rng: random.Random) -> list[PlanInput]:
    """Varied patients: zone, treatment hour and age, stockings, a fifth re-treated."""
    inputs = []
    for _ in range(count):
        first = (NOW - timedelta(days=rng.randrange(0, 56))).replace(
            hour=rng.choice((8, 9, 10, 11, 14, 15, 16)), minute=rng.choice((0, 15, 30, 45))
        )
        treated = [first]
        if rng.random() < 0.2:
            treated.append(first + timedelta(days=14))
        inputs.append(
            PlanInput(
                [TreatmentSession(performed_at=at) for at in treated],
                Preferences(
                    time_zone=rng.choice(ZONES),
                    wake_time=clock_time(rng.choice((6, 7, 8)), rng.choice((0, 30))),
                    bed_time=clock_time(rng.choice((21, 22, 23)), 0),
                    stockings_advised=rng.random() < 0.6,
                ),
            )
        )
    return inputs


def measure_plans(protocol: Protocol, count: int) -> dict[str, Any]:
    """Plans for `count` patients, beside a loop over the same inputs building same-size lists."""
    inputs = plan_inputs(count, random.Random(count))  # noqa: S311 - test data
    compute_plan(protocol, inputs[0].treatments, inputs[0].preferences)  # warm caches, imports
    started, cpu = time.perf_counter(), time.process_time()
    lengths = [len(compute_plan(protocol, p.treatments, p.preferences)) for p in inputs]
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    occurrences = sum(lengths)

    # The baseline walks the same inputs and builds an output list of the same length.
    trivial_started, trivial_cpu = time.perf_counter(), time.process_time()
    made = 0
    for p, n in zip(inputs, lengths, strict=True):
        made += len([(p.preferences.time_zone, k) for k in range(n)])
    trivial_seconds = time.perf_counter() - trivial_started
    trivial_cpu_seconds = time.process_time() - trivial_cpu
    assert made == occurrences
    result = {
        "patients": count,
        "occurrences": occurrences,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "patients_per_s": rate(count, seconds),
        "patients_per_cpu_s": rate(count, cpu_seconds),
        "occurrences_per_s": rate(occurrences, seconds),
        "trivial_seconds": trivial_seconds,
        "ratio_to_trivial": seconds / trivial_seconds,
        "cpu_ratio_to_trivial": cpu_seconds / max(trivial_cpu_seconds, 1e-9),
    }
    print(
        f"  plans for {count:>7} patients: {result['patients_per_s']:8.0f} patients/s "
        f"({result['patients_per_cpu_s']:.0f} per CPU-second, {occurrences / count:.0f} "
        f"occurrences each), {result['ratio_to_trivial']:.0f} x the trivial loop",
        flush=True,
    )
    return result


# --- the clinic's list, overview and enrolment at a size --------------------------------------


def timed(work: Callable[[], object], runs: int) -> dict[str, float]:
    """p50/p99 in ms of up to `runs` runs after one warm-up; a slow figure stops after
    BUDGET_S of runs (at least MIN_RUNS, or 3 when one run outlasts the budget: the p99 of
    so few runs is their maximum)."""
    began = time.perf_counter()
    work()
    least = 3 if time.perf_counter() - began > BUDGET_S else MIN_RUNS
    spent: list[float] = []
    began = time.perf_counter()
    while len(spent) < runs and (len(spent) < least or time.perf_counter() - began < BUDGET_S):
        started = time.perf_counter()
        work()
        spent.append((time.perf_counter() - started) * 1000)
    spent.sort()
    return {"p50_ms": percentile(spent, 50), "p99_ms": percentile(spent, 99), "runs": len(spent)}


def write_baseline(engine: Engine, count: int) -> dict[str, float]:
    """One-row write transactions (own table): the floor under any enrolment."""
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE bench_write (id INTEGER PRIMARY KEY, note TEXT)"))
    spent = []
    for n in range(count):
        started = time.perf_counter()
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO bench_write VALUES (:id, 'x')"), {"id": n})
        spent.append((time.perf_counter() - started) * 1000)
    spent.sort()
    return {"p50_ms": percentile(spent, 50), "mean_ms": sum(spent) / len(spent)}


def measure_enrolment(
    engine: Engine, *, settings: Settings, clinic_id: uuid.UUID, count: int
) -> dict[str, Any]:
    """`count` patients enrolled through the service, one transaction each, into the clinic."""
    factory = session_factory(engine)
    protocol = load_protocol(settings.protocol)
    rng = random.Random(7)  # noqa: S311 - test data
    baseline = write_baseline(engine, count)
    spent = []
    for n in range(count):
        data = PatientCreate.model_validate(
            {
                "name": f"Enrolled {n:05d}",
                "time_zone": rng.choice(ZONES),
                "stockings_advised": rng.random() < 0.6,
                "treatment": {"performed_at": (NOW - timedelta(hours=rng.randrange(1, 240)))},
                "doppler_checked": True,
            }
        )
        started = time.perf_counter()
        with transaction(factory) as session:
            clinic = session.get(Clinic, clinic_id)
            staff = session.exec(select(StaffUser).where(StaffUser.clinic_id == clinic_id)).first()
            assert clinic is not None
            create_patient(
                session, clinic=clinic, data=data, protocol=protocol, staff=staff, now=NOW,
                settings=settings,
            )  # fmt: skip
        spent.append((time.perf_counter() - started) * 1000)
    total = sum(spent) / 1000
    spent.sort()
    return {
        "patients": count,
        "seconds": total,
        "patients_per_s": rate(count, total),
        "p50_ms": percentile(spent, 50),
        "p99_ms": percentile(spent, 99),
        "write_txn_p50_ms": baseline["p50_ms"],
        "ratio_to_write_txn": (total * 1000 / count) / baseline["mean_ms"],
    }


def measure_size(
    url: str, *, patients: int, runs: int, enrol_count: int, detail: bool, tmp: Path
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Seed one clinic of `patients` at `url`; its curve points (and the detailed list)."""
    settings = patient_list.settings_for(url, tmp)
    keys = load_or_create(settings.vapid_private_key_file, create=True)
    engine = make_engine(url)
    upgrade_to_head(engine)
    database = engine.dialect.name
    print(f"\n{database}, {patients} patients: seeding ...", flush=True)
    started = time.perf_counter()
    clinic_id = patient_list.seed(engine, patients=patients, key_id=keys.key_id)
    seeding = time.perf_counter() - started
    factory = session_factory(engine)
    protocol = load_protocol(settings.protocol)
    with factory() as session:
        occurrences = session.exec(select(func.count()).select_from(Occurrence)).one()

    def page(sort: listing.SortOrder) -> Callable[[], object]:
        chosen = PatientFilter(clinic_id=clinic_id, key_id=keys.key_id, sort=sort)
        return patient_list.in_session(
            factory, lambda s: listing.list_page(s, filters=chosen, now=NOW, limit=PAGE, offset=0)
        )

    point: dict[str, Any] = {
        "patients": patients,
        "occurrences": occurrences,
        "seed_seconds": seeding,
        "select_1": timed(
            patient_list.in_session(factory, lambda s: s.execute(text("SELECT 1"))), runs
        ),
        "first_page": timed(page("name"), runs),
        "first_page_worst_adherence": timed(page("-adherence"), runs),
        "overview": timed(
            patient_list.in_session(
                factory,
                lambda s: overview(s, clinic_id=clinic_id, protocol=protocol, now=NOW),
            ),
            runs,
        ),
    }
    base = point["select_1"]["p50_ms"]
    for label in ("first_page", "first_page_worst_adherence", "overview"):
        point[label]["p50_ratio"] = point[label]["p50_ms"] / base
        print(
            f"  {label:<28} p50 {point[label]['p50_ms']:9.2f} ms  p99 "
            f"{point[label]['p99_ms']:9.2f} ms  {point[label]['p50_ratio']:8.0f} x SELECT 1",
            flush=True,
        )
    detailed = None
    if detail:
        detailed = patient_list.measure_seeded(
            engine, settings=settings, key_id=keys.key_id, clinic_id=clinic_id,
            patients=patients, runs=runs,
        ) | {"seed_seconds": seeding}  # fmt: skip
    point["enrolment"] = measure_enrolment(
        engine, settings=settings, clinic_id=clinic_id, count=enrol_count
    )
    enrolled = point["enrolment"]
    print(
        f"  enrolment (service, own txn)  {enrolled['patients_per_s']:8.1f} patients/s, "
        f"p50 {enrolled['p50_ms']:.1f} ms, {enrolled['ratio_to_write_txn']:.0f} x a one-row "
        f"write transaction ({enrolled['write_txn_p50_ms']:.2f} ms)",
        flush=True,
    )
    engine.dispose()
    return point, detailed


def growth(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Exponent k in time ~ N^k between consecutive sizes, for each timed figure."""
    rows = []
    for small, large in itertools.pairwise(points):
        ratio_n = large["patients"] / small["patients"]
        for label in ("first_page", "first_page_worst_adherence", "overview", "select_1"):
            t1, t2 = small[label]["p50_ms"], large[label]["p50_ms"]
            k = math.log(t2 / t1) / math.log(ratio_n) if t1 > 0 and t2 > 0 else float("nan")
            rows.append(
                {"figure": label, "from": small["patients"], "to": large["patients"],
                 "time_ratio": t2 / t1, "exponent": k, "superlinear": k > SUPERLINEAR}
            )  # fmt: skip
        t1 = 1000 / small["enrolment"]["patients_per_s"]
        t2 = 1000 / large["enrolment"]["patients_per_s"]
        rows.append(
            {"figure": "enrolment (per patient)", "from": small["patients"],
             "to": large["patients"], "time_ratio": t2 / t1,
             "exponent": math.log(t2 / t1) / math.log(ratio_n), "superlinear": False}
        )  # fmt: skip
    return rows


# --- dispatch with several worker processes (PostgreSQL) --------------------------------------


def push_receiver(conn: Connection, subscriptions: int, latency: float) -> None:
    """The loopback push service in its own process; answers "count" until "stop"."""
    from tests.support.push_service import FakePushService

    with FakePushService(latency=latency) as push:
        conn.send([push.subscribe().to_json() for _ in range(subscriptions)])
        while conn.recv() == "count":
            conn.send((len(push.deliveries()), len(push.rejections)))


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a live process, from /proc (NaN where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_worker(env: dict[str, str]) -> subprocess.Popen[str]:
    """`aftercare worker`, waited for until it says it is running (imports take seconds)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = io_select.select([process.stdout], [], [], 1.0)
        if ready and "dispatcher running" in process.stdout.readline():
            return process
        if process.poll() is not None:
            break
    process.kill()
    raise RuntimeError("an aftercare worker did not start")


def stop_workers(processes: list[subprocess.Popen[str]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def arm(factory: sessionmaker[Session], due: datetime) -> None:
    """Every reminder back to pending, due at `due` (a bench-only rewrite, as in
    bench.push_throughput), useful for a day: each round drains the same burst."""
    with transaction(factory) as session:
        session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.kind) == OutboxKind.REMINDER)
            .values(
                status=OutboxStatus.PENDING, due_at=due, next_attempt_at=due, attempts=0,
                sent_at=None, lease_until=None, last_error="",
                expires_at=due + timedelta(days=1),
            )
        )  # fmt: skip


def dispatch_round(
    factory: sessionmaker[Session],
    env: dict[str, str],
    workers: int,
    total: int,
    conn: Connection,
) -> dict[str, Any]:
    """Start `workers` idle processes, make every reminder due at once, time the drain."""
    arm(factory, datetime.now(UTC) + timedelta(days=1))  # idle until every worker is up
    processes = [start_worker(env) for _ in range(workers)]
    try:
        conn.send("count")
        delivered_before, _ = conn.recv()
        cpu_before = [cpu_seconds(p.pid) for p in processes]
        due = datetime.now(UTC)
        arm(factory, due)
        deadline = time.monotonic() + max(120.0, total / 50)
        sent = 0
        while time.monotonic() < deadline:
            with factory() as session:
                sent = session.exec(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(col(OutboxMessage.status) == OutboxStatus.SENT)
                ).one()
            if sent >= total:
                break
            time.sleep(0.25)
        cpu = sum(cpu_seconds(p.pid) for p in processes) - sum(cpu_before)
    finally:
        stop_workers(processes)
    with factory() as session:
        stamps = session.exec(
            select(OutboxMessage.sent_at).where(col(OutboxMessage.status) == OutboxStatus.SENT)
        ).all()
    conn.send("count")
    delivered_after, refused = conn.recv()
    lateness = sorted((at - due).total_seconds() for at in stamps if at is not None)
    drained = lateness[-1] if lateness else float("nan")
    result = {
        "workers": workers,
        "due": total,
        "sent": sent,
        "delivered": delivered_after - delivered_before,
        "refused": refused,
        "drain_seconds": drained,
        "per_s": rate(len(lateness), drained),
        "lateness_p50_s": percentile(lateness, 50),
        "lateness_p99_s": percentile(lateness, 99),
        "worker_cpu_ms_per_sent": cpu * 1000 / max(1, len(lateness)),
    }
    print(
        f"  {workers} worker(s): {result['per_s']:7.0f} /s, {result['sent']} of {total} sent "
        f"({result['delivered']} delivered) in {drained:.1f} s, lateness p99 "
        f"{result['lateness_p99_s']:.1f} s, {result['worker_cpu_ms_per_sent']:.2f} ms worker "
        f"CPU per message",
        flush=True,
    )
    return result


def measure_dispatch(
    server: str, *, rows: int, workers: list[int], latency: float, tmp: Path
) -> dict[str, Any]:
    patients = max(1, rows // REMINDERS_PER_PATIENT)
    parent, child = multiprocessing.Pipe()
    service = multiprocessing.Process(
        target=push_receiver, args=(child, patients, latency), daemon=True
    )
    service.start()
    subs: list[dict[str, Any]] = parent.recv()
    try:
        with patient_list.throwaway_postgres(server) as url:
            settings = Settings(
                database_url=url,
                vapid_private_key_file=tmp / "dispatch-vapid.pem",
                vapid_subject="mailto:bench@aftercare.example",
                dispatcher_enabled=False,
                _env_file=None,
            )
            keys = load_or_create(settings.vapid_private_key_file, create=True)
            print(f"\npostgresql dispatch: enrolling {patients} patients ...", flush=True)
            total = enrol(settings, subs, keys.key_id)
            engine = make_engine(url)
            factory = session_factory(engine)
            env = os.environ | {
                "AFTERCARE_DATABASE_URL": url,
                "AFTERCARE_VAPID_PRIVATE_KEY_FILE": str(settings.vapid_private_key_file),
                "AFTERCARE_VAPID_SUBJECT": settings.vapid_subject,
                "AFTERCARE_DISPATCHER_ENABLED": "true",
            }
            print(
                f"  {total} reminders due at once, push service answering after "
                f"{latency * 1000:.0f} ms; production dispatch settings",
                flush=True,
            )
            rounds = [dispatch_round(factory, env, n, total, parent) for n in workers]
            engine.dispose()
    finally:
        parent.send("stop")
        service.join(timeout=10)
    one = next((r["per_s"] for r in rounds if r["workers"] == 1), rounds[0]["per_s"])
    for r in rounds:
        r["ratio_to_one"] = r["per_s"] / one
    return {"rows": total, "latency_ms": latency * 1000, "rounds": rounds}


# --- the whole run ---------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--full", action="store_true", help="add 100,000 patients")
    parser.add_argument("--plan-sizes", type=int, nargs="+", default=[200, 1_000])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--enrol", type=int, default=60, help="patients enrolled per point")
    parser.add_argument("--detail-at", type=int, default=10_000, help="0: no patient_list run")
    parser.add_argument("--postgres", default=None, help="a PostgreSQL server URL")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--dispatch-rows", type=int, default=6_000)
    parser.add_argument("--latency-ms", type=float, default=30.0, help="push service answer time")
    parser.add_argument("--no-dispatch", action="store_true", help="skip the worker processes")
    parser.add_argument("--results", default="scaling", help="file name under bench/results")
    args = parser.parse_args()
    sizes = sorted(set(args.sizes) | ({100_000} if args.full else set()))
    plan_sizes = sorted(set(args.plan_sizes) | ({10_000} if args.full else set()))
    started, began = machine(), time.perf_counter()
    print(describe(started))
    postgres = args.postgres if args.postgres and reachable(args.postgres) else None
    if args.postgres and postgres is None:
        print(f"PostgreSQL at {args.postgres}: no answer, its part is skipped")

    print("\nPlan computation (pure app.careplan)", flush=True)
    protocol = load_protocol()
    plans = [measure_plans(protocol, n) for n in plan_sizes]

    databases: dict[str, list[dict[str, Any]]] = {}
    detailed: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="aftercare-scaling-") as name:
        tmp = Path(name)
        for database in ("sqlite", "postgresql") if postgres else ("sqlite",):
            for size in sizes:
                detail = size == args.detail_at
                options = {
                    "patients": size, "runs": args.runs, "enrol_count": args.enrol,
                    "detail": detail, "tmp": tmp,
                }  # fmt: skip
                if database == "sqlite":
                    db_file = tmp / f"scaling-{size}.db"
                    point, more = measure_size(f"sqlite:///{db_file}", **options)
                    db_file.unlink()
                else:
                    assert postgres is not None
                    with patient_list.throwaway_postgres(postgres) as url:
                        point, more = measure_size(url, **options)
                databases.setdefault(database, []).append(point)
                if more:
                    detailed.append(more)
        dispatch = (
            measure_dispatch(
                postgres, rows=args.dispatch_rows, workers=args.workers,
                latency=args.latency_ms / 1000, tmp=tmp,
            )
            if postgres and not args.no_dispatch
            else None
        )  # fmt: skip

    growths = {db: growth(points) for db, points in databases.items()}
    print("\nGrowth between sizes (time ~ N^k; k > 1.1 is faster than linear)")
    for db, rows in growths.items():
        for row in rows:
            flag = "  FASTER THAN LINEAR" if row["superlinear"] else ""
            print(
                f"  {db:<10} {row['figure']:<28} {row['from']:>6} -> {row['to']:<6} "
                f"x{row['time_ratio']:7.2f}  k = {row['exponent']:5.2f}{flag}"
            )
    wall = time.perf_counter() - began
    if detailed:
        patient_list.write(detailed, started=started, wall=wall)
    path = write_results(
        args.results,
        {
            "benchmark": "scaling",
            "machine": started,
            "load_average_end": machine()["load_average"],
            "wall_seconds": wall,
            "full": args.full,
            "sizes": sizes,
            "plan": plans,
            "databases": databases,
            "growth": growths,
            "dispatch": dispatch,
            "postgres": bool(postgres),
        },
    )
    print(f"\nresults: {path}")


if __name__ == "__main__":
    main()
