"""Occurrence.tentative: a clinic visit not booked yet is a provisional date, not a time.

A visit the clinic has not booked is planned on the clinic's wall clock as a target day; the
patient is told "around" that day and gets no reminder for a time nobody has agreed. The
column is a planned field like the others (kept by every sync of the plan).

Existing rows: visits still ahead, pending and without a booking are what the app now plans
as tentative, so they are marked so here, their reminder fields cleared and their waiting
reminders cancelled (a reminder for a guessed time must not go out before the next re-plan).
Past and done rows are history and stay as they were.

Protocol versions need no schema change: patient.protocol and protocol_version exist since
0001; what changes is that every re-plan reads them (app/patients/protocols.py).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 23:00:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import app.dbtypes

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The columns the fill reads and writes, as they stand at this revision.
occurrence = sa.table(
    "occurrence",
    sa.column("id", sa.Uuid()),
    sa.column("patient_id", sa.Uuid()),
    sa.column("key", sa.String()),
    sa.column("kind", sa.String()),
    sa.column("status", sa.String()),
    sa.column("due_at", app.dbtypes.UTCDateTime(timezone=True)),
    sa.column("notifies", sa.Boolean()),
    sa.column("remind_at", app.dbtypes.UTCDateTime(timezone=True)),
    sa.column("tentative", sa.Boolean()),
)
booking = sa.table(
    "appointment_booking", sa.column("patient_id", sa.Uuid()), sa.column("key", sa.String())
)
outbox = sa.table(
    "outbox_message",
    sa.column("occurrence_id", sa.Uuid()),
    sa.column("kind", sa.String()),
    sa.column("status", sa.String()),
    sa.column("last_error", sa.String()),
)
BATCH = 1_000  # ids per UPDATE (well under any bound-parameter limit)


def upgrade() -> None:
    # A plain ALTER TABLE, not batch mode: on SQLite, batch mode copies the table and drops the
    # old one, and with foreign keys on that drop sets every reminder's occurrence_id to NULL.
    op.add_column(
        "occurrence",
        sa.Column("tentative", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    _mark_unbooked_visits(op.get_bind(), now=datetime.now(UTC))


def _mark_unbooked_visits(connection: sa.Connection, *, now: datetime) -> None:
    visit = occurrence.alias("visit")  # an alias: never correlated with the UPDATE's table
    booked = (
        sa.select(sa.literal(1))
        .select_from(booking)
        .where(booking.c.patient_id == visit.c.patient_id, booking.c.key == visit.c.key)
        .exists()
    )
    unbooked = [
        row.id
        for row in connection.execute(
            sa.select(visit.c.id).where(
                visit.c.kind == "appointment",
                visit.c.status == "pending",
                visit.c.due_at > now,
                ~booked,
            )
        )
    ]
    for start in range(0, len(unbooked), BATCH):
        ids = unbooked[start : start + BATCH]
        connection.execute(
            sa.update(outbox)
            .where(
                outbox.c.occurrence_id.in_(ids),
                outbox.c.kind == "reminder",
                outbox.c.status == "pending",
            )
            .values(status="cancelled", last_error="visit not booked yet")
        )
        connection.execute(
            sa.update(occurrence)
            .where(occurrence.c.id.in_(ids))
            .values(tentative=True, notifies=False, remind_at=None)
        )


def downgrade() -> None:
    op.drop_column("occurrence", "tentative")  # SQLite 3.35+ drops a column in place
