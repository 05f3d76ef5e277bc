"""Revision 0007 on a database with data: links and rows survive, both ways, on both engines."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from app.clinics.models import Clinic
from app.db import transaction
from app.migrate import alembic_config
from app.patients.models import Patient
from app.reports.models import ReportCreate
from app.reports.service import submit
from tests.support.migrations import NOW, database_at_head


def _report(factory: object, patient_id: uuid.UUID, clinic_id: uuid.UUID, **fields: object) -> None:
    with transaction(factory) as session:  # type: ignore[arg-type]
        patient = session.get(Patient, patient_id)
        clinic = session.get(Clinic, clinic_id)
        assert patient is not None and clinic is not None
        data = ReportCreate.model_validate({"client_id": str(uuid.uuid4())} | fields)
        submit(session, patient=patient, clinic=clinic, data=data, now=NOW)


def test_0007_keeps_alert_links_and_patients_down_and_up(tmp_path: Path) -> None:
    with database_at_head(tmp_path) as db:
        enrolled = db.enrol()
        clinic, patient = enrolled.clinic, enrolled.patient
        _report(db.factory, patient.id, clinic.id, pain=9)
        _report(db.factory, patient.id, clinic.id, pain=1, signs=["fever"])

        def state() -> tuple[object, ...]:
            with db.engine.connect() as connection:
                links = connection.execute(
                    text("SELECT count(*) FROM alert WHERE report_id IS NOT NULL")
                ).scalar_one()
                patients = connection.execute(text("SELECT count(*) FROM patient")).scalar_one()
                pushes = connection.execute(
                    text("SELECT count(*) FROM outbox_message WHERE alert_id IS NOT NULL")
                ).scalar_one()
            return links, patients, pushes

        before = state()
        assert before == (2, 1, 2)
        db.down("0006")
        assert state() == before
        db.up()
        assert state() == before


def test_0007_will_not_downgrade_over_a_report_without_a_pain(tmp_path: Path) -> None:
    with database_at_head(tmp_path) as db:
        enrolled = db.enrol()
        clinic, patient = enrolled.clinic, enrolled.patient
        _report(db.factory, patient.id, clinic.id, signs=["bruising"])
        with pytest.raises(RuntimeError, match="1 symptom reports have no pain"):
            db.down("0006")
        with db.engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version"))
            # Refused at 0007: PostgreSQL rolls the whole downgrade back (still at head),
            # SQLite keeps the later steps it had already undone. Never below 0007.
            head = ScriptDirectory.from_config(alembic_config(db.url)).get_current_head()
            assert version.scalar_one() in {"0007", head}
            pains = connection.execute(text("SELECT pain FROM symptom_report"))
            assert pains.scalars().all() == [None]
