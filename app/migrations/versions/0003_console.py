"""Clinic console: opening hours, TOTP, shared rate limits, alert escalation, last activity.

New NOT NULL columns carry server defaults so existing rows migrate without data.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 19:22:15.663150
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.dbtypes

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_hit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("key_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", app.dbtypes.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_limit_hit")),
    )
    with op.batch_alter_table("rate_limit_hit", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rate_limit_hit_scope_key_at", ["scope", "key_hash", "created_at"], unique=False
        )

    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("escalate_at", app.dbtypes.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            "ix_alert_status_escalate_at", ["status", "escalate_at"], unique=False
        )

    with op.batch_alter_table("clinic", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "time_zone",
                sqlmodel.sql.sqltypes.AutoString(length=64),
                nullable=False,
                server_default="Europe/London",
            )
        )
        batch_op.add_column(
            sa.Column(
                "opening_hours",
                sa.JSON(),
                nullable=False,
                server_default='{"mon": [["08:00", "18:00"]], "tue": [["08:00", "18:00"]], "wed": [["08:00", "18:00"]], "thu": [["08:00", "18:00"]], "fri": [["08:00", "18:00"]]}',
            )
        )
        batch_op.add_column(
            sa.Column("alert_escalation_minutes", sa.Integer(), nullable=False, server_default="15")
        )

    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("last_active_at", app.dbtypes.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_patient_clinic_name", ["clinic_id", "name"], unique=False)

    with op.batch_alter_table("push_subscription", schema=None) as batch_op:
        batch_op.add_column(sa.Column("device_session_id", sa.Uuid(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_push_subscription_device_session_id"),
            ["device_session_id"],
            unique=False,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_push_subscription_device_session_id_device_session"),
            "device_session",
            ["device_session_id"],
            ["id"],
            ondelete="CASCADE",
        )

    with op.batch_alter_table("staff_session", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "second_factor_pending", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch_op.add_column(
            sa.Column(
                "ip", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default=""
            )
        )
        batch_op.add_column(
            sa.Column(
                "user_agent",
                sqlmodel.sql.sqltypes.AutoString(length=200),
                nullable=False,
                server_default="",
            )
        )

    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("totp_enabled_at", app.dbtypes.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("on_call", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.drop_column("on_call")
        batch_op.drop_column("totp_enabled_at")

    with op.batch_alter_table("staff_session", schema=None) as batch_op:
        batch_op.drop_column("user_agent")
        batch_op.drop_column("ip")
        batch_op.drop_column("second_factor_pending")

    with op.batch_alter_table("push_subscription", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_push_subscription_device_session_id_device_session"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_push_subscription_device_session_id"))
        batch_op.drop_column("device_session_id")

    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.drop_index("ix_patient_clinic_name")
        batch_op.drop_column("last_active_at")

    with op.batch_alter_table("clinic", schema=None) as batch_op:
        batch_op.drop_column("alert_escalation_minutes")
        batch_op.drop_column("opening_hours")
        batch_op.drop_column("time_zone")

    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_status_escalate_at")
        batch_op.drop_column("escalate_at")

    with op.batch_alter_table("rate_limit_hit", schema=None) as batch_op:
        batch_op.drop_index("ix_rate_limit_hit_scope_key_at")

    op.drop_table("rate_limit_hit")
