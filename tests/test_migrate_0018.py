"""Revision 0018 (patient language): patients enrolled before it read English, and it undoes."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

from app.db import transaction
from app.patients.models import Patient
from tests.support.migrations import database_at_head


def test_0018_gives_existing_patients_english(tmp_path: Path) -> None:
    with database_at_head(tmp_path) as db:
        ada = db.enrol().patient
        with transaction(db.factory) as session:
            patient = session.get(Patient, ada.id)
            assert patient is not None
            patient.language = "pl"

        db.down("0017_report_seen")
        columns = {c["name"] for c in inspect(db.engine).get_columns("patient")}
        assert "language" not in columns

        db.up()
        with db.engine.connect() as connection:
            languages = connection.execute(text("SELECT language FROM patient")).all()
        assert [row.language for row in languages] == ["en"]
