"""Benchmark: the first page of the clinic's patient list, with adherence, beside `SELECT 1`.

Run: .venv/bin/python -m bench.patient_list [--patients 10000] [--runs 30] [--postgres URL]
(bench.scaling runs the same measurement on its own seeded databases at --detail-at patients.)
One clinic with N patients treated over the last eight weeks (their real plans from the
protocol, a fifth re-treated at day 14, each patient ticking a share of the tasks due), some
push devices, open alerts and recent activity, bulk-inserted into a temporary SQLite file,
and into a throwaway PostgreSQL database too when a server URL is given. Every query runs in
a fresh session, as a request does; the trivial query in the same run is the baseline, so the
ratio holds on a noisy machine. The target is a first page under 150 ms.
Results: bench/results/patient_list.json.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import Table, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, SQLModel, col, select

from app.careplan.plan import compute_plan
from app.careplan.types import PlannedOccurrence, Preferences, TreatmentSession
from app.clock import FixedClock
from app.config import Settings
from app.db import make_engine, normalise_url, session_factory
from app.main import create_app
from app.migrate import upgrade_to_head
from app.notifications.models import PushSubscription
from app.notifications.vapid import load_or_create
from app.patient_list import listing
from app.patient_list.listing import PatientFilter, SortOrder
from app.patients.models import Patient, Treatment
from app.protocols.loader import Protocol, load_protocol
from app.reports.models import Alert
from app.tasks.models import Occurrence, OccurrenceStatus
from app.tasks.treatment_day import TreatmentDays
from bench.common import describe, machine, percentile, write_results
from tests.support.api import log_in
from tests.support.factories import make_clinic_with_staff

NOW = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")
PAGE = 50
TARGET_MS = 150.0
SORTS: tuple[SortOrder, ...] = (
    "name", "-last_treatment", "next_follow_up", "-last_active", "adherence", "-adherence",
    "-open_alerts",
)  # fmt: skip
FILTERS: dict[str, dict[str, Any]] = {
    "q=ada": {"query": "ada"},
    "reminders=off": {"reminders": "off"},
    "alerts=open": {"alerts": "open"},
}
FIRST = ("Ada", "Ben", "Cara", "Dev", "Elif", "Femi", "Gwen", "Hugo", "Ines", "Jon", "Kiri")
LAST = ("Able", "Brook", "Chen", "Dunn", "Evans", "Fox", "Green", "Hale", "Ito", "Jones")
BATCH = 20_000
# Rows are built and inserted this many patients at a time: 100,000 patients' five million
# occurrences held at once would take gigabytes.
CHUNK = 2_000


@dataclass(frozen=True)
class Template:
    """One way of being treated: how long ago, at what hour, stockings, re-treated or not."""

    days_ago: int
    hour: int
    stockings: bool
    retreated: bool


def _plan(
    protocol: Protocol, template: Template
) -> tuple[list[datetime], list[tuple[PlannedOccurrence, int | None]]]:
    """The template's treatment instants, and its plan with each item's day after treatment."""
    first = (NOW - timedelta(days=template.days_ago)).replace(hour=template.hour, minute=0)
    treatments = [first]
    if template.retreated:
        treatments.append(first + timedelta(days=14))
    plan = compute_plan(
        protocol,
        [TreatmentSession(performed_at=at) for at in treatments],
        Preferences(time_zone=LONDON.key, stockings_advised=template.stockings),
    )
    days = TreatmentDays(treatments, LONDON)
    return treatments, [(item, days.of(item.due_at)) for item in plan]


def _insert(engine: Engine, table: Table, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as connection:
        for start in range(0, len(rows), BATCH):
            connection.execute(table.insert(), rows[start : start + BATCH])


def seed(engine: Engine, *, patients: int, key_id: str) -> uuid.UUID:
    """Bulk-insert one clinic's patients with their treatments, plans and ticks; the clinic."""
    rng = random.Random(20260327)  # noqa: S311 - repeatable test data, not secrets
    protocol = load_protocol()
    clinic, _ = make_clinic_with_staff(session_factory(engine), now=NOW - timedelta(days=90))
    plans: dict[Template, tuple[list[datetime], list[tuple[PlannedOccurrence, int | None]]]] = {}
    people: list[dict[str, Any]] = []
    treatments: list[dict[str, Any]] = []
    occurrences: list[dict[str, Any]] = []
    devices: list[dict[str, Any]] = []
    alerts: list[dict[str, Any]] = []
    inserted = {"patients": 0, "occurrences": 0, "devices": 0, "alerts": 0}

    def flush() -> None:
        inserted["patients"] += len(people)
        inserted["occurrences"] += len(occurrences)
        inserted["devices"] += len(devices)
        inserted["alerts"] += len(alerts)
        tables = (
            (Patient, people), (Treatment, treatments), (Occurrence, occurrences),
            (PushSubscription, devices), (Alert, alerts),
        )  # fmt: skip
        for model, rows in tables:
            _insert(engine, SQLModel.metadata.tables[model.__tablename__], rows)
            rows.clear()

    for n in range(patients):
        if n and n % CHUNK == 0:
            flush()
        days_ago = rng.randrange(0, 56)
        template = Template(
            days_ago=days_ago,
            hour=rng.choice((8, 9, 10, 11, 14, 15, 16)),
            stockings=rng.random() < 0.6,
            retreated=days_ago >= 15 and rng.random() < 0.2,
        )
        if template not in plans:
            plans[template] = _plan(protocol, template)
        treated_at, plan = plans[template]
        patient_id = uuid.uuid4()
        enrolled = treated_at[0]
        active = rng.random() < 0.6
        people.append(
            {
                "id": patient_id, "clinic_id": clinic.id,
                "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}-{n:05d}",
                "phone": None, "time_zone": LONDON.key, "wake_time": clock_time(7, 30),
                "bed_time": clock_time(22, 0), "stockings_advised": template.stockings,
                "show_task_titles": False, "protocol": protocol.name,
                "protocol_version": protocol.version,
                "doppler_checked_at": enrolled if rng.random() < 0.9 else None,
                "doppler_checked_by": None,
                "last_active_at": NOW - timedelta(minutes=rng.randrange(1, 20_000))
                if active else None,
                "created_at": enrolled, "updated_at": enrolled,
            }
        )  # fmt: skip
        for number, performed_at in enumerate(treated_at, start=1):
            treatments.append(
                {
                    "id": uuid.uuid4(), "patient_id": patient_id, "number": number,
                    "performed_at": performed_at,
                    "method": "sclerotherapy", "notes": "", "recorded_by": None,
                    "created_at": performed_at,
                }
            )  # fmt: skip
        diligence = rng.uniform(0.3, 1.0)
        for item, treatment_day in plan:
            done = item.kind == "task" and item.due_at <= NOW and rng.random() < diligence
            occurrences.append(
                {
                    "id": uuid.uuid4(), "patient_id": patient_id, "key": item.key,
                    "task": item.task, "kind": item.kind, "title": item.title,
                    "instructions": item.instructions, "due_at": item.due_at,
                    "window_end": item.window_end, "notifies": item.notifies,
                    "remind_at": item.remind_at, "rank": item.rank,
                    "status": OccurrenceStatus.DONE if done else OccurrenceStatus.PENDING,
                    "completed_at": item.due_at if done else None,
                    "treatment_day": treatment_day,
                    "created_at": enrolled, "updated_at": enrolled,
                }
            )  # fmt: skip
        if active and rng.random() < 0.8:
            devices.append(
                {
                    "id": uuid.uuid4(), "patient_id": patient_id, "staff_id": None,
                    "device_session_id": None,
                    "endpoint": f"https://push.example.net/send/{uuid.uuid4().hex}",
                    "p256dh": "x" * 87, "auth": "y" * 22,
                    "vapid_key_id": key_id if rng.random() < 0.95 else "old-key",
                    "expiration_at": None, "created_at": enrolled, "last_success_at": None,
                }
            )  # fmt: skip
        if rng.random() < 0.03:
            alerts.append(
                {
                    "id": uuid.uuid4(), "clinic_id": clinic.id, "patient_id": patient_id,
                    "report_id": None, "level": rng.choice(("urgent", "emergency")),
                    "status": "open", "created_at": NOW - timedelta(hours=3),
                    "escalate_at": None, "escalated_at": None, "acknowledged_at": None,
                    "acknowledged_by": None, "acknowledgement_note": "",
                }
            )  # fmt: skip
    flush()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))  # what autovacuum would have done by now
    print(
        f"  seeded {inserted['patients']} patients, {inserted['occurrences']} occurrences, "
        f"{inserted['devices']} devices, {inserted['alerts']} open alerts "
        f"({len(plans)} distinct plans)",
        flush=True,
    )
    return clinic.id


