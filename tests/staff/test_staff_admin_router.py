"""GET/POST/PATCH /api/staff: admins manage their own clinic's accounts, nobody else's."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.clock import FixedClock
from app.db import transaction
from app.staff.models import AuditEvent, StaffRole
from tests.support.api import log_in, sign_in_staff
from tests.support.factories import STAFF_PASSWORD, make_clinic_with_staff

ADMIN = "admin@riverside.example"
NEW = {"email": "new@riverside.example", "name": "Ann Other", "role": "clinician",
       "password": STAFF_PASSWORD}  # fmt: skip


@pytest.fixture
def admin(client: TestClient, factory: sessionmaker[Session], clock: FixedClock) -> TestClient:
    """The browser, signed in as the admin of Riverside Vein Clinic."""
    sign_in_staff(client, factory, now=clock.now(), email=ADMIN, role=StaffRole.ADMIN)
    return client


def create(admin: TestClient, **fields: Any) -> dict[str, Any]:
    response = admin.post("/api/staff", json=NEW | fields)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def account(admin: TestClient, email: str) -> dict[str, Any]:
    [found] = [a for a in admin.get("/api/staff").json() if a["email"] == email]
    return found


def audit_actions(factory: sessionmaker[Session]) -> list[tuple[str, dict[str, Any]]]:
    """The trail less signing in and out (tests/security/test_security_login_audit.py)."""
    with transaction(factory) as session:
        events = session.exec(select(AuditEvent)).all()
        return [(e.action, e.detail) for e in events if not e.action.startswith(SIGNING_IN)]


SIGNING_IN = ("staff.login", "staff.logout")


def log_in_status(client: TestClient, email: str, password: str = STAFF_PASSWORD) -> int:
    return client.post("/api/auth/login", json={"email": email, "password": password}).status_code


class TestWho:
    @pytest.mark.parametrize(
        ("method", "path"),
        [("GET", "/api/staff"), ("POST", "/api/staff"), ("PATCH", f"/api/staff/{uuid.uuid4()}")],
    )
    def test_a_clinician_is_told_it_is_for_admins(
        self, staff: TestClient, method: str, path: str
    ) -> None:
        response = staff.request(method, path, json=NEW)
        assert (response.status_code, response.json()["code"]) == (403, "admin_only")

    @pytest.mark.parametrize("method", ["GET", "POST"])
    def test_nobody_signed_in_gets_401(self, client: TestClient, method: str) -> None:
        assert client.request(method, "/api/staff", json=NEW).status_code == 401

    def test_a_clinician_cannot_create_an_account(self, staff: TestClient) -> None:
        staff.post("/api/staff", json=NEW | {"role": "admin"})
        assert log_in_status(staff, NEW["email"]) == 401


class TestList:
    def test_lists_this_clinics_accounts_only(
        self, admin: TestClient, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        make_clinic_with_staff(factory, now=clock.now(), clinic_name="Hill", email="x@hill.example")
        response = admin.get("/api/staff")
        assert response.status_code == 200
        [me] = response.json()
        assert me == {
            "id": me["id"], "email": ADMIN, "name": "", "role": "admin", "on_call": False,
            "phone": "", "alert_channel": "push",
            "totp_enabled": False, "disabled": False, "created_at": "2026-03-27T12:00:00Z",
        }  # fmt: skip


class TestCreate:
    def test_a_new_account_in_the_admins_clinic_can_sign_in(
        self, admin: TestClient, app: FastAPI, factory: sessionmaker[Session]
    ) -> None:
        created = create(admin, email="New@Riverside.example")
        assert (created["email"], created["name"], created["role"]) == (
            "new@riverside.example", "Ann Other", "clinician"
        )  # fmt: skip
        assert "password" not in created and "password_hash" not in created
        with TestClient(app) as other:
            log_in(other, "new@riverside.example")
            me = other.get("/api/auth/me").json()
            assert me["clinic_id"] == admin.get("/api/auth/me").json()["clinic_id"]
        [(action, detail)] = audit_actions(factory)
        assert action == "staff.create"
        assert detail == {"staff_id": created["id"], "role": "clinician"}  # ids, no address
        assert STAFF_PASSWORD not in str(detail)

    def test_an_admin_can_be_created(self, admin: TestClient) -> None:
        assert create(admin, role="admin")["role"] == "admin"

    @pytest.mark.parametrize("email", ["new@riverside.example", "NEW@Riverside.Example"])
    def test_an_address_already_in_use_is_409(
        self, admin: TestClient, factory: sessionmaker[Session], clock: FixedClock, email: str
    ) -> None:
        make_clinic_with_staff(
            factory, now=clock.now(), clinic_name="Hill", email="new@riverside.example"
        )
        response = admin.post("/api/staff", json=NEW | {"email": email})
        assert (response.status_code, response.json()["code"]) == (409, "email_taken")

    def test_an_address_of_another_clinic_gets_the_same_answer_as_one_of_our_own(
        self, admin: TestClient, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        make_clinic_with_staff(factory, now=clock.now(), clinic_name="Hill", email="x@hill.example")
        create(admin, email="ours@riverside.example")
        elsewhere = admin.post("/api/staff", json=NEW | {"email": "x@hill.example"})
        ours = admin.post("/api/staff", json=NEW | {"email": "ours@riverside.example"})
        assert (elsewhere.status_code, elsewhere.json()) == (ours.status_code, ours.json())
        assert "x@hill.example" not in elsewhere.text

    def test_sweeping_addresses_that_have_accounts_is_refused(
        self, admin: TestClient, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        for n in range(6):
            make_clinic_with_staff(
                factory, now=clock.now(), clinic_name=f"Clinic {n}", email=f"s{n}@other.example"
            )
        for n in range(5):  # the default allowance: typos, not a sweep
            taken = admin.post("/api/staff", json=NEW | {"email": f"s{n}@other.example"})
            assert taken.status_code == 409
        swept = admin.post("/api/staff", json=NEW | {"email": "s5@other.example"})
        assert (swept.status_code, swept.json()["code"]) == (429, "too_many_attempts")
        assert int(swept.headers["Retry-After"]) > 0
        # Refused before the lookup: the answer says nothing about this address either.
        fresh = admin.post("/api/staff", json=NEW)
        assert fresh.status_code == 429
        clock.advance(timedelta(minutes=15))
        assert create(admin)["email"] == NEW["email"]

    @pytest.mark.parametrize(
        "change",
        [
            {"password": "eleven char"},
            {"email": "not-an-email"},
            {"role": "superuser"},
            {"name": "x" * 201},
        ],
        ids=["short-password", "bad-email", "bad-role", "long-name"],
    )
    def test_bad_input_is_422_and_creates_nothing(
        self, admin: TestClient, change: dict[str, str]
    ) -> None:
        response = admin.post("/api/staff", json=NEW | change)
        assert (response.status_code, response.json()["code"]) == (422, "invalid_input")
        assert len(admin.get("/api/staff").json()) == 1


class TestChange:
    def test_name_role_and_on_call_change_and_are_audited(
        self, admin: TestClient, factory: sessionmaker[Session]
    ) -> None:
        created = create(admin)
        response = admin.patch(
            f"/api/staff/{created['id']}", json={"name": "Ann", "role": "admin", "on_call": True}
        )
        assert response.status_code == 200
        body = response.json()
        assert (body["name"], body["role"], body["on_call"]) == ("Ann", "admin", True)
        assert account(admin, NEW["email"]) == body
        (_, detail) = audit_actions(factory)[-1]
        # The new name is text: that it changed, not what it is; the role, a privilege, is kept.
        assert detail["changes"] == {"name": True, "role": "admin", "on_call": True}

    def test_another_clinics_account_is_404_like_a_missing_one(
        self, admin: TestClient, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        _, other = make_clinic_with_staff(
            factory, now=clock.now(), clinic_name="Hill", email="x@hill.example"
        )
        theirs = admin.patch(f"/api/staff/{other.id}", json={"disabled": True})
        missing = admin.patch(f"/api/staff/{uuid.uuid4()}", json={"disabled": True})
        assert theirs.status_code == missing.status_code == 404
        assert theirs.json() == missing.json()
        with TestClient(admin.app) as hill:
            log_in(hill, "x@hill.example")  # untouched

    @pytest.mark.parametrize("change", [{"role": "clinician"}, {"disabled": True}])
    def test_the_last_admin_stays(self, admin: TestClient, change: dict[str, Any]) -> None:
        me = admin.get("/api/auth/me").json()
        response = admin.patch(f"/api/staff/{me['id']}", json=change)
        assert (response.status_code, response.json()["code"]) == (409, "last_admin")
        assert admin.get("/api/auth/me").json()["role"] == "admin"

    def test_disabling_signs_the_account_out_and_keeps_it_out(
        self, admin: TestClient, app: FastAPI
    ) -> None:
        created = create(admin)
        with TestClient(app) as nurse:
            log_in(nurse, NEW["email"])
            response = admin.patch(f"/api/staff/{created['id']}", json={"disabled": True})
            assert response.status_code == 200
            assert response.json()["disabled"] is True
            assert nurse.get("/api/auth/me").status_code == 401
            assert log_in_status(nurse, NEW["email"]) == 401
            admin.patch(f"/api/staff/{created['id']}", json={"disabled": False})
            assert log_in_status(nurse, NEW["email"]) == 200

    def test_an_admin_stepping_down_loses_admin_routes_at_once(self, admin: TestClient) -> None:
        create(admin, role="admin")
        me = admin.get("/api/auth/me").json()
        assert admin.patch(f"/api/staff/{me['id']}", json={"role": "clinician"}).status_code == 200
        assert admin.get("/api/staff").json()["code"] == "admin_only"

    def test_bad_input_is_422(self, admin: TestClient) -> None:
        created = create(admin)
        for body in ({"role": "owner"}, {"on_call": "sometimes"}, {"name": "x" * 201}):
            assert admin.patch(f"/api/staff/{created['id']}", json=body).status_code == 422
        assert admin.patch("/api/staff/not-a-uuid", json={}).status_code == 422
