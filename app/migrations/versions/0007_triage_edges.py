"""Triage edges: pain may be left out, the clinic's out-of-hours route, notes to read.

- symptom_report.pain becomes nullable: a patient may report a red flag (a ticked sign or
  a note) without giving a pain number; stored reports keep theirs.
- clinic.out_of_hours_phone / out_of_hours_name: who urgent reports are sent to while the
  clinic is closed. Existing clinics get "" and "the on-call nurse": they cannot enrol new
  patients until an admin sets the phone (console Settings).
- alert.note_needs_reading: the report's note mentions a warning sign that was not ticked.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 12:00:00.000000
"""

import warnings
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.exc import SAWarning

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _set_pain_nullable(nullable: bool) -> None:
    """SQLite changes a column's NULL rule only by copying the table, and dropping the old
    copy fires foreign-key actions: every alert.report_id would be set to NULL (foreign keys
    are on, and cannot be turned off inside the migration's transaction). So the links are
    kept aside and put back; the report ids do not change."""
    sqlite = _sqlite()
    if sqlite:
        op.execute(
            "CREATE TEMP TABLE _0007_alert_report AS "
            "SELECT id, report_id FROM alert WHERE report_id IS NOT NULL"
        )
    with warnings.catch_warnings():
        # The copy reflects the tables symptom_report's keys point at, patient among them, and
        # SQLite cannot reflect patient's expression index (0006). Patient is only read, not
        # copied, so its index stays; the warning would alarm whoever runs `aftercare migrate`.
        warnings.filterwarnings(
            "ignore", "Skipped unsupported reflection of expression-based index", SAWarning
        )
        with op.batch_alter_table("symptom_report", schema=None) as batch_op:
            batch_op.alter_column("pain", existing_type=sa.Integer(), nullable=nullable)
    if sqlite:
        op.execute(
            "UPDATE alert SET report_id = (SELECT t.report_id FROM _0007_alert_report t "
            "WHERE t.id = alert.id) WHERE id IN (SELECT id FROM _0007_alert_report)"
        )
        op.execute("DROP TABLE _0007_alert_report")


def _drop_column(table: str, column: str) -> None:
    # SQLite (3.35+) drops a column in place; a batch copy would drop the old table and fire
    # foreign-key actions (a clinic's patients, an alert's pushes would be deleted).
    if _sqlite():
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    else:
        op.drop_column(table, column)


def upgrade() -> None:
    _set_pain_nullable(True)
    # Plain ADD COLUMN, not a batch: on SQLite a batch may copy the table, and dropping the
    # old copy fires foreign-key actions (an alert's pushes, a clinic's patients deleted).
    op.add_column(
        "clinic",
        sa.Column(
            "out_of_hours_phone",
            sqlmodel.sql.sqltypes.AutoString(length=40),
            nullable=False,
            server_default="",
        ),
    )
    op.add_column(
        "clinic",
        sa.Column(
            "out_of_hours_name",
            sqlmodel.sql.sqltypes.AutoString(length=80),
            nullable=False,
            server_default="the on-call nurse",
        ),
    )
    op.add_column(
        "alert",
        sa.Column("note_needs_reading", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    # A report stored without a pain cannot go back into a NOT NULL column, and inventing
    # one (0 reads as "no pain") would misstate what the patient said: refuse instead.
    missing = (
        op.get_bind()
        .execute(sa.text("SELECT count(*) FROM symptom_report WHERE pain IS NULL"))
        .scalar_one()
    )
    if missing:
        raise RuntimeError(
            f"{missing} symptom reports have no pain; revision 0006 needs one for every report."
            " Not downgraded."
        )
    _drop_column("alert", "note_needs_reading")
    _drop_column("clinic", "out_of_hours_name")
    _drop_column("clinic", "out_of_hours_phone")
    _set_pain_nullable(False)
