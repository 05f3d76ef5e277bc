"""Revision 0012: every stored treatment gets the number the plan's keys already gave it (its
place in time among the patient's treatments), and going down drops what it added."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from tests.support.factories import make_patient
from tests.support.migrations import NOW, database_at_head


def test_0012_numbers_each_patients_treatments_in_time_order(tmp_path: Path) -> None:
    with database_at_head(tmp_path) as db:
        first = db.enrol()
        ada = first.patient
        grace, _ = make_patient(
            db.factory, clinic=first.clinic, staff=first.nurse, now=NOW, settings=db.settings,
            name="Grace",
        )  # fmt: skip
        db.down("0011_patient_email_notes")
        with db.engine.begin() as connection:
            # Inserted out of time order: the number follows the time, not the insert.
            for patient, hours in ((ada.id, 3), (grace.id, 2), (ada.id, 1)):
                connection.execute(
                    text(
                        "INSERT INTO treatment (id, patient_id, performed_at, method, notes,"
                        " created_at) VALUES (:id, :p, :at, 'sclerotherapy', '', :at)"
                    ),
                    {
                        "id": db.bound(uuid.uuid4()),
                        "p": db.bound(patient),
                        "at": NOW + timedelta(hours=hours),
                    },
                )
        db.up()
        with db.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT patient_id, number FROM treatment ORDER BY performed_at")
            ).all()
        numbers: dict[str, list[int]] = {}
        for patient_id, number in rows:
            numbers.setdefault(str(patient_id).replace("-", ""), []).append(number)
        assert numbers == {ada.id.hex: [1, 2, 3], grace.id.hex: [1, 2]}

        db.down("0011_patient_email_notes")
        with db.engine.connect() as connection:
            columns = connection.execute(text("SELECT * FROM treatment")).keys()
        assert "number" not in columns and "voided_at" not in columns
