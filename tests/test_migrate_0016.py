"""Revision 0016 (carers): going down removes carers with their phones, links and push
subscriptions and keeps the patient's own; coming back up works on the same database."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import func, inspect, table
from sqlmodel import select

from app.config import Settings
from app.db import make_engine, session_factory, transaction
from app.enrolment.carers import CarersOf
from app.enrolment.service import redeem_enrolment_link
from app.migrate import alembic_config, upgrade_to_head
from app.notifications.models import PushSubscriptionIn
from app.notifications.subscriptions import Owner, subscribe
from app.patients.carers import Carer, CarerInvite
from app.patients.models import Patient
from tests.support.api import push_subscription_body
from tests.support.database import throwaway_database
from tests.support.factories import make_clinic_with_staff, make_patient
from tests.test_migrate_0007 import NOW


def test_0016_down_keeps_the_patients_own_phone_and_drops_the_carers(tmp_path: Path) -> None:
    settings = Settings(database_url="sqlite://", data_dir=tmp_path / "data")
    with throwaway_database(tmp_path) as url:
        engine = make_engine(url)
        try:
            upgrade_to_head(engine)
            factory = session_factory(engine)
            clinic, nurse = make_clinic_with_staff(factory, now=NOW)
            ada, link = make_patient(
                factory, clinic=clinic, staff=nurse, now=NOW, settings=settings
            )
            with transaction(factory) as session:
                patient = session.get(Patient, ada.id)
                assert patient is not None
                _, own_token = redeem_enrolment_link(
                    session, code=link.code, label="Ada's phone", now=NOW, settings=settings
                )
                invited = CarersOf(
                    session=session, patient=patient, staff=None, now=NOW, settings=settings
                ).invite(CarerInvite(name="Anna", reminders=True))
                _, carer_token = redeem_enrolment_link(
                    session,
                    code=invited.enrolment.code,
                    label="Anna's phone",
                    now=NOW,
                    settings=settings,
                )
                assert own_token and carer_token
                carer_id = session.exec(select(Carer.id)).one()
                owners = (Owner(patient_id=ada.id), Owner(carer_id=carer_id))
                for owner in owners:
                    subscribe(
                        session, owner=owner,
                        data=PushSubscriptionIn.model_validate(push_subscription_body()),
                        key_id="k", now=NOW, settings=settings,
                    )  # fmt: skip

            command.downgrade(alembic_config(url), "0015_staff_alert_channels")
            tables = set(inspect(engine).get_table_names())
            assert {"carer", "carer_link"} & tables == set()
            with engine.connect() as connection:
                count = {
                    name: connection.execute(select(func.count()).select_from(table(name))).scalar()
                    for name in ("device_session", "push_subscription", "enrolment_link")
                }
            assert count == {"device_session": 1, "push_subscription": 1, "enrolment_link": 1}

            command.upgrade(alembic_config(url), "head")
            assert {"carer", "carer_link"} <= set(inspect(engine).get_table_names())
        finally:
            engine.dispose()
