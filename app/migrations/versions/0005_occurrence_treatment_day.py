"""Occurrence.treatment_day: the adherence overview's days after treatment, grouped in SQL.

The overview counted each due instant's local date in Python: about 364,000 instants and
4.5 s for a clinic of 10,000 patients, 30 s for 100,000. Storing the day on each occurrence
(kept current by every sync of the plan) lets the database group by it, from the index alone:
the covering index on (kind, patient_id, due_at, status) gains it, and the task code, which the
counts by task need (SQLite: 0.5 s down to 0.25 s for those at 10,000 patients).

The existing rows are filled here, patient by patient, with the same rule the app uses
(app/tasks/treatment_day.py).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 23:00:00.000000
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

import app.dbtypes
from app.tasks.treatment_day import TreatmentDays

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The columns the backfill reads and writes, as they stand at this revision.
patient = sa.table("patient", sa.column("id", sa.Uuid()), sa.column("time_zone", sa.String()))
treatment = sa.table(
    "treatment",
    sa.column("patient_id", sa.Uuid()),
    sa.column("performed_at", app.dbtypes.UTCDateTime(timezone=True)),
)
occurrence = sa.table(
    "occurrence",
    sa.column("id", sa.Uuid()),
    sa.column("patient_id", sa.Uuid()),
    sa.column("due_at", app.dbtypes.UTCDateTime(timezone=True)),
    sa.column("treatment_day", sa.Integer()),
)
BATCH = 10_000  # rows per UPDATE round trip


def upgrade() -> None:
    with op.batch_alter_table("occurrence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("treatment_day", sa.Integer(), nullable=True))
        batch_op.drop_index("ix_occurrence_kind_patient_due")
        batch_op.create_index(
            "ix_occurrence_kind_patient_due",
            ["kind", "patient_id", "due_at", "status", "treatment_day", "task"],
        )
    _fill_treatment_days(op.get_bind())


def _fill_treatment_days(connection: sa.Connection) -> None:
    zones = {row.id: ZoneInfo(row.time_zone) for row in connection.execute(sa.select(patient))}
    treated: dict[Any, list[datetime]] = defaultdict(list)
    for row in connection.execute(sa.select(treatment)):
        treated[row.patient_id].append(row.performed_at)
    days = {
        patient_id: TreatmentDays(treated.get(patient_id, []), zone)
        for patient_id, zone in zones.items()
    }
    update = (
        sa.update(occurrence)
        .where(occurrence.c.id == sa.bindparam("row_id"))
        .values(treatment_day=sa.bindparam("day"))
    )
    pending: list[dict[str, Any]] = []
    rows = connection.execute(
        sa.select(occurrence.c.id, occurrence.c.patient_id, occurrence.c.due_at)
    ).all()
    for row in rows:
        day = days[row.patient_id].of(row.due_at)
        if day is not None:
            pending.append({"row_id": row.id, "day": day})
        if len(pending) >= BATCH:
            connection.execute(update, pending)
            pending.clear()
    if pending:
        connection.execute(update, pending)


def downgrade() -> None:
    with op.batch_alter_table("occurrence", schema=None) as batch_op:
        batch_op.drop_index("ix_occurrence_kind_patient_due")
        batch_op.create_index(
            "ix_occurrence_kind_patient_due", ["kind", "patient_id", "due_at", "status"]
        )
        batch_op.drop_column("treatment_day")
