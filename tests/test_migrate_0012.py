"""Revision 0012: every stored treatment gets the number the plan's keys already gave it (its
place in time among the patient's treatments), and going down drops what it added."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

from alembic import command
from sqlalchemy import text

from app.config import Settings
from app.db import make_engine, session_factory
from app.migrate import alembic_config, upgrade_to_head
from tests.support.database import throwaway_database
from tests.support.factories import make_clinic_with_staff, make_patient
from tests.test_migrate_0007 import NOW


def test_0012_numbers_each_patients_treatments_in_time_order(tmp_path: Path) -> None:
    settings = Settings(database_url="sqlite://", data_dir=tmp_path / "data")
    with throwaway_database(tmp_path) as url:
        engine = make_engine(url)
        try:
            upgrade_to_head(engine)
            factory = session_factory(engine)
            clinic, nurse = make_clinic_with_staff(factory, now=NOW)
            ada, _ = make_patient(factory, clinic=clinic, staff=nurse, now=NOW, settings=settings)
            grace, _ = make_patient(
                factory, clinic=clinic, staff=nurse, now=NOW, settings=settings, name="Grace"
            )
            command.downgrade(alembic_config(url), "0011_patient_email_notes")
            with engine.begin() as connection:
                # Inserted out of time order: the number follows the time, not the insert.
                for patient, hours in ((ada.id, 3), (grace.id, 2), (ada.id, 1)):
                    connection.execute(
                        text(
                            "INSERT INTO treatment (id, patient_id, performed_at, method, notes,"
                            " created_at) VALUES (:id, :p, :at, 'sclerotherapy', '', :at)"
                        ),
                        {
                            "id": uuid.uuid4().hex if url.startswith("sqlite") else uuid.uuid4(),
                            "p": patient.hex if url.startswith("sqlite") else patient,
                            "at": NOW + timedelta(hours=hours),
                        },
                    )
            command.upgrade(alembic_config(url), "head")
            with engine.connect() as connection:
                rows = connection.execute(
                    text("SELECT patient_id, number FROM treatment ORDER BY performed_at")
                ).all()
            numbers: dict[str, list[int]] = {}
            for patient_id, number in rows:
                numbers.setdefault(str(patient_id).replace("-", ""), []).append(number)
            assert numbers == {ada.id.hex: [1, 2, 3], grace.id.hex: [1, 2]}

            command.downgrade(alembic_config(url), "0011_patient_email_notes")
            with engine.connect() as connection:
                columns = connection.execute(text("SELECT * FROM treatment")).keys()
            assert "number" not in columns and "voided_at" not in columns
        finally:
            engine.dispose()