def timings(work: Callable[[], object], runs: int) -> list[float]:
    """Milliseconds per run, sorted; two more runs first warm the caches, uncounted."""
    spent = []
    for n in range(runs + 2):
        started = time.perf_counter()
        work()
        if n >= 2:
            spent.append((time.perf_counter() - started) * 1000)
    return sorted(spent)


def in_session(
    factory: sessionmaker[Session], work: Callable[[Session], object]
) -> Callable[[], object]:
    """`work` in a fresh session, as a request runs it (connection checkout included)."""

    def run() -> object:
        with factory() as session:
            return work(session)

    return run


def line(label: str, spent: list[float], baseline: float) -> dict[str, float]:
    """Print one query's figures; return them for the results file."""
    p50, p99 = percentile(spent, 50), percentile(spent, 99)
    print(f"  {label:<34} p50 {p50:8.2f} ms   p99 {p99:8.2f} ms   {p50 / baseline:8.0f} x")
    return {"p50_ms": p50, "p99_ms": p99, "runs": len(spent), "p50_ratio": p50 / baseline}


def settings_for(url: str, tmp: Path) -> Settings:
    return Settings(
        database_url=url,
        vapid_private_key_file=tmp / "vapid.pem",
        public_url="http://testserver",
        dispatcher_enabled=False,
        _env_file=None,
    )


