"""Reminders by e-mail and SMS: a channel per outbox row, the patient's choice, the clinic's rules.

Revision ID: 0013_reminder_channels
Revises: 0012_treatment_number_void
Create Date: 2026-12-02 21:30:00.000000
"""

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
import sqlmodel
from alembic import op
from alembic.operations import BatchOperations

from app.dbtypes import UTCDateTime

revision: str = "0013_reminder_channels"
down_revision: str | None = "0012_treatment_number_void"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SHORT = sqlmodel.sql.sqltypes.AutoString(length=10)
# The clinic's default: the leaflet's must-not-miss steps (docs/careplan.md, "Other channels").
_DEFAULT_FALLBACK_TASKS = '["remove_stocking", "hydrocortisone", "follow_up"]'


@contextmanager
def _outbox_batch() -> Iterator[BatchOperations]:
    """outbox_message rebuilt (SQLite cannot drop a table's unique constraint in place).

    Nothing references outbox_message, so the copy is safe. Reflecting it reflects the tables
    it points at; patient's expression index (lower(name)) cannot be reflected, and need not
    be: only outbox_message is rebuilt.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
        with op.batch_alter_table("outbox_message") as batch:
            yield batch


def upgrade() -> None:
    # Every existing row is a Web Push one.
    with _outbox_batch() as batch:
        batch.add_column(sa.Column("channel", _SHORT, nullable=False, server_default="push"))
        batch.drop_constraint("uq_outbox_message_occurrence_id_kind", type_="unique")
        batch.create_unique_constraint(
            "uq_outbox_message_occurrence_id_kind_channel", ["occurrence_id", "kind", "channel"]
        )
    # Plain ALTER TABLE: patient and clinic are referenced by most tables.
    op.add_column(
        "patient", sa.Column("reminder_channel", _SHORT, nullable=False, server_default="")
    )
    op.add_column("patient", sa.Column("reminder_consent_at", UTCDateTime(), nullable=True))
    op.add_column(
        "patient",
        sa.Column(
            "reminder_consent_by",
            sqlmodel.sql.sqltypes.AutoString(length=20),
            nullable=False,
            server_default="",
        ),
    )
    op.add_column(
        "clinic",
        sa.Column("fallback_after_minutes", sa.Integer(), nullable=False, server_default="10"),
    )
    op.add_column(
        "clinic",
        sa.Column(
            "fallback_tasks",
            sa.JSON(),
            nullable=False,
            server_default=sa.text(f"'{_DEFAULT_FALLBACK_TASKS}'"),
        ),
    )
    op.add_column(
        "clinic", sa.Column("sms_per_day", sa.Integer(), nullable=False, server_default="4")
    )
    op.add_column(
        "clinic", sa.Column("emails_per_day", sa.Integer(), nullable=False, server_default="10")
    )


def downgrade() -> None:
    for name in ("emails_per_day", "sms_per_day", "fallback_tasks", "fallback_after_minutes"):
        op.drop_column("clinic", name)
    for name in ("reminder_consent_by", "reminder_consent_at", "reminder_channel"):
        op.drop_column("patient", name)
    op.execute("DELETE FROM outbox_message WHERE channel <> 'push'")
    with _outbox_batch() as batch:
        batch.drop_constraint("uq_outbox_message_occurrence_id_kind_channel", type_="unique")
        batch.create_unique_constraint(
            "uq_outbox_message_occurrence_id_kind", ["occurrence_id", "kind"]
        )
        batch.drop_column("channel")
