"""Patients' language: everything they read comes in it; existing patients read English.

Revision ID: 0018_patient_language
Revises: 0017_report_seen
Create Date: 2026-12-03 17:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0018_patient_language"
down_revision: str | None = "0017_report_seen"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The server default fills existing rows: every patient so far was enrolled in English.
    op.add_column(
        "patient",
        sa.Column(
            "language",
            sqlmodel.sql.sqltypes.AutoString(length=16),
            nullable=False,
            server_default="en",
        ),
    )


def downgrade() -> None:
    op.drop_column("patient", "language")  # SQLite 3.35+ drops a column in place