def measure(url: str, *, patients: int, runs: int, tmp: Path) -> dict[str, Any]:
    """Seed a fresh database at `url`, then time the list on it."""
    settings = settings_for(url, tmp)
    keys = load_or_create(settings.vapid_private_key_file, create=True)
    engine = make_engine(url)
    upgrade_to_head(engine)
    print(f"\n{engine.dialect.name}: seeding ...", flush=True)
    started = time.perf_counter()
    clinic_id = seed(engine, patients=patients, key_id=keys.key_id)
    seeding = time.perf_counter() - started
    print(f"  seeding took {seeding:.1f} s", flush=True)
    result = measure_seeded(
        engine, settings=settings, key_id=keys.key_id, clinic_id=clinic_id,
        patients=patients, runs=runs,
    )  # fmt: skip
    engine.dispose()
    return result | {"seed_seconds": seeding}


def measure_seeded(
    engine: Engine,
    *,
    settings: Settings,
    key_id: str,
    clinic_id: uuid.UUID,
    patients: int,
    runs: int,
) -> dict[str, Any]:
    """Time the list's queries on a database `seed` filled; print them and return them."""
    database = engine.dialect.name
    factory = session_factory(engine)

    def page(sort: SortOrder, **narrowed: Any) -> Callable[[Session], object]:
        chosen = PatientFilter(clinic_id=clinic_id, key_id=key_id, sort=sort, **narrowed)
        return lambda s: listing.list_page(s, filters=chosen, now=NOW, limit=PAGE, offset=0)

    def names_only(session: Session) -> object:
        return session.exec(
            select(Patient.id, Patient.name)
            .where(Patient.clinic_id == clinic_id)
            .order_by(col(Patient.name))
            .limit(PAGE)
        ).all()

    baseline = timings(in_session(factory, lambda s: s.execute(text("SELECT 1")).one()), runs)
    base50 = percentile(baseline, 50)
    first = timings(in_session(factory, page("name")), runs)
    print(f"\nPatient list, {patients} patients ({database}), {runs} runs, ratio to SELECT 1")
    queries: dict[str, dict[str, float]] = {}
    queries["SELECT 1 (baseline)"] = line("SELECT 1 (baseline)", baseline, base50)
    names = timings(in_session(factory, names_only), runs)
    queries["50 names, no figures"] = line("50 names, no figures", names, base50)
    queries["first page, sort=name"] = line("first page, by name (default)", first, base50)
    for sort in SORTS[1:]:
        spent = timings(in_session(factory, page(sort)), max(5, runs // 3))
        queries[f"first page, sort={sort}"] = line(f"first page, sort={sort}", spent, base50)
    for label, narrowed in FILTERS.items():
        spent = timings(in_session(factory, page("name", **narrowed)), max(5, runs // 3))
        queries[f"first page, {label}"] = line(f"first page, {label}", spent, base50)
    with factory() as session:
        everyone = PatientFilter(clinic_id=clinic_id, key_id=key_id)
        started = time.perf_counter()
        rows = listing.list_all(session, filters=everyone, now=NOW)
        csv_seconds = time.perf_counter() - started
        print(f"  CSV rows for all {len(rows)} patients: {csv_seconds:.2f} s")
    with TestClient(create_app(settings, clock=FixedClock(NOW), engine=engine)) as client:
        log_in(client)
        http = timings(lambda: client.get("/api/patients").raise_for_status(), runs)
        queries["GET /api/patients (whole request)"] = line(
            "GET /api/patients (whole request)", http, base50
        )
    verdict = "meets" if percentile(first, 50) < TARGET_MS else "MISSES"
    print(
        f"  first page p50 {percentile(first, 50):.1f} ms {verdict} the {TARGET_MS:.0f} ms target"
    )
    return {
        "database": database,
        "patients": patients,
        "runs": runs,
        "queries": queries,
        "csv_all_seconds": csv_seconds,
        "target_ms": TARGET_MS,
    }


def write(results: list[dict[str, Any]], *, started: dict[str, Any], wall: float) -> None:
    """bench/results/patient_list.json: one entry per database."""
    path = write_results(
        "patient_list",
        {
            "benchmark": "patient_list",
            "machine": started,
            "load_average_end": machine()["load_average"],
            "wall_seconds": wall,
            "results": results,
        },
    )
    print(f"\nresults: {path}")


@contextmanager
def throwaway_postgres(server: str) -> Iterator[str]:
    """A new database on the server for this run, dropped afterwards."""
    name = f"bench_patient_list_{uuid.uuid4().hex[:10]}"
    admin = make_engine(normalise_url(server), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield (
            make_url(normalise_url(server)).set(database=name).render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL server URL (optional)")
    args = parser.parse_args()
    started, began = machine(), time.perf_counter()
    print(describe(started))
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        results.append(
            measure(
                f"sqlite:///{tmp}/bench.db", patients=args.patients, runs=args.runs, tmp=Path(tmp)
            )
        )
        if args.postgres:
            with throwaway_postgres(args.postgres) as url:
                results.append(measure(url, patients=args.patients, runs=args.runs, tmp=Path(tmp)))
    write(results, started=started, wall=time.perf_counter() - began)


if __name__ == "__main__":
    main()
