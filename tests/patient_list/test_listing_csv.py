"""GET /api/patients.csv: every filtered row, adherence by task type, audited, spreadsheet-safe."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.clinics.models import Clinic
from app.clock import FixedClock
from app.config import Settings
from app.shared.spreadsheet import BOM
from app.staff.models import AuditEvent, StaffUser
from tests.adherence.world import Ward, at, treated
from tests.support.api import sign_in_staff

TASK_COLUMNS = [
    f"{task}_{part}"
    for task in (
        "elevate_legs",
        "remove_stocking",
        "hydrocortisone",
        "stockings_on",
        "symptom_check",
    )
    for part in ("done", "due")
]


def download(client: TestClient, **params: Any) -> list[dict[str, str]]:
    response = client.get("/api/patients.csv", params=params)
    assert response.status_code == 200, response.text
    assert response.text.startswith(BOM)  # Excel reads it as UTF-8
    return list(csv.DictReader(io.StringIO(response.text.removeprefix(BOM))))


class TestDownload:
    def test_a_file_named_for_the_clinic_day_with_one_line_per_patient(
        self, client: TestClient, ward: Ward
    ) -> None:
        response = client.get("/api/patients.csv")
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        disposition = response.headers["content-disposition"]
        assert disposition == 'attachment; filename="patients-2026-03-27.csv"'
        assert "no-store" in response.headers["cache-control"]
        reader = csv.reader(io.StringIO(response.text.removeprefix(BOM)))
        header = next(reader)
        assert header == [
            "name", "time_zone", "first_treatment_at", "last_treatment_at", "treatments",
            "done", "due", "percent", *TASK_COLUMNS, "last_active_at", "reminders_on",
            "push_devices", "open_alerts", "next_follow_up_at", "doppler_checked",
        ]  # fmt: skip
        assert [line[0] for line in reader] == ["Ada Able", "bea Bell", "Cy Cole", "Di Dunn"]

    def test_adherence_by_task_type_and_the_other_figures(
        self, client: TestClient, ward: Ward
    ) -> None:
        ada, _bea, _cy, di = download(client)
        assert ada["treatments"] == "2"
        assert (ada["done"], ada["due"], ada["percent"]) == ("4", "13", "31")
        assert (ada["elevate_legs_done"], ada["elevate_legs_due"]) == ("2", "7")
        assert (ada["remove_stocking_done"], ada["remove_stocking_due"]) == ("1", "1")
        assert (ada["hydrocortisone_done"], ada["hydrocortisone_due"]) == ("1", "3")
        assert (ada["symptom_check_done"], ada["symptom_check_due"]) == ("0", "2")
        assert (ada["stockings_on_done"], ada["stockings_on_due"]) == ("0", "0")
        # The clinic's wall clock (London), with the zone's name: GMT, then BST from 29 March.
        assert ada["first_treatment_at"] == "2026-03-25 10:00 GMT"
        assert ada["last_active_at"] == "2026-03-27 09:00 GMT"
        assert ada["next_follow_up_at"] == "2026-04-08 10:00 BST"
        assert (ada["reminders_on"], ada["push_devices"], ada["open_alerts"]) == ("yes", "2", "2")
        assert ada["doppler_checked"] == "yes"
        assert (di["done"], di["due"], di["percent"]) == ("0", "0", "")
        assert (di["last_active_at"], di["reminders_on"], di["doppler_checked"]) == ("", "no", "no")

    def test_the_lists_filters_and_order_apply(self, client: TestClient, ward: Ward) -> None:
        assert [r["name"] for r in download(client, sort="-adherence")] == [
            "bea Bell", "Ada Able", "Cy Cole", "Di Dunn",
        ]  # fmt: skip
        assert [r["name"] for r in download(client, reminders="off", alerts="open")] == ["bea Bell"]
        assert [r["name"] for r in download(client, q="cole")] == ["Cy Cole"]
        assert download(client, q="nobody") == []

    def test_every_row_not_one_page(
        self,
        client: TestClient,
        riverside: tuple[Clinic, StaffUser],
        factory: sessionmaker[Session],
        settings: Settings,
    ) -> None:
        clinic, nurse = riverside
        for n in range(55):
            treated(
                factory, settings, clinic=clinic, staff=nurse, name=f"Patient {n:02d}",
                performed_at=at("2026-03-26 10:00"),
            )  # fmt: skip
        assert len(client.get("/api/patients").json()["items"]) == 50
        assert [r["name"] for r in download(client)] == [f"Patient {n:02d}" for n in range(55)]

    def test_a_formula_for_a_name_stays_text(
        self,
        client: TestClient,
        riverside: tuple[Clinic, StaffUser],
        factory: sessionmaker[Session],
        settings: Settings,
    ) -> None:
        clinic, nurse = riverside
        for name in ('=HYPERLINK("http://evil.example","x")', "@SUM(1)", "+1", "-1"):
            treated(
                factory, settings, clinic=clinic, staff=nurse, name=name,
                performed_at=at("2026-03-26 10:00"),
            )  # fmt: skip
        cells = sorted(r["name"] for r in download(client))
        assert cells == ["'+1", "'-1", '\'=HYPERLINK("http://evil.example","x")', "'@SUM(1)"]

    def test_the_export_is_audited(
        self, client: TestClient, ward: Ward, factory: sessionmaker[Session]
    ) -> None:
        download(client, alerts="open")
        with factory() as session:
            [event] = session.exec(
                select(AuditEvent).where(AuditEvent.action == "patients.export_csv")
            ).all()
        assert event.detail["rows"] == 2
        assert event.detail["alerts"] == "open"
        assert event.staff_id is not None
        assert event.created_at == at("2026-03-27 12:00")


class TestAccess:
    def test_anonymous_is_refused(self, client: TestClient) -> None:
        response = client.get("/api/patients.csv")
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"

    def test_a_bad_sort_is_refused(
        self, client: TestClient, riverside: tuple[Clinic, StaffUser]
    ) -> None:
        assert client.get("/api/patients.csv", params={"sort": "age"}).status_code == 422

    def test_another_clinic_gets_only_the_header(
        self, ward: Ward, app: FastAPI, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        with TestClient(app) as other:
            sign_in_staff(
                other, factory, now=clock.now(), clinic_name="Hill Clinic", email="dr@hill.example"
            )
            assert download(other) == []
