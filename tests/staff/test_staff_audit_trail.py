"""What the audit trail records: list and inbox reads, refused access, exports; no free text."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.clock import FixedClock
from app.staff import audit
from app.staff.models import AuditEvent
from tests.support.api import enrol, pair_phone, send_report, sign_in_staff

NAME = "Quentin Auditable"


def trail(factory: sessionmaker[Session], action: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(col(AuditEvent.id))
    if action is not None:
        query = query.where(AuditEvent.action == action)
    with factory() as session:
        return list(session.exec(query))


def assert_no_free_text(event: AuditEvent, *words: str) -> None:
    audit.check_detail(event.detail)
    text = json.dumps(event.detail)
    assert not [w for w in words if w.lower() in text.lower()], text


@pytest.fixture
def hill(app: Any, factory: sessionmaker[Session], clock: FixedClock) -> Iterator[TestClient]:
    with TestClient(app) as browser:
        sign_in_staff(browser, factory, now=clock.now(), clinic_name="Hill", email="x@hill.example")
        yield browser


class TestPatientList:
    def test_a_page_is_one_row_with_the_search_by_its_length(
        self, staff: TestClient, factory: sessionmaker[Session]
    ) -> None:
        enrol(staff, name=NAME)
        response = staff.get("/api/patients", params={"q": "Quentin", "sort": "-name"})
        assert response.status_code == 200 and response.json()["total"] == 1
        [event] = trail(factory, "patients.list")
        assert event.detail == {
            "search_length": 7, "sort": "-name", "reminders": None, "alerts": None,
            "rows": 1, "total": 1, "offset": 0,
        }  # fmt: skip
        assert event.staff_id is not None and event.patient_id is None
        assert_no_free_text(event, "Quentin")

    def test_the_csv_export_keeps_the_search_by_its_length_only(
        self, staff: TestClient, factory: sessionmaker[Session]
    ) -> None:
        enrol(staff, name=NAME)
        response = staff.get("/api/patients.csv", params={"q": "Auditable"})
        assert response.status_code == 200 and NAME in response.text
        [event] = trail(factory, "patients.export_csv")
        assert (event.detail["search_length"], event.detail["rows"]) == (9, 1)
        assert "q" not in event.detail
        assert_no_free_text(event, "Auditable")


class TestAlertsInbox:
    def test_a_read_is_recorded_and_the_consoles_polls_are_not_repeated(
        self, staff: TestClient, phone: TestClient, factory: sessionmaker[Session],
        clock: FixedClock,
    ) -> None:  # fmt: skip
        pair_phone(phone, enrol(staff, name=NAME)["enrolment"]["code"])
        send_report(phone, pain=9, note=f"{NAME} is in pain")
        for _ in range(3):  # the console's 5 s poll
            assert len(staff.get("/api/alerts", params={"status": "open"}).json()) == 1
            clock.advance(timedelta(seconds=5))
        [event] = trail(factory, "alerts.list")
        assert (event.detail["status"], event.detail["rows"]) == ("open", 1)
        assert_no_free_text(event, "Quentin", "pain")
        # What was shown changed (acknowledged): the next read is recorded.
        [alert] = staff.get("/api/alerts").json()
        assert trail(factory, "alerts.list")[-1].detail["status"] is None  # another filter
        acknowledged = staff.post(f"/api/alerts/{alert['id']}/acknowledge", json={"note": "ok"})
        assert acknowledged.status_code == 200
        staff.get("/api/alerts")
        assert len(trail(factory, "alerts.list")) == 3


class TestRefusedAccess:
    def test_another_clinics_patient_is_one_refusal_in_the_askers_clinic(
        self, staff: TestClient, hill: TestClient, factory: sessionmaker[Session]
    ) -> None:
        theirs = enrol(staff, name=NAME)["id"]
        assert hill.get(f"/api/patients/{theirs}").status_code == 404
        [event] = trail(factory, "patient.refused")
        assert event.detail == {"status": 404, "refused": "not_found", "requested_id": theirs}
        # Not on the patient's own trail: Riverside's export must not show Hill's staff.
        assert event.patient_id is None
        assert event.clinic_id != trail(factory, "patient.create")[0].clinic_id

    def test_a_missing_patient_is_a_refusal_too(
        self, staff: TestClient, factory: sessionmaker[Session]
    ) -> None:
        missing = str(uuid.uuid4())
        assert staff.get(f"/api/patients/{missing}/reports").status_code == 404
        [event] = trail(factory, "patient.refused")
        assert event.detail["requested_id"] == missing

    def test_a_clinician_erasing_is_a_refused_403(
        self, staff: TestClient, factory: sessionmaker[Session]
    ) -> None:
        patient = enrol(staff, name=NAME)["id"]
        response = staff.request("DELETE", f"/api/patients/{patient}", json={"confirm_name": NAME})
        assert (response.status_code, response.json()["code"]) == (403, "admin_only")
        [event] = trail(factory, "patient.refused")
        assert event.detail == {"status": 403, "refused": "admin_only", "requested_id": patient}
        assert_no_free_text(event, "Quentin")

    def test_nobody_signed_in_is_not_recorded(
        self, client: TestClient, factory: sessionmaker[Session]
    ) -> None:
        # No one to attribute it to, and anyone could flood it: the access log has these.
        assert client.get(f"/api/patients/{uuid.uuid4()}").status_code == 401
        assert trail(factory) == []


class TestExports:
    def test_a_patients_export_is_one_row(
        self, staff: TestClient, factory: sessionmaker[Session]
    ) -> None:
        patient = enrol(staff, name=NAME)["id"]
        assert staff.get(f"/api/patients/{patient}/export").status_code == 200
        [event] = trail(factory, "patient.export")
        assert str(event.patient_id) == patient
