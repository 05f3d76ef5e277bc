"""Clinic settings over HTTP: staff read them, admins change them, bad values are refused."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.clinics.models import Clinic
from app.clock import FixedClock
from app.db import transaction
from app.reports.models import Alert
from app.staff.models import AuditEvent, StaffRole
from app.staff.service import create_staff
from tests.support.api import enrol, log_in, pair_phone, sign_in_staff
from tests.support.factories import STAFF_PASSWORD, make_clinic_with_staff

DEFAULT_HOURS = {day: [["08:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def add_staff(
    factory: sessionmaker[Session],
    *,
    clinic_name: str,
    email: str,
    now: datetime,
    role: StaffRole = StaffRole.CLINICIAN,
) -> uuid.UUID:
    with transaction(factory) as session:
        clinic = session.exec(select(Clinic).where(Clinic.name == clinic_name)).one()
        user = create_staff(
            session, clinic=clinic, email=email, password=STAFF_PASSWORD, now=now, role=role
        )
        return user.id


@pytest.fixture
def admin(client: TestClient, factory: sessionmaker[Session], clock: FixedClock) -> TestClient:
    """The browser, signed in as the admin of Riverside Vein Clinic."""
    sign_in_staff(
        client, factory, now=clock.now(), email="admin@riverside.example", role=StaffRole.ADMIN
    )
    return client


@pytest.fixture
def clinician(
    admin: TestClient, app: FastAPI, factory: sessionmaker[Session], clock: FixedClock
) -> Iterator[TestClient]:
    """Another browser: a clinician of the same clinic."""
    riverside = "Riverside Vein Clinic"
    add_staff(factory, clinic_name=riverside, email="nurse@riverside.example", now=clock.now())
    with TestClient(app) as browser:
        log_in(browser, "nurse@riverside.example")
        yield browser


class TestRead:
    def test_staff_see_their_clinics_settings(self, clinician: TestClient) -> None:
        response = clinician.get("/api/clinic")
        assert response.status_code == 200
        body = response.json()
        assert uuid.UUID(body.pop("id"))
        assert body == {
            "name": "Riverside Vein Clinic",
            "phone": "+44 20 7946 0001",
            "out_of_hours_phone": "+44 20 7946 0999",
            "out_of_hours_name": "the on-call nurse",
            "emergency_number": "999",
            "time_zone": "Europe/London",
            "opening_hours": DEFAULT_HOURS,
            "alert_escalation_minutes": 15,
            "fallback_after_minutes": 10,
            "fallback_tasks": ["remove_stocking", "hydrocortisone", "follow_up"],
            "sms_per_day": 4,
            "emails_per_day": 10,
            # The languages patients may be enrolled in (the test settings add the pseudo ones).
            "languages": [
                {"code": "en", "name": "English"},
                {"code": "pl", "name": "Polski"},
                {"code": "qps-ploc", "name": "Pseudo (accented, longer)"},
                {"code": "qps-plocm", "name": "Pseudo (right to left)"},
            ],
        }

    def test_each_clinic_sees_its_own(
        self, admin: TestClient, app: FastAPI, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        with TestClient(app) as other:
            sign_in_staff(other, factory, now=clock.now(), clinic_name="Hill", email="dr@hill.ex")
            assert other.get("/api/clinic").json()["name"] == "Hill"
        assert admin.get("/api/clinic").json()["name"] == "Riverside Vein Clinic"

    def test_strangers_and_patients_are_refused(self, me: TestClient, app: FastAPI) -> None:
        assert me.get("/api/clinic").status_code == 401
        with TestClient(app) as stranger:
            response = stranger.get("/api/clinic")
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"


class TestChange:
    def test_an_admin_changes_every_field(
        self, admin: TestClient, clinician: TestClient, factory: sessionmaker[Session]
    ) -> None:
        change = {
            "name": "Riverside Vein Centre",
            "phone": "+44 20 7946 0999",
            "out_of_hours_phone": "+353 1 555 0100",
            "out_of_hours_name": "the duty doctor",
            "emergency_number": "112",
            "time_zone": "Europe/Dublin",
            "opening_hours": {"sat": [["09:00", "12:00"]], "mon": [["08:30", "17:00"]]},
            "alert_escalation_minutes": 1440,
            "fallback_after_minutes": 30,
            "fallback_tasks": ["remove_stocking"],
            "sms_per_day": 2,
            "emails_per_day": 0,
        }
        response = admin.patch("/api/clinic", json=change)
        assert response.status_code == 200, response.text
        in_order = {"mon": [["08:30", "17:00"]], "sat": [["09:00", "12:00"]]}
        expected = change | {"opening_hours": in_order}
        skipped = ("id", "languages")
        assert {k: v for k, v in response.json().items() if k not in skipped} == expected
        # Stored, and what every member of the clinic now reads.
        assert {
            k: v for k, v in clinician.get("/api/clinic").json().items() if k not in skipped
        } == (expected)
        assert list(clinician.get("/api/clinic").json()["opening_hours"]) == ["mon", "sat"]
        with factory() as session:
            [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "clinic.update"))
        assert event.detail["changed"]["alert_escalation_minutes"] == 1440
        assert event.patient_id is None

    def test_fields_left_out_stay_as_they_are(self, admin: TestClient) -> None:
        response = admin.patch("/api/clinic", json={"alert_escalation_minutes": 30})
        assert response.status_code == 200
        body = response.json()
        assert body["alert_escalation_minutes"] == 30
        assert body["opening_hours"] == DEFAULT_HOURS
        assert body["name"] == "Riverside Vein Clinic"

    def test_no_opening_hours_at_all_is_allowed(self, admin: TestClient) -> None:
        response = admin.patch("/api/clinic", json={"opening_hours": {}})
        assert response.status_code == 200
        assert response.json()["opening_hours"] == {}

    def test_an_unchanged_value_is_not_audited(
        self, admin: TestClient, factory: sessionmaker[Session]
    ) -> None:
        assert admin.patch("/api/clinic", json={"alert_escalation_minutes": 15}).status_code == 200
        with factory() as session:
            events = session.exec(select(AuditEvent).where(AuditEvent.action == "clinic.update"))
            assert list(events) == []

    def test_a_clinician_may_not(self, clinician: TestClient) -> None:
        response = clinician.patch("/api/clinic", json={"alert_escalation_minutes": 60})
        assert response.status_code == 403
        assert response.json()["code"] == "admin_only"
        assert clinician.get("/api/clinic").json()["alert_escalation_minutes"] == 15

    def test_another_clinics_settings_are_untouched(
        self, admin: TestClient, app: FastAPI, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        with TestClient(app) as other:
            sign_in_staff(
                other, factory, now=clock.now(), clinic_name="Hill", email="boss@hill.ex",
                role=StaffRole.ADMIN,
            )  # fmt: skip
            assert admin.patch("/api/clinic", json={"time_zone": "Europe/Paris"}).status_code == 200
            assert other.get("/api/clinic").json()["time_zone"] == "Europe/London"

    def test_another_clinics_name_is_taken(
        self, admin: TestClient, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        make_clinic_with_staff(factory, now=clock.now(), clinic_name="Hill", email="dr@hill.ex")
        response = admin.patch("/api/clinic", json={"name": " Hill "})
        assert response.status_code == 409
        assert response.json()["code"] == "name_taken"


class TestValidation:
    @pytest.mark.parametrize(
        ("change", "problem"),
        [
            ({"time_zone": "Mars/Olympus_Mons"}, "Unknown time zone 'Mars/Olympus_Mons'"),
            ({"time_zone": "GMT+1"}, "Unknown time zone"),
            ({"alert_escalation_minutes": 0}, "The escalation time must be at least 1."),
            ({"alert_escalation_minutes": 1441}, "The escalation time must be at most 1440."),
            ({"opening_hours": {"monday": [["08:00", "18:00"]]}}, "Unknown weekday 'monday'"),
            ({"opening_hours": {"mon": [["8am", "6pm"]]}}, "'8am' is not HH:MM"),
            ({"opening_hours": {"mon": [["18:00", "08:00"]]}}, "must start before it ends"),
            (
                {"opening_hours": {"mon": [["08:00", "13:00"], ["12:00", "18:00"]]}},
                "must not overlap",
            ),
            ({"opening_hours": {"mon": [["13:00", "18:00"], ["08:00", "12:00"]]}}, "in order"),
            ({"opening_hours": {"mon": [["08:00"]]}}, "a [start, end] pair"),
            ({"opening_hours": ["08:00", "18:00"]}, "The opening hours"),
            ({"emergency_number": "call 999"}, "The emergency number"),
            ({"phone": "not a number"}, "phone"),
            ({"out_of_hours_phone": "ring Bob"}, "The out-of-hours phone"),
            ({"out_of_hours_name": "  "}, "Please fill in the out-of-hours name."),
            ({"out_of_hours_name": "Dr {name}"}, "The out-of-hours name"),
            ({"out_of_hours_phone": None}, "The out-of-hours phone cannot be removed"),
            ({"name": "   "}, "name"),
            ({"name": None}, "The name cannot be removed"),
            ({"opening_hours": None}, "The opening hours cannot be removed"),
            ({"triage_rules": {}}, "triage_rules"),
            ({"id": str(uuid.uuid4())}, "id"),
        ],
    )
    def test_bad_values_are_refused_saying_why(
        self, admin: TestClient, change: dict[str, Any], problem: str
    ) -> None:
        response = admin.patch("/api/clinic", json=change)
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "invalid_input"
        assert problem in response.json()["detail"]
        assert admin.get("/api/clinic").json()["opening_hours"] == DEFAULT_HOURS


class TestNewAlertsFollowTheSettings:
    def test_the_next_alert_escalates_after_the_new_minutes(
        self,
        admin: TestClient,
        phone: TestClient,
        factory: sessionmaker[Session],
        clock: FixedClock,
    ) -> None:
        # Friday 27 March 2026 12:00 UTC (GMT): open until 18:00, Monday from 08:00 BST.
        change = {"alert_escalation_minutes": 400}
        assert admin.patch("/api/clinic", json=change).status_code == 200
        pair_phone(phone, enrol(admin)["enrolment"]["code"])
        body = {"client_id": str(uuid.uuid4()), "pain": 9, "signs": [], "note": ""}
        assert phone.post("/api/me/reports", json=body).status_code == 201
        # The clinic closes at 18:00, before 400 minutes of opening time have passed: plain
        # minutes (18:40 on Friday), not Monday morning (out of hours the on-call clock runs).
        with factory() as session:
            [alert] = session.exec(select(Alert)).all()
        assert alert.created_at == clock.now()
        assert alert.escalate_at == clock.now() + timedelta(minutes=400)
