"""Migration 0008: visits still ahead and not booked become tentative, their reminders go."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from app.appointments.bookings import book
from app.db import transaction
from app.dbtypes import UTCDateTime
from app.patients.models import Patient
from app.patients.protocols import ProtocolSource
from tests.support.factories import make_clinic_with_staff, make_patient
from tests.support.migrations import database_at_head

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
    with database_at_head(tmp_path) as db:
        clinic, nurse = make_clinic_with_staff(db.factory, now=now - timedelta(days=1))
        patient, _ = make_patient(
            db.factory, clinic=clinic, staff=nurse, now=now, settings=db.settings,
            treatment={"performed_at": (now - timedelta(hours=1)).isoformat()},
        )  # fmt: skip
        with transaction(db.factory) as session:
            fresh = session.get(Patient, patient.id)
            assert fresh is not None
            book(
                session, patient=fresh, key="follow_up/2", staff=nurse, now=now,
                booked_at=now + timedelta(days=50),
                protocols=ProtocolSource("microsclerotherapy"),
                book_anyway=True,  # any hour of the day the test runs at
            )  # fmt: skip
        db.down("0006")
        # As the app planned before 0008: the unbooked visit had a reminder waiting.
        with db.engine.begin() as connection:
            visit_id = connection.execute(
                sa.text("SELECT id FROM occurrence WHERE key = 'follow_up/1'")
            ).scalar_one()
            remind_at = now + timedelta(days=13)
            connection.execute(
                sa.text("UPDATE occurrence SET notifies = :yes, remind_at = :at WHERE id = :id"),
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
        db.up("0008")
        with db.engine.connect() as connection:
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
