"""Each treatment's own number; booked ahead and confirmed, corrected, voided; voided tasks.

Revision ID: 0012_treatment_number_void
Revises: 0011_patient_email_notes
Create Date: 2026-12-02 17:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from app.dbtypes import UTCDateTime

revision: str = "0012_treatment_number_void"
down_revision: str | None = "0011_patient_email_notes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString(length=500)


def upgrade() -> None:
    # Plain ALTER TABLE (a batch copy would drop the table under its foreign keys). The number
    # is filled as the plan numbered treatments until now, in time order, so every stored key
    # ("hydrocortisone/t2/…") still names the same treatment.
    op.add_column(
        "treatment", sa.Column("number", sa.Integer(), nullable=False, server_default="0")
    )
    op.execute(
        "UPDATE treatment SET number = (SELECT count(*) FROM treatment AS earlier"
        " WHERE earlier.patient_id = treatment.patient_id"
        " AND (earlier.performed_at < treatment.performed_at"
        " OR (earlier.performed_at = treatment.performed_at AND earlier.id <= treatment.id)))"
    )
    # An index, not a constraint: SQLite cannot add a constraint to a table in place.
    op.create_index(
        "ix_treatment_patient_number", "treatment", ["patient_id", "number"], unique=True
    )
    op.add_column("treatment", sa.Column("corrected_at", UTCDateTime(), nullable=True))
    op.add_column("treatment", sa.Column("corrected_by", sa.Uuid(), nullable=True))
    op.add_column(
        "treatment",
        sa.Column("correction_reason", _TEXT, nullable=False, server_default=""),
    )
    op.add_column(
        "treatment", sa.Column("booked", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("treatment", sa.Column("confirmed_at", UTCDateTime(), nullable=True))
    op.add_column("treatment", sa.Column("confirmed_by", sa.Uuid(), nullable=True))
    op.add_column("treatment", sa.Column("voided_at", UTCDateTime(), nullable=True))
    op.add_column("treatment", sa.Column("voided_by", sa.Uuid(), nullable=True))
    op.add_column("treatment", sa.Column("void_reason", _TEXT, nullable=False, server_default=""))
    op.add_column(
        "occurrence",
        sa.Column("voided", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("occurrence", "voided")
    for name in (
        "void_reason",
        "voided_by",
        "voided_at",
        "confirmed_by",
        "confirmed_at",
        "booked",
        "correction_reason",
        "corrected_by",
        "corrected_at",
    ):
        op.drop_column("treatment", name)
    op.drop_index("ix_treatment_patient_number", "treatment")
    op.drop_column("treatment", "number")
