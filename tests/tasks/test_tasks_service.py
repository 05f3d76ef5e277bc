"""Keeping stored occurrences in step with the plan: idempotent, history never rewritten."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.care.service import add_treatment, update_preferences
from app.clock import FixedClock
from app.config import Settings
from app.db import transaction
from app.patients.models import Patient, PatientCreate, PreferencesUpdate, TreatmentCreate
from app.patients.protocols import ProtocolSource
from app.protocols.loader import load_protocol
from app.tasks import service
from app.tasks.models import Occurrence

LONDON = ZoneInfo("Europe/London")


def rows(factory: sessionmaker[Session], patient: Patient) -> dict[str, Occurrence]:
    with factory() as session:
        found = session.exec(select(Occurrence).where(Occurrence.patient_id == patient.id))
        return {row.key: row for row in found}


def sync(factory: sessionmaker[Session], patient: Patient, now: datetime) -> service.PlanChanges:
    with transaction(factory) as session:
        fresh = session.get(Patient, patient.id)
        assert fresh is not None
        return service.sync_plan(session, patient=fresh, protocol=load_protocol(), now=now)


def retreat(
    factory: sessionmaker[Session],
    patient: Patient,
    performed_at: datetime,
    clock: FixedClock,
    settings: Settings,
) -> service.PlanChanges:
    """Record a re-treatment performed at `performed_at`, as the console does, at now."""
    with transaction(factory) as session:
        fresh = session.get(Patient, patient.id)
        assert fresh is not None
        _, changes = add_treatment(
            session,
            patient=fresh,
            data=TreatmentCreate(performed_at=performed_at),
            protocols=ProtocolSource("microsclerotherapy"),
            staff=None,
            now=clock.now(),
            settings=settings,
        )
    return changes


class TestSyncPlan:
    def test_second_sync_changes_nothing(
        self, factory: sessionmaker[Session], patient: Patient, clock: FixedClock
    ) -> None:
        before = rows(factory, patient)
        changes = sync(factory, patient, clock.now())
        assert changes.created == changes.updated == changes.removed == []
        assert rows(factory, patient) == before

    def test_nothing_already_over_is_created(
        self, factory: sessionmaker[Session], patient: Patient, clock: FixedClock
    ) -> None:
        stored = rows(factory, patient)
        assert all(row.window_end > clock.now() for row in stored.values())
        # Treated 10:00, enrolled 12:00: the 12:00 elevation's window is still open.
        assert "elevate_legs/t1/1" in stored

    def test_re_treatment_keeps_history_and_ids(
        self,
        factory: sessionmaker[Session],
        patient: Patient,
        clock: FixedClock,
        settings: Settings,
    ) -> None:
        first = rows(factory, patient)["elevate_legs/t1/1"]
        with transaction(factory) as session:
            service.complete(session, patient=patient, occurrence_id=first.id, now=clock.now())
        clock.advance(timedelta(days=14))
        before = rows(factory, patient)
        changes = retreat(factory, patient, clock.now() - timedelta(hours=1), clock, settings)
        after = rows(factory, patient)
        done = after["elevate_legs/t1/1"]
        assert done.status == "done"
        assert done.completed_at == datetime(2026, 3, 27, 12, 0, tzinfo=UTC)
        for key, row in before.items():
            if row.due_at <= clock.now() and row.kind == "task":
                assert after[key] == row, f"past row {key} was rewritten"
            if key in after:
                assert after[key].id == row.id, f"{key} lost its id"
        assert changes.created  # the re-treatment's own tasks
        assert any(key.startswith("remove_stocking/t2") for key in after)

    def test_every_row_knows_its_local_day_after_treatment(
        self, factory: sessionmaker[Session], patient: Patient
    ) -> None:
        treated = datetime(2026, 3, 27, 10, 0, tzinfo=UTC).astimezone(LONDON).date()
        stored = rows(factory, patient)
        for key, row in stored.items():
            expected = (row.due_at.astimezone(LONDON).date() - treated).days
            assert row.treatment_day == expected, key
        # Across the change to summer time (Sunday 29 March): 07:30 BST is 06:30 UTC.
        assert stored["stockings_on/2026-03-30"].treatment_day == 3

    def test_a_treatment_recorded_later_moves_past_rows_to_its_day(
        self,
        factory: sessionmaker[Session],
        patient: Patient,
        clock: FixedClock,
        settings: Settings,
    ) -> None:
        clock.advance(timedelta(days=14))  # Friday 10 April, 13:00 BST
        before = rows(factory, patient)
        assert before["stockings_on/2026-04-10"].treatment_day == 14
        # 07:00 BST, before this morning's stockings (07:30): recorded at 13:00.
        retreat(factory, patient, datetime(2026, 4, 10, 6, 0, tzinfo=UTC), clock, settings)
        after = rows(factory, patient)
        this_morning = after["stockings_on/2026-04-10"]
        assert this_morning.treatment_day == 0  # the new treatment's day
        # A statistic, not a change of plan: the row is otherwise as it was.
        assert this_morning.updated_at == before["stockings_on/2026-04-10"].updated_at
        assert after["stockings_on/2026-04-09"].treatment_day == 13

    def test_preference_change_moves_only_pending_rows_ahead(
        self, factory: sessionmaker[Session], patient: Patient, clock: FixedClock
    ) -> None:
        clock.advance(timedelta(days=3, hours=-3))  # Monday 30 March, 08:00 BST
        today_stockings = rows(factory, patient)["stockings_on/2026-03-30"]
        with transaction(factory) as session:
            service.complete(
                session, patient=patient, occurrence_id=today_stockings.id, now=clock.now()
            )
            fresh = session.get(Patient, patient.id)
            assert fresh is not None
            update_preferences(
                session,
                patient=fresh,
                data=PreferencesUpdate(wake_time=time(6, 0)),
                protocols=ProtocolSource("microsclerotherapy"),
                now=clock.now(),
            )
        after = rows(factory, patient)
        assert after["stockings_on/2026-03-30"].due_at == today_stockings.due_at  # done: kept
        tomorrow = after["stockings_on/2026-03-31"].due_at
        assert tomorrow == datetime(2026, 3, 31, 5, 0, tzinfo=UTC)  # 06:00 BST


def test_patient_create_schema_accepts_the_documented_fields() -> None:
    data = PatientCreate.model_validate(
        {
            "name": "Ada",
            "time_zone": "Europe/London",
            "wake_time": "07:30",
            "bed_time": "22:00",
            "stockings_advised": True,
            "phone": "+44 7700 900123",
            "treatment": {"performed_at": "2026-03-27T10:00:00+00:00", "method": "laser"},
        }
    )
    assert data.treatment.method == "laser"
