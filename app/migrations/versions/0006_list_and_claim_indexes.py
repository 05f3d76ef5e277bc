"""Indexes in the order two hot queries read: the patient list by name, the dispatcher's claim.

The clinic's list sorts by lower(name), name, id: without an index in that order every first
page sorted all the clinic's patients (100,000 patients: about 60-95 ms on PostgreSQL and
45-150 ms on SQLite; now an index scan that stops after 50 entries, under 1 ms on both).
It is an expression index, which SQLite creates but cannot reflect: tests/test_migrate.py
compares its stored SQL instead.

The dispatcher's claim took (status = pending and due) or (status = sending and lease lapsed)
in one query, and sorted every due row to pick a batch: with 100,000 due rows, 175 ms on
PostgreSQL and 33 ms on SQLite to find 500 rows. It now reads each part as a range of
(status, next_attempt_at, id), cut at the batch size, and merges the two: 5 ms and 1 ms,
whatever the backlog. The id replaces the old (status, next_attempt_at) index: without it,
PostgreSQL sorted each tie group, and a burst (every reminder due at one instant) is one
tie of 100,000 rows (79 ms).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.create_index(
            "ix_patient_clinic_folded_name",
            ["clinic_id", sa.text("lower(name)"), "name", "id"],
        )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_message_status_next")
        batch_op.create_index("ix_outbox_message_claim_order", ["status", "next_attempt_at", "id"])


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_message_claim_order")
        batch_op.create_index("ix_outbox_message_status_next", ["status", "next_attempt_at"])
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.drop_index("ix_patient_clinic_folded_name")
