"""Outbox planning: one reminder per notifying occurrence, moved or cancelled with the plan."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.appointments.bookings import book, unbook
from app.care.service import add_treatment, update_preferences
from app.clock import FixedClock
from app.config import Settings
from app.db import transaction
from app.notifications.models import OutboxKind, OutboxMessage, OutboxStatus
from app.notifications.outbox import follow_plan, sync_reminders
from app.patients.models import Patient, PreferencesUpdate, TreatmentCreate
from app.patients.protocols import ProtocolSource
from app.tasks.models import Occurrence, OccurrenceStatus
from app.tasks.service import PlanChanges
from tests.support.factories import make_clinic_with_staff, make_patient


def outbox(factory: sessionmaker[Session]) -> dict[str, OutboxMessage]:
    """Rows by their occurrence's key ('<replaced>' when the occurrence is gone)."""
    with factory() as session:
        rows = session.exec(
            select(OutboxMessage, Occurrence).join(
                Occurrence, col(Occurrence.id) == OutboxMessage.occurrence_id, isouter=True
            )
        ).all()
    return {(occ.key if occ else f"<replaced {row.id}>"): row for row, occ in rows}


def test_every_notifying_open_occurrence_gets_one_row(
    factory: sessionmaker[Session], patient: Patient, clock: FixedClock
) -> None:
    with factory() as session:
        notifying = session.exec(
            select(Occurrence).where(
                col(Occurrence.notifies).is_(True), col(Occurrence.window_end) > clock.now()
            )
        ).all()
    rows = outbox(factory)
    assert set(rows) == {o.key for o in notifying}
    for occurrence in notifying:
        row = rows[occurrence.key]
        assert row.status == OutboxStatus.PENDING
        assert row.due_at == row.next_attempt_at == occurrence.remind_at
        assert row.expires_at == occurrence.window_end
    assert "keep_dry/t1" not in rows  # information does not notify
    assert "follow_up/1" not in rows  # a visit not booked yet is tentative: no reminder


def test_planning_again_adds_nothing(
    factory: sessionmaker[Session], patient: Patient, clock: FixedClock
) -> None:
    before = outbox(factory)
    with transaction(factory) as session:
        sync_reminders(session, patient_id=patient.id, now=clock.now())
        sync_reminders(session, patient_id=patient.id, now=clock.now())
    assert outbox(factory) == before


def test_a_changed_preference_moves_rows_and_cancels_replaced_ones(
    factory: sessionmaker[Session], patient: Patient, clock: FixedClock
) -> None:
    before = outbox(factory)
    assert "elevate_legs/t1/6" in before  # 22:00, exactly at bed time
    with transaction(factory) as session:
        fresh = session.get(Patient, patient.id)
        assert fresh is not None
        update_preferences(
            session,
            patient=fresh,
            data=PreferencesUpdate(wake_time=time(6, 0), bed_time=time(21, 0)),
            protocols=ProtocolSource("microsclerotherapy"),
            now=clock.now(),
        )
    after = outbox(factory)
    stockings = after["stockings_on/2026-03-31"]
    assert stockings.due_at == datetime(2026, 3, 31, 5, 0, tzinfo=UTC)  # 06:00 BST
    assert stockings.id == before["stockings_on/2026-03-31"].id
    replaced = [row for key, row in after.items() if key.startswith("<replaced")]
    assert [row.status for row in replaced] == [OutboxStatus.CANCELLED]
    assert replaced[0].id == before["elevate_legs/t1/6"].id


def test_re_treatment_adds_its_reminders_without_duplicates(
    factory: sessionmaker[Session], patient: Patient, clock: FixedClock, settings: Settings
) -> None:
    clock.advance(timedelta(days=14))
    with transaction(factory) as session:
        fresh = session.get(Patient, patient.id)
        assert fresh is not None
        add_treatment(
            session,
            patient=fresh,
            data=TreatmentCreate(performed_at=clock.now() - timedelta(hours=1)),
            protocols=ProtocolSource("microsclerotherapy"),
            staff=None,
            now=clock.now(),
            settings=settings,
        )
    rows = outbox(factory)
    assert "remove_stocking/t2" in rows
    with factory() as session:
        occurrence_ids = session.exec(select(OutboxMessage.occurrence_id)).all()
    assert len(occurrence_ids) == len(set(occurrence_ids))


def test_a_sent_reminder_is_not_re_armed_for_a_past_time(
    factory: sessionmaker[Session], patient: Patient, clock: FixedClock
) -> None:
    row = outbox(factory)["elevate_legs/t1/1"]
    with transaction(factory) as session:
        stored = session.get(OutboxMessage, row.id)
        assert stored is not None
        stored.status = OutboxStatus.SENT
        stored.due_at = stored.due_at - timedelta(minutes=1)  # pretend the plan moved it
        session.add(stored)
    with transaction(factory) as session:
        sync_reminders(session, patient_id=patient.id, now=clock.now())
    assert outbox(factory)["elevate_legs/t1/1"].status == OutboxStatus.SENT


def _set_reminder(
    factory: sessionmaker[Session], patient: Patient, key: str, remind_at: datetime | None
) -> None:
    """Make the stored occurrence stop (None) or start notifying, as a new plan would."""
    with transaction(factory) as session:
        occurrence = session.exec(
            select(Occurrence).where(Occurrence.patient_id == patient.id, Occurrence.key == key)
        ).one()
        occurrence.notifies = remind_at is not None
        occurrence.remind_at = remind_at
        session.add(occurrence)


