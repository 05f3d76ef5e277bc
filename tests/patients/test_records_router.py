"""Staff routes of a patient's record: reports, and who may reach any record route."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.clock import FixedClock
from tests.support.api import enrol, pair_phone
from tests.support.api import send_report as report
from tests.support.audit import patient_audit_actions as audit_actions


class TestReports:
    def test_newest_first_with_the_reasons_for_each_level(
        self, staff: TestClient, phone: TestClient, app: Any, clock: FixedClock
    ) -> None:
        created = enrol(staff)
        pair_phone(phone, created["enrolment"]["code"])
        routine = report(phone, pain=2, signs=["bruising"], note="a little sore")
        clock.advance(timedelta(minutes=10))
        urgent = report(phone, pain=8)
        with TestClient(app) as other_phone:
            pair_phone(other_phone, enrol(staff, name="Other Patient")["enrolment"]["code"])
            report(other_phone, signs=["chest_pain_breathless"])
        response = staff.get(f"/api/patients/{created['id']}/reports")
        assert response.status_code == 200, response.text
        listed = response.json()
        assert [r["id"] for r in listed] == [urgent["id"], routine["id"]]
        assert listed[0]["level"] == "urgent"
        assert listed[0]["reasons"] and all(isinstance(r, str) for r in listed[0]["reasons"])
        assert listed[1]["note"] == "a little sore"
        assert listed[1]["signs"] == ["bruising"]
        assert listed[0]["created_at"].startswith("2026-03-27T12:10:00")

    def test_a_patient_without_reports_has_an_empty_list(self, staff: TestClient) -> None:
        assert staff.get(f"/api/patients/{enrol(staff)['id']}/reports").json() == []


# Every route of the module: (method, path under the patient, JSON body, audit action).
ROUTES: list[tuple[str, str, dict[str, Any] | None, str]] = [
    ("GET", "/reports", None, "reports.read"),
    ("GET", "/appointments", None, "appointments.read"),
    (
        "PUT",
        "/appointments/follow_up/1",
        {"booked_at": "2026-04-13T14:30:00+01:00"},
        "appointment.book",
    ),
    ("DELETE", "/appointments/follow_up/1", None, "appointment.unbook"),
    ("GET", "/devices", None, "devices.read"),
    ("POST", "/devices/{device}/revoke", None, "device.revoke"),
    ("GET", "/export", None, "patient.export"),
]


@pytest.fixture
def record(staff: TestClient, phone: TestClient) -> tuple[str, str]:
    """A patient with a paired phone and a booked first visit: (patient id, device id)."""
    created = enrol(staff)
    pair_phone(phone, created["enrolment"]["code"])
    base = f"/api/patients/{created['id']}"
    booked = staff.put(
        f"{base}/appointments/follow_up/1", json={"booked_at": "2026-04-13T10:00:00+01:00"}
    )
    assert booked.status_code == 200, booked.text
    (device,) = staff.get(f"{base}/devices").json()
    return created["id"], device["id"]


class TestAccess:
    @pytest.mark.parametrize(("method", "suffix", "body", "action"), ROUTES)
    def test_staff_of_the_clinic_are_served_and_audited(
        self,
        staff: TestClient,
        record: tuple[str, str],
        factory: sessionmaker[Session],
        method: str,
        suffix: str,
        body: dict[str, Any] | None,
        action: str,
    ) -> None:
        patient_id, device_id = record
        before = audit_actions(factory, patient_id)
        path = f"/api/patients/{patient_id}{suffix.format(device=device_id)}"
        response = staff.request(method, path, json=body)
        assert response.status_code < 300, response.text
        assert audit_actions(factory, patient_id) == [*before, action]

    @pytest.mark.parametrize(("method", "suffix", "body", "action"), ROUTES)
    def test_anonymous_other_clinic_and_unknown_are_refused(
        self,
        staff: TestClient,
        hill: TestClient,
        record: tuple[str, str],
        app: Any,
        factory: sessionmaker[Session],
        method: str,
        suffix: str,
        body: dict[str, Any] | None,
        action: str,
    ) -> None:
        patient_id, device_id = record
        before = audit_actions(factory, patient_id)
        suffix = suffix.format(device=device_id)
        path = f"/api/patients/{patient_id}{suffix}"
        with TestClient(app) as anonymous:
            refused = anonymous.request(method, path, json=body)
        assert (refused.status_code, refused.json()["code"]) == (401, "not_authenticated")
        foreign = hill.request(method, path, json=body)
        assert (foreign.status_code, foreign.json()["code"]) == (404, "not_found")
        unknown = staff.request(method, f"/api/patients/{uuid.uuid4()}{suffix}", json=body)
        assert unknown.json() == foreign.json()  # another clinic's patient looks missing
        assert staff.request(method, f"/api/patients/nope{suffix}", json=body).status_code == 422
        assert audit_actions(factory, patient_id) == before
        # Nothing changed either: the booking and the device are as they were.
        listed = staff.get(f"/api/patients/{patient_id}/appointments").json()
        assert [a["booked"] for a in listed if a["key"] == "follow_up/1"] == [True]
        devices = staff.get(f"/api/patients/{patient_id}/devices").json()
        assert [d["revoked_at"] for d in devices] == [None]
