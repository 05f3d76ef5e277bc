"""Bulk inserts: each row completed with the model defaults, ids fresh or left to the database."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.bulk import insert_new
from app.clock import FixedClock
from app.db import transaction
from app.notifications.models import OutboxKind, OutboxMessage
from app.patients.models import Patient
from app.tasks.models import Occurrence


def test_defaults_fill_what_rows_leave_out(
    factory: sessionmaker[Session], patient: Patient, clock: FixedClock
) -> None:
    now = clock.now()
    rows = [
        {
            "kind": OutboxKind.ALERT, "patient_id": patient.id, "due_at": now,
            "next_attempt_at": now, "expires_at": now + timedelta(hours=n + 1), "created_at": now,
        }
        for n in range(3)
    ]  # fmt: skip
    with transaction(factory) as session:
        before = set(session.exec(select(OutboxMessage.id)).all())
        insert_new(session, OutboxMessage, rows)
    with factory() as session:
        added = session.exec(
            select(OutboxMessage).where(col(OutboxMessage.id).not_in(before))
        ).all()
    assert len(added) == 3
    assert len({row.id for row in added}) == 3  # the database numbered them
    for row in added:
        assert (row.status, row.attempts, row.last_error) == ("pending", 0, "")
        assert row.lease_until is None and row.sent_at is None and row.alert_id is None


def test_a_default_factory_runs_for_each_row(
    factory: sessionmaker[Session], patient: Patient, clock: FixedClock
) -> None:
    now = clock.now()
    base = {
        "patient_id": patient.id, "task": "walk", "kind": "task", "title": "Walk",
        "instructions": "", "due_at": now, "window_end": now, "notifies": False,
        "created_at": now, "updated_at": now,
    }  # fmt: skip
    with transaction(factory) as session:
        insert_new(session, Occurrence, [base | {"key": f"bulk/{n}"} for n in range(4)])
    with factory() as session:
        made = session.exec(select(Occurrence).where(col(Occurrence.key).startswith("bulk/"))).all()
    assert len({row.id for row in made}) == 4  # a fresh uuid4 each
    assert {(row.status, row.rank, row.completed_at) for row in made} == {("pending", 0, None)}


def test_no_rows_is_no_statement(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        insert_new(session, Occurrence, [])
