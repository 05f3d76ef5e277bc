"""Triage advice kept with reports; a clinic's own triage rules.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 15:20:17.914797
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.dbtypes

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("clinic", schema=None) as batch_op:
        batch_op.add_column(sa.Column("triage_rules", sa.JSON(), nullable=True))

    with op.batch_alter_table("symptom_report", schema=None) as batch_op:
        # Server defaults: reports stored before this revision get empty advice, not an error.
        batch_op.add_column(
            sa.Column(
                "advice_title",
                sqlmodel.sql.sqltypes.AutoString(length=120),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column(
                "advice",
                sqlmodel.sql.sqltypes.AutoString(length=1000),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column("call_number", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )
        batch_op.add_column(
            sa.Column("call_label", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True)
        )
        batch_op.add_column(sa.Column("reasons", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("symptom_report", schema=None) as batch_op:
        batch_op.drop_column("reasons")
        batch_op.drop_column("call_label")
        batch_op.drop_column("call_number")
        batch_op.drop_column("advice")
        batch_op.drop_column("advice_title")

    with op.batch_alter_table("clinic", schema=None) as batch_op:
        batch_op.drop_column("triage_rules")
