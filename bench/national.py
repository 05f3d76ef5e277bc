"""A national chain in simulation: the claim, a patient's day and a clinic's list at 10 M rows.

Run: .venv/bin/python -m bench.national --postgres URL [--template 5000] [--copies 40]
     [--runs 15]
On a throwaway PostgreSQL database: one clinic of --template patients is seeded as
bench.patient_list seeds it (varied treatment days over the last 8 weeks, plans with their
occurrences and ticks, devices, a few open alerts), and each occurrence that notifies gets its
outbox row (sent if its time has passed, pending if not). That is measured; then the clinic is
copied --copies - 1 times in SQL (fresh ids, the same plans: a chain in its steady state, every
clinic's patients spread over their 8 weeks), analysed, and measured again. The defaults make
200,000 patients: 10 M occurrence rows and 9 M outbox rows (about 18 minutes here). Each
figure is the p50 of --runs runs, beside `SELECT 1` timed in the same phase; the growth
between the sizes is what says whether a table needs partitioning.

Measured at each size:
- the dispatcher's claim of 500 rows in the morning wave (claim_due at 07:30 London the next
  morning, with every reminder until then due: 19.5 hours' worth, the backlog of a wave), then
  marking them sent, rolled back so every run finds the same backlog;
- a patient's day (what GET /api/me/tasks?date runs: list_local_days and public_rows);
- a clinic's list, first page by name and by worst adherence (which counts every patient's
  tasks), for one clinic of --template patients;
- the tables' and indexes' sizes.
Results: bench/results/national.json.
"""

from __future__ import annotations

import argparse
import itertools
import random
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.types import Uuid
from sqlmodel import Session, SQLModel, col, select

from app.db import make_engine, session_factory
from app.migrate import upgrade_to_head
from app.notifications.claim import claim_due
from app.notifications.models import OutboxMessage, OutboxStatus
from app.notifications.vapid import load_or_create
from app.patient_list import listing
from app.patient_list.listing import PatientFilter, SortOrder
from app.patients.models import Patient
from app.tasks import service as tasks
from bench import patient_list
from bench.common import describe, machine, percentile, reachable, write_results
from bench.patient_list import PAGE, in_session, throwaway_postgres, timings

NOW = patient_list.NOW  # Fri 27 March 2026 12:00 UTC: the seeded chain's "now"
WAVE = NOW.replace(hour=7, minute=30) + timedelta(days=1)  # the next morning, 07:30 London
BATCH = 500  # the dispatcher's claim (dispatch_batch_size)
# Copied in this order (a row's references first); outbox_message ids come from its sequence.
COPIED = ("clinic", "patient", "treatment", "occurrence", "push_subscription", "alert")
SIZED = ("occurrence", "outbox_message", "patient", "push_subscription")
# Columns that must stay unique per copy: the copy's number is appended.
UNIQUE_TEXT = {("clinic", "name"), ("push_subscription", "endpoint")}


def _copy_columns(table: Table, copy: str) -> tuple[str, str]:
    """The column list and the SELECT list copying `table`'s rows as copy `copy`: every uuid
    id or reference turned into a fresh one (the same md5 of old id and copy everywhere, so
    references still meet; NULL stays NULL), a serial id left to its sequence."""
    names, values = [], []
    for column in table.columns:
        name = column.name
        is_uuid = isinstance(column.type, Uuid)
        if name == "id" and not is_uuid:
            continue
        names.append(name)
        if is_uuid and (name == "id" or name.endswith("_id")):
            values.append(f"md5({name}::text || '{copy}')::uuid")
        elif (table.name, name) in UNIQUE_TEXT:
            values.append(f"{name} || ' {copy}'")
        else:
            values.append(name)
    return ", ".join(names), ", ".join(values)


