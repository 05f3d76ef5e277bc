"""Migration 0008: visits still ahead and not booked become tentative, their reminders go."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from alembic import command

from app.appointments.bookings import book
from app.config import Settings
from app.db import make_engine, session_factory, transaction
from app.dbtypes import UTCDateTime
from app.migrate import alembic_config, upgrade_to_head
from app.patients.models import Patient
from app.patients.protocols import ProtocolSource
from tests.support.database import throwaway_database
from tests.support.factories import make_clinic_with_staff, make_patient

# outbox_message as it was at 0006 (no channel yet): the model's table would insert one.
OUTBOX_0006 = sa.table(
    "outbox_message",
    *(sa.column(name, sa.String()) for name in ("kind", "status", "last_error")),
    sa.column("patient_id", sa.Uuid()),
    sa.column("occurrence_id", sa.Uuid()),
    *(sa.column(name, UTCDateTime()) for name in ("due_at", "next_attempt_at", "expires_at")),
    sa.column("created_at", UTCDateTime()),
    sa.column("attempts", sa.Integer()),
)


def test_0008_marks_unbooked_visits_ahead_tentative_and_cancels_their_reminders(
    tmp_path: Path,
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)  # the migration reads the real clock
    with throwaway_database(tmp_path) as url:
        engine = make_engine(url)
        try:
            upgrade_to_head(engine)
            factory = session_factory(engine)
            clinic, nurse = make_clinic_with_staff(factory, now=now - timedelta(days=1))
            settings = Settings(database_url=url)
            patient, _ = make_patient(
                factory, clinic=clinic, staff=nurse, now=now, settings=settings,
                treatment={"performed_at": (now - timedelta(hours=1)).isoformat()},
            )  # fmt: skip
            with transaction(factory) as session:
                fresh = session.get(Patient, patient.id)
                assert fresh is not None
                book(
                    session, patient=fresh, key="follow_up/2", staff=nurse, now=now,
                    booked_at=now + timedelta(days=50),
                    protocols=ProtocolSource("microsclerotherapy"),
                    book_anyway=True,  # any hour of the day the test runs at
                )  # fmt: skip
            command.downgrade(alembic_config(url), "0006")
            # As the app planned before 0008: the unbooked visit had a reminder waiting.
            with engine.begin() as connection:
                visit_id = connection.execute(
                    sa.text("SELECT id FROM occurrence WHERE key = 'follow_up/1'")
                ).scalar_one()
                remind_at = now + timedelta(days=13)
                connection.execute(
                    sa.text(
                        "UPDATE occurrence SET notifies = :yes, remind_at = :at WHERE id = :id"
                    ),
                    {"yes": True, "at": remind_at, "id": visit_id},
                )
                connection.execute(
                    sa.insert(OUTBOX_0006).values(
                        kind="reminder", patient_id=patient.id,
                        occurrence_id=uuid.UUID(str(visit_id)),
                        status="pending", due_at=remind_at, next_attempt_at=remind_at,
                        expires_at=now + timedelta(days=15), attempts=0, last_error="",
                        created_at=now,
                    )
                )  # fmt: skip
            command.upgrade(alembic_config(url), "0008")
            with engine.connect() as connection:
                rows = {
                    row.key: row
                    for row in connection.execute(
                        sa.text(
                            "SELECT key, tentative, notifies, remind_at FROM occurrence "
                            "WHERE kind = 'appointment'"
                        )
                    )
                }
                statuses = connection.execute(
                    sa.text(
                        "SELECT m.status, m.last_error FROM outbox_message m "
                        "JOIN occurrence o ON o.id = m.occurrence_id WHERE o.key = 'follow_up/1'"
                    )
                ).all()
                orphans = connection.execute(
                    sa.text("SELECT count(*) FROM outbox_message WHERE occurrence_id IS NULL")
                ).scalar_one()
            # SQLite: no table copy, so no reminder lost its occurrence (foreign keys are on).
            assert orphans == 0
            first, second = rows["follow_up/1"], rows["follow_up/2"]
            assert (bool(first.tentative), bool(first.notifies), first.remind_at) == (
                True,
                False,
                None,
            )
            assert (bool(second.tentative), bool(second.notifies)) == (False, True)  # booked
            assert [tuple(s) for s in statuses] == [("cancelled", "visit not booked yet")]
        finally:
            engine.dispose()
