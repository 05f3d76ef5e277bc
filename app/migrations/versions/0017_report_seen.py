"""Reports seen by the clinic: when, by whom, and a reply for the patient; their push.

Revision ID: 0017_report_seen
Revises: 0016_carers
Create Date: 2026-12-03 16:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from app.dbtypes import UTCDateTime

revision: str = "0017_report_seen"
down_revision: str | None = "0016_carers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PUSH_INDEX = "ix_outbox_message_report_id_kind_channel"

# An acknowledged alert's report was seen then, by that staff member. The reply stays empty:
# an acknowledgement note is written for colleagues and is never shown to the patient.
_BACKFILL = """
UPDATE symptom_report SET
    seen_at = (
        SELECT MIN(alert.acknowledged_at) FROM alert
        WHERE alert.report_id = symptom_report.id AND alert.acknowledged_at IS NOT NULL
    ),
    seen_by = (
        SELECT alert.acknowledged_by FROM alert
        WHERE alert.report_id = symptom_report.id AND alert.acknowledged_at IS NOT NULL
        ORDER BY alert.acknowledged_at LIMIT 1
    )
WHERE EXISTS (
    SELECT 1 FROM alert
    WHERE alert.report_id = symptom_report.id AND alert.acknowledged_at IS NOT NULL
)
"""


def upgrade() -> None:
    # Plain ALTER TABLE and no foreign keys (as reported_by_carer): alert and outbox_message
    # point at symptom_report, so SQLite could add a key only by copying the tables.
    op.add_column("symptom_report", sa.Column("seen_at", UTCDateTime(timezone=True)))
    op.add_column("symptom_report", sa.Column("seen_by", sa.Uuid(), nullable=True))
    op.add_column(
        "symptom_report",
        sa.Column(
            "reply", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False, server_default=""
        ),
    )
    op.execute(_BACKFILL)
    # The patient's push that their report was seen: once per report (and kind, channel).
    op.add_column("outbox_message", sa.Column("report_id", sa.Uuid(), nullable=True))
    op.add_column(
        "outbox_message",
        sa.Column(
            "text", sqlmodel.sql.sqltypes.AutoString(length=700), nullable=False, server_default=""
        ),
    )
    op.create_index(_PUSH_INDEX, "outbox_message", ["report_id", "kind", "channel"], unique=True)


def downgrade() -> None:
    op.execute("DELETE FROM outbox_message WHERE report_id IS NOT NULL")
    op.drop_index(_PUSH_INDEX, table_name="outbox_message")
    op.drop_column("outbox_message", "text")
    op.drop_column("outbox_message", "report_id")
    op.drop_column("symptom_report", "reply")
    op.drop_column("symptom_report", "seen_by")
    op.drop_column("symptom_report", "seen_at")