# Which rows of each table are the seeded clinic's (:clinic is its id).
OF_THE_CLINIC = {
    "clinic": "id = :clinic",
    "patient": "clinic_id = :clinic",
    "alert": "clinic_id = :clinic",
} | {
    name: "patient_id IN (SELECT id FROM patient WHERE clinic_id = :clinic)"
    for name in ("treatment", "occurrence", "push_subscription", "outbox_message")
}


def add_outbox(engine: Engine) -> int:
    """An outbox row per notifying occurrence: sent once its time passed, pending until then."""
    with engine.begin() as connection:
        inserted = connection.execute(
            text(
                "INSERT INTO outbox_message (kind, occurrence_id, patient_id, status, due_at,"
                " next_attempt_at, expires_at, attempts, last_error, sent_at, created_at,"
                " channel, text)"
                " SELECT 'reminder', id, patient_id,"
                " CASE WHEN remind_at <= :now THEN 'sent' ELSE 'pending' END,"
                " remind_at, remind_at, window_end,"
                " CASE WHEN remind_at <= :now THEN 1 ELSE 0 END, '',"
                " CASE WHEN remind_at <= :now THEN remind_at END, created_at, 'push', ''"
                " FROM occurrence WHERE notifies AND remind_at IS NOT NULL"
            ),
            {"now": NOW},
        )
        return inserted.rowcount


def copy_clinic(engine: Engine, clinic_id: uuid.UUID, copies: int) -> None:
    """Copies 1 .. copies - 1 of the seeded clinic and all it holds, in SQL; then ANALYZE."""
    tables = SQLModel.metadata.tables
    for number in range(1, copies):
        copy = f"c{number}"
        with engine.begin() as connection:
            for name in (*COPIED, "outbox_message"):
                names, values = _copy_columns(tables[name], copy)
                connection.execute(
                    text(
                        f"INSERT INTO {name} ({names}) SELECT {values} FROM {name}"  # noqa: S608 - our own table and column names
                        f" WHERE {OF_THE_CLINIC[name]}"
                    ),
                    {"clinic": clinic_id},
                )
        print(f"  copy {number + 1} of {copies} made", flush=True)
    _analyze(engine)


def _p50_ms(factory: sessionmaker[Session], work: Callable[[Session], object], runs: int) -> float:
    """p50 of `work` in a fresh session each run, as bench.patient_list times its queries."""
    return round(percentile(timings(in_session(factory, work), runs), 50), 2)


def _claim_and_mark(due: int) -> Callable[[Session], object]:
    """One claim of the wave's first 500 rows and their marking as sent, then rolled back."""

    def work(session: Session) -> None:
        claimed = claim_due(session, WAVE, batch=BATCH, lease=timedelta(minutes=5))
        ids = [row_id for row_id, _ in claimed]
        session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(ids))
            .values(status=OutboxStatus.SENT, sent_at=WAVE)
        )
        assert len(ids) == min(BATCH, due), f"{len(ids)} claimed of {due} due"
        session.rollback()

    return work


def _days(patients: list[Patient]) -> Callable[[Session], object]:
    """A patient's day, as GET /api/me/tasks?date serves it, for each patient in turn."""
    turn = itertools.cycle(patients)
    today = date(2026, 3, 27)

    def work(session: Session) -> None:
        patient = next(turn)
        rows = tasks.list_local_days(session, patient=patient, first=today, last=today)
        tasks.public_rows(session, rows, ZoneInfo(patient.time_zone), NOW, patient.language)

    return work


def _list(clinic_id: uuid.UUID, key_id: str, sort: SortOrder) -> Callable[[Session], object]:
    chosen = PatientFilter(clinic_id=clinic_id, key_id=key_id, sort=sort)
    return lambda s: listing.list_page(s, filters=chosen, now=NOW, limit=PAGE, offset=0)


