"""Revision 0016 (carers): going down removes carers with their phones, links and push
subscriptions and keeps the patient's own; coming back up works on the same database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, inspect, table
from sqlmodel import select

from app.db import transaction
from app.enrolment.carers import CarersOf
from app.enrolment.service import redeem_enrolment_link
from app.notifications.models import PushSubscriptionIn
from app.notifications.subscriptions import Owner, subscribe
from app.patients.carers import Carer, CarerInvite
from app.patients.models import Patient
from tests.support.api import push_subscription_body
from tests.support.migrations import NOW, database_at_head


def test_0016_down_keeps_the_patients_own_phone_and_drops_the_carers(tmp_path: Path) -> None:
    with database_at_head(tmp_path) as db:
        enrolled = db.enrol()
        ada, link = enrolled.patient, enrolled.link
        with transaction(db.factory) as session:
            patient = session.get(Patient, ada.id)
            assert patient is not None
            _, own_token = redeem_enrolment_link(
                session, code=link.code, label="Ada's phone", now=NOW, settings=db.settings
            )
            invited = CarersOf(
                session=session, patient=patient, staff=None, now=NOW, settings=db.settings
            ).invite(CarerInvite(name="Anna", reminders=True))
            _, carer_token = redeem_enrolment_link(
                session,
                code=invited.enrolment.code,
                label="Anna's phone",
                now=NOW,
                settings=db.settings,
            )
            assert own_token and carer_token
            carer_id = session.exec(select(Carer.id)).one()
            owners = (Owner(patient_id=ada.id), Owner(carer_id=carer_id))
            for owner in owners:
                subscribe(
                    session, owner=owner,
                    data=PushSubscriptionIn.model_validate(push_subscription_body()),
                    key_id="k", now=NOW, settings=db.settings,
                )  # fmt: skip

        db.down("0015_staff_alert_channels")
        tables = set(inspect(db.engine).get_table_names())
        assert {"carer", "carer_link"} & tables == set()
        with db.engine.connect() as connection:
            count = {
                name: connection.execute(select(func.count()).select_from(table(name))).scalar()
                for name in ("device_session", "push_subscription", "enrolment_link")
            }
        assert count == {"device_session": 1, "push_subscription": 1, "enrolment_link": 1}

        db.up()
        assert {"carer", "carer_link"} <= set(inspect(db.engine).get_table_names())