def test_a_row_whose_occurrence_stopped_notifying_is_cancelled_and_re_armed_when_it_notifies(
    factory: sessionmaker[Session], patient: Patient, clock: FixedClock
) -> None:
    """A visit unbooked (tentative: no reminder) cancels its waiting row; booked again, the
    same row goes back to pending at the new time."""
    before = outbox(factory)["stockings_on/2026-03-31"]
    assert before.status == OutboxStatus.PENDING
    _set_reminder(factory, patient, "stockings_on/2026-03-31", None)
    with transaction(factory) as session:
        sync_reminders(session, patient_id=patient.id, now=clock.now())
    cancelled = outbox(factory)["stockings_on/2026-03-31"]
    assert (cancelled.id, cancelled.status) == (before.id, OutboxStatus.CANCELLED)
    again = datetime(2026, 3, 31, 8, 0, tzinfo=UTC)
    _set_reminder(factory, patient, "stockings_on/2026-03-31", again)
    with transaction(factory) as session:
        sync_reminders(session, patient_id=patient.id, now=clock.now())
    re_armed = outbox(factory)["stockings_on/2026-03-31"]
    assert (re_armed.id, re_armed.status, re_armed.due_at) == (
        before.id,
        OutboxStatus.PENDING,
        again,
    )


def _reminder_rows(factory: sessionmaker[Session], patient_id: uuid.UUID) -> set[tuple[Any, ...]]:
    with factory() as session:
        rows = session.exec(
            select(OutboxMessage).where(
                OutboxMessage.patient_id == patient_id, OutboxMessage.kind == OutboxKind.REMINDER
            )
        ).all()
    return {
        (r.id, r.occurrence_id, r.status, r.due_at, r.next_attempt_at, r.expires_at, r.last_error)
        for r in rows
    }


def assert_reminders_match_the_plan(
    factory: sessionmaker[Session], patient_id: uuid.UUID, now: datetime, after: str
) -> None:
    """One waiting row per open notifying occurrence, at its time; none for anything else still
    open (a past row is the dispatcher's to drop); and the full check (every occurrence and row
    of the patient) finds nothing left to do."""
    with factory() as session:
        occurrences = session.exec(select(Occurrence).where(Occurrence.patient_id == patient_id))
        plan = {o.id: o for o in occurrences}
    rows = _reminder_rows(factory, patient_id)
    waiting = {
        occurrence: (due, expires)
        for _, occurrence, status, due, _, expires, _ in rows
        if status == OutboxStatus.PENDING and expires > now
    }
    expected = {
        o.id: (o.remind_at, o.window_end)
        for o in plan.values()
        if o.status == OccurrenceStatus.PENDING and o.notifies and o.window_end > now
    }
    assert waiting == expected, f"after {after}"
    linked = [row[1] for row in rows if row[1] is not None]
    assert len(set(linked)) == len(linked), f"after {after}: one row per occurrence"
    with transaction(factory) as session:
        sync_reminders(session, patient_id=patient_id, now=now)
    assert _reminder_rows(factory, patient_id) == rows, f"after {after}: the full check differs"


class TestFollowPlan:
    """Plan changes hand their PlanChanges to the outbox, which reads only what changed."""

    def test_reminders_match_the_plan_after_every_kind_of_change(
        self, factory: sessionmaker[Session], clock: FixedClock, settings: Settings
    ) -> None:
        clinic, staff = make_clinic_with_staff(factory, now=clock.now())
        patient, _ = make_patient(  # on version 1: its first visit can be booked
            factory, clinic=clinic, staff=staff, now=clock.now(), settings=settings,
            protocol_version=1, treatment={"performed_at": "2026-03-25T10:00:00+00:00"},
        )  # fmt: skip
        assert_reminders_match_the_plan(factory, patient.id, clock.now(), "enrolment")
        protocols = ProtocolSource(settings.protocol)

        def change(after: str, apply: Callable[[Session, Patient], object]) -> None:
            with transaction(factory) as session:
                fresh = session.get(Patient, patient.id)
                assert fresh is not None
                apply(session, fresh)
            assert_reminders_match_the_plan(factory, patient.id, clock.now(), after)

        change("a preference change", lambda session, fresh: update_preferences(
            session, patient=fresh, protocols=protocols, now=clock.now(),
            data=PreferencesUpdate(wake_time=time(6, 0), bed_time=time(21, 0)),
        ))  # fmt: skip
        booked = datetime(2026, 4, 8, 9, 0, tzinfo=UTC)
        change("a booking", lambda session, fresh: book(
            session, patient=fresh, key="follow_up/1", booked_at=booked, staff=staff,
            protocols=protocols, now=clock.now(),
        ))  # fmt: skip
        change("a booking moved", lambda session, fresh: book(
            session, patient=fresh, key="follow_up/1", booked_at=booked + timedelta(days=1),
            staff=staff, protocols=protocols, now=clock.now(),
        ))  # fmt: skip
        change("a cancelled booking", lambda session, fresh: unbook(
            session, patient=fresh, key="follow_up/1", protocols=protocols, now=clock.now()
        ))  # fmt: skip
        clock.advance(timedelta(days=14))
        change("a re-treatment", lambda session, fresh: add_treatment(
            session, patient=fresh, protocols=protocols, staff=None, now=clock.now(),
            data=TreatmentCreate(performed_at=clock.now() - timedelta(hours=1)),
            settings=settings,
        ))  # fmt: skip

    def test_a_sync_that_changed_nothing_costs_no_statement(
        self, factory: sessionmaker[Session], engine: Engine, patient: Patient, clock: FixedClock
    ) -> None:
        statements: list[str] = []

        def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
            statements.append(statement)

        with transaction(factory) as session:
            session.connection()  # the transaction's own BEGIN is not the outbox's
            event.listen(engine, "before_cursor_execute", count)
            try:
                follow_plan(session, patient_id=patient.id, changes=PlanChanges(), now=clock.now())
            finally:
                event.remove(engine, "before_cursor_execute", count)
        assert statements == []
