"""Revision 0017 (reports seen): an acknowledged alert's report comes up seen by whoever
acknowledged it, when they did, with no reply (the note is never the patient's); others unseen."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

from alembic import command
from sqlalchemy import inspect
from sqlmodel import col, select

from app.clinics.models import Clinic
from app.config import Settings
from app.db import make_engine, session_factory, transaction
from app.migrate import alembic_config, upgrade_to_head
from app.patients.models import Patient
from app.reports.alerts import acknowledge
from app.reports.models import Alert, ReportCreate, SymptomReport
from app.reports.service import submit
from tests.support.database import throwaway_database
from tests.support.factories import make_clinic_with_staff, make_patient
from tests.test_migrate_0007 import NOW

LATER = NOW + timedelta(minutes=7)


def test_0017_backfills_seen_from_acknowledgements_without_the_note(tmp_path: Path) -> None:
    settings = Settings(database_url="sqlite://", data_dir=tmp_path / "data")
    with throwaway_database(tmp_path) as url:
        engine = make_engine(url)
        try:
            upgrade_to_head(engine)
            factory = session_factory(engine)
            clinic, nurse = make_clinic_with_staff(factory, now=NOW)
            ada, _ = make_patient(factory, clinic=clinic, staff=nurse, now=NOW, settings=settings)
            ids = {}
            with transaction(factory) as session:
                patient, home = session.get(Patient, ada.id), session.get(Clinic, clinic.id)
                assert patient is not None and home is not None
                for name, fields in (
                    ("acknowledged", {"signs": ["fever"]}),
                    ("open", {"signs": ["fever"]}),
                    ("routine", {"pain": 2}),
                ):
                    data = ReportCreate.model_validate({"client_id": str(uuid.uuid4())} | fields)
                    report, _ = submit(session, patient=patient, clinic=home, data=data, now=NOW)
                    ids[name] = report.id
                alert = session.exec(
                    select(Alert).where(col(Alert.report_id) == ids["acknowledged"])
                ).one()
                acknowledge(
                    session, clinic_id=clinic.id, alert_id=alert.id, staff_id=nurse.id,
                    note="Phoned her: the GP sees her at 3. Internal only.", now=LATER,
                )  # fmt: skip

            command.downgrade(alembic_config(url), "0016_carers")
            columns = {c["name"] for c in inspect(engine).get_columns("symptom_report")}
            assert {"seen_at", "seen_by", "reply"} & columns == set()
            outbox = {c["name"] for c in inspect(engine).get_columns("outbox_message")}
            assert {"report_id", "text"} & outbox == set()

            command.upgrade(alembic_config(url), "head")
            with factory() as session:
                seen = {
                    name: session.get(SymptomReport, report_id) for name, report_id in ids.items()
                }
            acknowledged = seen["acknowledged"]
            assert acknowledged is not None
            assert (acknowledged.seen_at, acknowledged.seen_by) == (LATER, nurse.id)
            assert acknowledged.reply == ""
            for name in ("open", "routine"):
                report = seen[name]
                assert report is not None
                assert (report.seen_at, report.seen_by, report.reply) == (None, None, "")
        finally:
            engine.dispose()
