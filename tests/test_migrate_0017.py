"""Revision 0017 (reports seen): an acknowledged alert's report comes up seen by whoever
acknowledged it, when they did, with no reply (the note is never the patient's); others unseen."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import inspect
from sqlmodel import col, select

from app.clinics.models import Clinic
from app.db import transaction
from app.patients.models import Patient
from app.reports.alerts import acknowledge
from app.reports.models import Alert, ReportCreate, SymptomReport
from app.reports.service import submit
from tests.support.migrations import NOW, database_at_head

LATER = NOW + timedelta(minutes=7)


def test_0017_backfills_seen_from_acknowledgements_without_the_note(tmp_path: Path) -> None:
    with database_at_head(tmp_path) as db:
        enrolled = db.enrol()
        clinic, nurse, ada = enrolled.clinic, enrolled.nurse, enrolled.patient
        ids = {}
        with transaction(db.factory) as session:
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

        db.down("0016_carers")
        columns = {c["name"] for c in inspect(db.engine).get_columns("symptom_report")}
        assert {"seen_at", "seen_by", "reply"} & columns == set()
        outbox = {c["name"] for c in inspect(db.engine).get_columns("outbox_message")}
        assert {"report_id", "text"} & outbox == set()

        db.up()
        with db.factory() as session:
            seen = {name: session.get(SymptomReport, report_id) for name, report_id in ids.items()}
        acknowledged = seen["acknowledged"]
        assert acknowledged is not None
        assert (acknowledged.seen_at, acknowledged.seen_by) == (LATER, nurse.id)
        assert acknowledged.reply == ""
        for name in ("open", "routine"):
            report = seen[name]
            assert report is not None
            assert (report.seen_at, report.seen_by, report.reply) == (None, None, "")
