"""Carers: people who help a patient on their own phone, with their own link.

Revision ID: 0016_carers
Revises: 0015_staff_alert_channels
Create Date: 2026-12-03 10:00:00.000000
"""

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
import sqlmodel
from alembic import op
from alembic.operations import BatchOperations

from app.dbtypes import UTCDateTime

revision: str = "0016_carers"
down_revision: str | None = "0015_staff_alert_channels"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ONE_OWNER_OLD = "(patient_id IS NULL) <> (staff_id IS NULL)"
_ONE_OWNER = (
    "(CASE WHEN patient_id IS NULL THEN 0 ELSE 1 END"
    " + CASE WHEN staff_id IS NULL THEN 0 ELSE 1 END"
    " + CASE WHEN carer_id IS NULL THEN 0 ELSE 1 END) = 1"
)

# (table, column, indexed): plain ALTER TABLE and no foreign key (as treatment.recorded_by),
# since SQLite could add a key only by copying these tables under the keys that point at them.
_POINTERS = (
    ("device_session", "carer_id", True),
    ("enrolment_link", "carer_link_id", True),
    ("occurrence", "completed_by_carer", False),
    ("symptom_report", "reported_by_carer", False),
)


def upgrade() -> None:
    op.create_table(
        "carer",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carer")),
    )
    op.create_table(
        "carer_link",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("carer_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("reminders", sa.Boolean(), nullable=False),
        sa.Column("invited_by", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("invited_by_staff", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("joined_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("removed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("removed_by", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["carer_id"], ["carer.id"], name=op.f("fk_carer_link_carer_id_carer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_carer_link_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_staff"], ["staff_user.id"],
            name=op.f("fk_carer_link_invited_by_staff_staff_user"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carer_link")),
    )  # fmt: skip
    op.create_index(op.f("ix_carer_link_carer_id"), "carer_link", ["carer_id"])
    op.create_index(op.f("ix_carer_link_patient_id"), "carer_link", ["patient_id"])
    for table, column, indexed in _POINTERS:
        op.add_column(table, sa.Column(column, sa.Uuid(), nullable=True))
        if indexed:
            op.create_index(op.f(f"ix_{table}_{column}"), table, [column])
    # Nothing points at push_subscription, so SQLite may copy it to change its check.
    with _subscription_batch() as batch:
        batch.add_column(sa.Column("carer_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_push_subscription_carer_id_carer"), "carer", ["carer_id"], ["id"],
            ondelete="CASCADE",
        )  # fmt: skip
        batch.create_index(op.f("ix_push_subscription_carer_id"), ["carer_id"])
        batch.drop_constraint(op.f("ck_push_subscription_exactly_one_owner"), type_="check")
        batch.create_check_constraint(op.f("ck_push_subscription_exactly_one_owner"), _ONE_OWNER)


def downgrade() -> None:
    # A carer's subscriptions and phones have no owner without carers: they go.
    op.execute("DELETE FROM push_subscription WHERE carer_id IS NOT NULL")
    with _subscription_batch() as batch:
        batch.drop_constraint(op.f("ck_push_subscription_exactly_one_owner"), type_="check")
        batch.create_check_constraint(
            op.f("ck_push_subscription_exactly_one_owner"), _ONE_OWNER_OLD
        )
        batch.drop_index(op.f("ix_push_subscription_carer_id"))
        batch.drop_constraint(op.f("fk_push_subscription_carer_id_carer"), type_="foreignkey")
        batch.drop_column("carer_id")
    op.execute("DELETE FROM device_session WHERE carer_id IS NOT NULL")
    op.execute("DELETE FROM enrolment_link WHERE carer_link_id IS NOT NULL")
    for table, column, indexed in reversed(_POINTERS):
        if indexed:
            op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
        op.drop_column(table, column)
    op.drop_index(op.f("ix_carer_link_patient_id"), table_name="carer_link")
    op.drop_index(op.f("ix_carer_link_carer_id"), table_name="carer_link")
    op.drop_table("carer_link")
    op.drop_table("carer")


@contextmanager
def _subscription_batch() -> Iterator[BatchOperations]:
    """push_subscription rebuilt (SQLite cannot change a check in place); patient's expression
    index (lower(name)), reflected with the tables it points at, need not be: not rebuilt."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
        with op.batch_alter_table("push_subscription") as batch:
            yield batch
