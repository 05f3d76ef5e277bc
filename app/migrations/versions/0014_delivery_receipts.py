"""Delivery receipts: a device reports a reminder shown or tapped.

Revision ID: 0014_delivery_receipts
Revises: 0013_reminder_channels
Create Date: 2026-12-02 21:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from app.dbtypes import UTCDateTime

revision: str = "0014_delivery_receipts"
# 0013 is being added in parallel; whoever merges second re-chains this one onto it.
down_revision: str | None = "0013_reminder_channels"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "delivery_receipt",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("occurrence_id", sa.Uuid(), nullable=True),
        sa.Column("device_session_id", sa.Uuid(), nullable=True),
        sa.Column("event", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_delivery_receipt_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["occurrence_id"],
            ["occurrence.id"],
            name=op.f("fk_delivery_receipt_occurrence_id_occurrence"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["device_session_id"],
            ["device_session.id"],
            name=op.f("fk_delivery_receipt_device_session_id_device_session"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_receipt")),
    )
    op.create_index("ix_delivery_receipt_patient_at", "delivery_receipt", ["patient_id", "at"])
    op.create_index(
        "ix_delivery_receipt_occurrence_event", "delivery_receipt", ["occurrence_id", "event"]
    )


def downgrade() -> None:
    op.drop_index("ix_delivery_receipt_occurrence_event", table_name="delivery_receipt")
    op.drop_index("ix_delivery_receipt_patient_at", table_name="delivery_receipt")
    op.drop_table("delivery_receipt")
