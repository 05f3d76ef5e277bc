"""Revision 0018 (patient language): patients enrolled before it read English, and it undoes."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import inspect, text

from app.config import Settings
from app.db import make_engine, session_factory, transaction
from app.migrate import alembic_config, upgrade_to_head
from app.patients.models import Patient
from tests.support.database import throwaway_database
from tests.support.factories import make_clinic_with_staff, make_patient
from tests.test_migrate_0007 import NOW


def test_0018_gives_existing_patients_english(tmp_path: Path) -> None:
    settings = Settings(database_url="sqlite://", data_dir=tmp_path / "data")
    with throwaway_database(tmp_path) as url:
        engine = make_engine(url)
        try:
            upgrade_to_head(engine)
            factory = session_factory(engine)
            clinic, nurse = make_clinic_with_staff(factory, now=NOW)
            ada, _ = make_patient(factory, clinic=clinic, staff=nurse, now=NOW, settings=settings)
            with transaction(factory) as session:
                patient = session.get(Patient, ada.id)
                assert patient is not None
                patient.language = "pl"

            command.downgrade(alembic_config(url), "0017_report_seen")
            columns = {c["name"] for c in inspect(engine).get_columns("patient")}
            assert "language" not in columns

            command.upgrade(alembic_config(url), "head")
            with engine.connect() as connection:
                languages = connection.execute(text("SELECT language FROM patient")).all()
            assert [row.language for row in languages] == ["en"]
        finally:
            engine.dispose()
