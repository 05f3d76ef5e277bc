"""GET /api/audit: the clinic's trail for its admins, newest first, filtered, read only."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.clinics.models import Clinic
from app.clock import FixedClock
from app.db import transaction
from app.staff import audit
from app.staff.models import StaffRole, StaffUser
from app.staff.service import create_staff
from tests.support.api import sign_in_staff
from tests.support.factories import make_clinic_with_staff

ADMIN = "admin@riverside.example"
NURSE = "nurse@riverside.example"
PATIENT_A, PATIENT_B = uuid.uuid4(), uuid.uuid4()


@pytest.fixture
def admin(client: TestClient, factory: sessionmaker[Session], clock: FixedClock) -> TestClient:
    sign_in_staff(client, factory, now=clock.now(), email=ADMIN, role=StaffRole.ADMIN)
    return client


def staff_user(factory: sessionmaker[Session], email: str) -> StaffUser:
    with transaction(factory) as session:
        return session.exec(select(StaffUser).where(StaffUser.email == email)).one()


def record(
    factory: sessionmaker[Session], clock: FixedClock, email: str, action: str,
    patient_id: uuid.UUID | None = None,
) -> None:  # fmt: skip
    staff = staff_user(factory, email)
    with transaction(factory) as session:
        audit.record(
            session, staff=staff, action=action, now=clock.now(), patient_id=patient_id,
            ip="192.0.2.7", detail={"status": action},
        )  # fmt: skip
    clock.advance(timedelta(minutes=1))


@pytest.fixture
def trail(admin: TestClient, factory: sessionmaker[Session], clock: FixedClock) -> None:
    """Five events at Riverside (admin and nurse), one at Hill."""
    clinic = staff_user(factory, ADMIN).clinic_id
    with transaction(factory) as session:
        riverside = session.get(Clinic, clinic)
        assert riverside is not None
        create_staff(
            session, clinic=riverside, email=NURSE, password="unlikely shingle 12", now=clock.now()
        )
    make_clinic_with_staff(factory, now=clock.now(), clinic_name="Hill", email="x@hill.example")
    record(factory, clock, ADMIN, "patient.create", PATIENT_A)
    record(factory, clock, NURSE, "patient.read", PATIENT_A)
    record(factory, clock, NURSE, "patient.read", PATIENT_B)
    record(factory, clock, "x@hill.example", "patient.read", PATIENT_A)
    record(factory, clock, ADMIN, "patient.export", PATIENT_B)
    record(factory, clock, NURSE, "alert.acknowledge")


def page(admin: TestClient, **query: Any) -> dict[str, Any]:
    response = admin.get("/api/audit", params=query)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def actions(body: dict[str, Any]) -> list[str]:
    return [item["action"] for item in body["items"]]


class TestWho:
    def test_a_clinician_is_told_it_is_for_admins(self, staff: TestClient) -> None:
        response = staff.get("/api/audit")
        assert (response.status_code, response.json()["code"]) == (403, "admin_only")

    def test_nobody_signed_in_gets_401(self, client: TestClient) -> None:
        assert client.get("/api/audit").status_code == 401


class TestRead:
    def test_newest_first_with_who_what_and_where(self, admin: TestClient, trail: None) -> None:
        body = page(admin)
        assert actions(body) == [
            "alert.acknowledge", "patient.export", "patient.read", "patient.read",
            "patient.create", "staff.login",  # the admin's own sign-in comes first
        ]  # fmt: skip
        assert body["next_before_id"] is None
        newest = body["items"][0]
        assert newest["staff_email"] == NURSE
        assert newest["ip"] == "192.0.2.7"
        assert newest["detail"] == {"status": "alert.acknowledge"}
        assert newest["created_at"] == "2026-03-27T12:05:00Z"
        assert newest["patient_id"] is None
        assert set(newest) == {
            "id", "created_at", "staff_id", "staff_email", "staff_name", "patient_id",
            "patient_name", "patient_erased", "action", "action_label", "detail", "ip",
        }  # fmt: skip

    def test_another_clinics_events_are_not_shown(self, admin: TestClient, trail: None) -> None:
        emails = {item["staff_email"] for item in page(admin)["items"]}
        assert emails == {ADMIN, NURSE}

    def test_pages_follow_on_without_gaps_or_repeats(self, admin: TestClient, trail: None) -> None:
        seen: list[int] = []
        before: int | None = None
        pages = 0
        while True:
            body = page(admin, limit=2, **({"before_id": before} if before else {}))
            seen += [item["id"] for item in body["items"]]
            pages += 1
            before = body["next_before_id"]
            if before is None:
                break
            assert before == body["items"][-1]["id"]
        assert pages == 3
        assert seen == sorted(seen, reverse=True)
        assert seen == [item["id"] for item in page(admin)["items"]]

    def test_an_exact_last_page_says_there_is_no_more(self, admin: TestClient, trail: None) -> None:
        assert page(admin, limit=6)["next_before_id"] is None  # five and the admin's sign-in
        assert page(admin, limit=5)["next_before_id"] is not None


class TestFilters:
    def test_by_patient(self, admin: TestClient, trail: None) -> None:
        body = page(admin, patient_id=str(PATIENT_A))
        assert actions(body) == ["patient.read", "patient.create"]  # not Hill's read

    def test_by_staff(self, admin: TestClient, factory: sessionmaker[Session], trail: None) -> None:
        nurse = staff_user(factory, NURSE)
        body = page(admin, staff_id=str(nurse.id))
        assert actions(body) == ["alert.acknowledge", "patient.read", "patient.read"]

    def test_by_action_and_combined(
        self, admin: TestClient, factory: sessionmaker[Session], trail: None
    ) -> None:
        nurse = staff_user(factory, NURSE)
        assert len(page(admin, action="patient.read")["items"]) == 2
        body = page(admin, action="patient.read", staff_id=str(nurse.id), patient_id=str(PATIENT_B))
        assert [item["patient_id"] for item in body["items"]] == [str(PATIENT_B)]

    def test_another_clinics_staff_shows_nothing(
        self, admin: TestClient, factory: sessionmaker[Session], trail: None
    ) -> None:
        hill = staff_user(factory, "x@hill.example")
        assert page(admin, staff_id=str(hill.id))["items"] == []

    @pytest.mark.parametrize(
        "query",
        [
            {"limit": 0},
            {"limit": 201},
            {"before_id": 0},
            {"patient_id": "nope"},
            {"action": "a" * 65},
        ],
    )
    def test_bad_queries_are_422(self, admin: TestClient, query: dict[str, Any]) -> None:
        assert admin.get("/api/audit", params=query).status_code == 422


class TestReadOnly:
    @pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "POST"])
    def test_nothing_edits_or_deletes_the_trail(
        self, admin: TestClient, factory: sessionmaker[Session], trail: None, method: str
    ) -> None:
        before = page(admin)
        assert admin.request(method, "/api/audit", json={}).status_code == 405
        some_id = before["items"][0]["id"]
        assert admin.request(method, f"/api/audit/{some_id}", json={}).status_code in (404, 405)
        assert page(admin) == before

    def test_the_only_audit_route_is_a_get(self, app: FastAPI) -> None:
        methods = set()
        for context in iter_route_contexts(app.routes):
            route = context.original_route
            if isinstance(route, APIRoute) and str(context.path).startswith("/api/audit"):
                methods |= set(context.methods or ())
        assert methods == {"GET"}
