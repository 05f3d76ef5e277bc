"""One-time set-password links for staff (an admin's reset, or `aftercare staff reset-password`).

Revision ID: 0010_password_reset_links
Revises: 0009_totp_at_rest
Create Date: 2026-12-02 12:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.dbtypes

revision: str = "0010_password_reset_links"
down_revision: str | None = "0009_totp_at_rest"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_password_reset",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("issued_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", app.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", app.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", app.dbtypes.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_user.id"],
            name=op.f("fk_staff_password_reset_staff_id_staff_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["issued_by"],
            ["staff_user.id"],
            name=op.f("fk_staff_password_reset_issued_by_staff_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_password_reset")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_password_reset_token_hash")),
    )
    with op.batch_alter_table("staff_password_reset", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_password_reset_staff_id"), ["staff_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("staff_password_reset", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_password_reset_staff_id"))
    op.drop_table("staff_password_reset")
