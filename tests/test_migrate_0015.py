"""Revision 0015: staff gain a mobile number and an on-call alert channel, outbox rows a staff
recipient (one per alert, staff and channel); going down drops them and the staff letters."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.db import transaction
from app.notifications.models import Channel, OutboxKind
from app.notifications.outbox import queue_alert_push
from app.reports.models import Alert
from app.staff import accounts
from app.staff.models import AlertChannel, StaffUpdate, StaffUser
from tests.support.migrations import NOW, database_at_head


def test_0015_adds_the_staff_channels_and_going_down_drops_the_staff_letters(
    tmp_path: Path,
) -> None:
    with database_at_head(tmp_path) as db:
        enrolled = db.enrol()
        clinic, nurse, ada = enrolled.clinic, enrolled.nurse, enrolled.patient
        with transaction(db.factory) as session:
            target = session.get(StaffUser, nurse.id)
            assert target is not None
            change = StaffUpdate(
                on_call=True, phone="+44 7700 900123", alert_channel=AlertChannel.SMS
            )
            accounts.update(
                session, admin=target, target=target, data=change, now=NOW,
                offered=frozenset({"sms"}),
            )  # fmt: skip
            alert = Alert(clinic_id=clinic.id, patient_id=ada.id, level="urgent", created_at=NOW)
            session.add(alert)
            session.flush()
            queue_alert_push(
                session, alert_id=alert.id, patient_id=ada.id, kind=OutboxKind.ALERT, now=NOW
            )
            alert_id = alert.id
        with db.engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT channel, staff_id FROM outbox_message"
                    " WHERE alert_id IS NOT NULL ORDER BY id"
                )
            ).all()
        assert [(channel, staff is not None) for channel, staff in rows] == [
            (Channel.PUSH, False),
            (Channel.SMS, True),
        ]
        # The database itself keeps one letter per (alert, staff, channel).
        ids = (db.bound(alert_id), db.bound(nurse.id))
        with pytest.raises(IntegrityError), db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO outbox_message (kind, channel, alert_id, staff_id, status,"
                    " due_at, next_attempt_at, expires_at, attempts, last_error, created_at)"
                    " VALUES ('alert', 'sms', :a, :s, 'pending', :at, :at, :at, 0, '', :at)"
                ),
                {"a": ids[0], "s": ids[1], "at": NOW},
            )

        db.down("0014_delivery_receipts")
        with db.engine.connect() as connection:
            outbox = connection.execute(
                text("SELECT * FROM outbox_message WHERE alert_id IS NOT NULL")
            )
            assert "staff_id" not in outbox.keys()  # noqa: SIM118 (a result, not a dict)
            assert [row.channel for row in outbox] == ["push"]  # the text went with it
            staff = connection.execute(text("SELECT * FROM staff_user")).keys()
            assert "phone" not in staff and "alert_channel" not in staff

        db.up()
        with db.engine.connect() as connection:
            (phone, chosen) = connection.execute(
                text("SELECT phone, alert_channel FROM staff_user")
            ).one()
        assert (phone, chosen) == ("", "push")  # everyone starts on push only