def _analyze(engine: Engine) -> None:
    """What autovacuum would have done by now, after a bulk insert."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE"))


def measure(engine: Engine, clinic_id: uuid.UUID, key_id: str, runs: int) -> dict[str, Any]:
    """Every figure at the database's present size."""
    factory = session_factory(engine)
    with factory() as session:
        patients = list(session.exec(select(Patient).where(Patient.clinic_id == clinic_id)))
        random.Random(7).shuffle(patients)  # noqa: S311 - which patients, not secrets
        counts = {
            name: session.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()  # noqa: S608 - our own names
            for name in SIZED
        }
        due = session.execute(
            text("SELECT count(*) FROM outbox_message WHERE status = 'pending'"
                 " AND next_attempt_at <= :wave"),
            {"wave": WAVE},
        ).scalar_one()  # fmt: skip
        sizes = {
            name: round(
                session.execute(text("SELECT pg_total_relation_size(:t)"), {"t": name}).scalar_one()
                / 2**20
            )
            for name in SIZED
        }
    figures = {
        "SELECT 1 (baseline)": _p50_ms(factory, lambda s: s.execute(text("SELECT 1")).one(), runs),
        f"claim {BATCH} of the wave + mark sent": _p50_ms(factory, _claim_and_mark(due), runs),
        "a patient's day (GET /api/me/tasks?date)": _p50_ms(factory, _days(patients[:50]), runs),
        "clinic list, first page by name": _p50_ms(factory, _list(clinic_id, key_id, "name"), runs),
        "clinic list, first page by worst adherence": _p50_ms(
            factory, _list(clinic_id, key_id, "adherence"), max(5, runs // 3)
        ),
    }
    return {"rows": counts, "due_in_wave": due, "mb_with_indexes": sizes, "p50_ms": figures}


def show(label: str, result: dict[str, Any], before: dict[str, Any] | None) -> None:
    rows = result["rows"]
    print(
        f"\n{label}: {rows['patient']:,} patients, {rows['occurrence']:,} occurrences, "
        f"{rows['outbox_message']:,} outbox rows ({result['due_in_wave']:,} due in the wave); "
        f"MB with indexes: " + ", ".join(f"{k} {v:,}" for k, v in result["mb_with_indexes"].items())
    )
    for name, ms in result["p50_ms"].items():
        grown = f"   {ms / before['p50_ms'][name]:5.2f}x the small size" if before else ""
        print(f"  {name:<46} p50 {ms:8.2f} ms{grown}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--postgres", required=True, help="a PostgreSQL server's URL")
    parser.add_argument("--template", type=int, default=5_000, help="patients in one clinic")
    parser.add_argument("--copies", type=int, default=40, help="clinics in the chain")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)
    if not reachable(args.postgres):
        print("PostgreSQL does not answer: nothing measured")
        return 1
    print(describe(machine()), flush=True)
    with throwaway_postgres(args.postgres) as url:
        engine = make_engine(url)
        upgrade_to_head(engine)
        with tempfile.TemporaryDirectory() as keys:
            key_id = load_or_create(Path(keys) / "vapid.pem", create=True).key_id
        started = time.perf_counter()
        clinic_id = patient_list.seed(engine, patients=args.template, key_id=key_id)
        add_outbox(engine)
        _analyze(engine)  # again: the outbox rows came after the seed's
        seeded = time.perf_counter() - started
        small = measure(engine, clinic_id, key_id, args.runs)
        show("One clinic", small, None)
        started = time.perf_counter()
        copy_clinic(engine, clinic_id, args.copies)
        copied = time.perf_counter() - started
        large = measure(engine, clinic_id, key_id, args.runs)
        show(f"The chain of {args.copies} clinics", large, small)
        engine.dispose()
    print(f"  seeding {seeded:.0f} s, copying {copied:.0f} s")
    write_results(
        "national",
        {
            "benchmark": "national",
            "machine": machine(),
            "template_patients": args.template,
            "copies": args.copies,
            "runs": args.runs,
            "one_clinic": small,
            "chain": large,
            "seconds": {"seed": round(seeded), "copy": round(copied)},
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
