"""On-call alerts by e-mail or SMS: the staff member's phone and choice, the letter's recipient.

Revision ID: 0015_staff_alert_channels
Revises: 0014_delivery_receipts
Create Date: 2026-12-03 09:45:00.000000
"""

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
import sqlmodel
from alembic import op
from alembic.operations import BatchOperations

revision: str = "0015_staff_alert_channels"
down_revision: str | None = "0014_delivery_receipts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNIQUE = "uq_outbox_message_alert_id_staff_id_channel"
_FOREIGN = "fk_outbox_message_staff_id_staff_user"


@contextmanager
def _outbox_batch() -> Iterator[BatchOperations]:
    """outbox_message rebuilt on SQLite (a new foreign key and unique constraint), as in 0013."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
        with op.batch_alter_table("outbox_message") as batch:
            yield batch


def upgrade() -> None:
    # Plain ALTER TABLE: staff_user is referenced by many tables. Everyone starts on push only.
    op.add_column(
        "staff_user",
        sa.Column(
            "phone", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default=""
        ),
    )
    op.add_column(
        "staff_user",
        sa.Column(
            "alert_channel",
            sqlmodel.sql.sqltypes.AutoString(length=10),
            nullable=False,
            server_default="push",
        ),
    )
    with _outbox_batch() as batch:
        batch.add_column(sa.Column("staff_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(_FOREIGN, "staff_user", ["staff_id"], ["id"], ondelete="SET NULL")
        batch.create_unique_constraint(_UNIQUE, ["alert_id", "staff_id", "channel"])


def downgrade() -> None:
    # An alert's e-mail or text has no meaning without its recipient: those rows go.
    op.execute("DELETE FROM outbox_message WHERE staff_id IS NOT NULL")
    with _outbox_batch() as batch:
        batch.drop_constraint(_UNIQUE, type_="unique")
        batch.drop_constraint(_FOREIGN, type_="foreignkey")
        batch.drop_column("staff_id")
    op.drop_column("staff_user", "alert_channel")
    op.drop_column("staff_user", "phone")
