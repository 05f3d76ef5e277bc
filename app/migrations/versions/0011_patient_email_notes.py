"""A patient's e-mail address (optional, for reminders by e-mail) and the clinic's notes.

Revision ID: 0011_patient_email_notes
Revises: 0010_password_reset_links
Create Date: 2026-12-02 12:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011_patient_email_notes"
down_revision: str | None = "0010_password_reset_links"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE, not batch mode: on SQLite a batch copies the table and drops the old
    # one, and with foreign keys on that drop would delete every patient's treatments and plan.
    op.add_column(
        "patient",
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    )
    op.add_column(
        "patient",
        sa.Column(
            "notes",
            sqlmodel.sql.sqltypes.AutoString(length=2000),
            nullable=False,
            server_default="",
        ),
    )


def downgrade() -> None:
    op.drop_column("patient", "notes")  # SQLite 3.35+ drops a column in place
    op.drop_column("patient", "email")
