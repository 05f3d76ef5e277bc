"""A role that requires a second factor: until it is on, the account can only set it up."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.api.staff_auth import signed_in_staff
from app.clock import FixedClock
from app.config import Settings
from app.main import create_app
from app.staff.models import StaffRole, StaffUser
from app.staff.totp import code_at
from tests.support.api import log_in, sign_in_staff, turn_on_totp
from tests.support.factories import STAFF_PASSWORD, add_staff
from tests.support.routes import routes_depending_on

ADMIN = "admin@riverside.example"
NURSE = "nurse@riverside.example"
PARAM_VALUES = {"key": "check_up"}

# What an account that owes its second factor may still do: see who it is, change its
# password, set the factor up, and look after its own sessions (and sign out, which needs no
# account). Written out here, not derived from the app, so a route moved by mistake shows.
ALLOWED_WHILE_OWED = {
    ("GET", "/api/auth/me"),
    ("POST", "/api/auth/password"),
    ("POST", "/api/auth/totp/setup"),
    ("POST", "/api/auth/totp/enable"),
    ("GET", "/api/staff/me/sessions"),
    ("DELETE", "/api/staff/me/sessions/{session_id}"),
    ("POST", "/api/staff/me/sessions/end-others"),
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """As deployed: admins must sign in with a second factor (the suite turns that off)."""
    return settings.model_copy(update={"totp_required_roles": frozenset({"admin"})})


@pytest.fixture
def admin(client: TestClient, factory: sessionmaker[Session], clock: FixedClock) -> TestClient:
    """The browser, signed in with a password as Riverside's admin, who has no second factor."""
    sign_in_staff(client, factory, now=clock.now(), email=ADMIN, role=StaffRole.ADMIN)
    return client


def staff_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route that needs a signed-in staff member, any way it does."""
    return routes_depending_on(app, signed_in_staff)


def filled(path: str) -> str:
    """The path with a made-up value for each parameter."""
    for name in PARAM_VALUES | {"patient_id": "", "alert_id": "", "staff_id": ""}:
        path = path.replace(f"{{{name}}}", PARAM_VALUES.get(name, str(uuid.uuid4())))
        path = path.replace(f"{{{name}:path}}", PARAM_VALUES.get(name, str(uuid.uuid4())))
    return path.replace("{session_id}", str(uuid.uuid4()))


class TestAnAdminWithoutASecondFactor:
    def test_sign_in_says_the_factor_is_owed(self, admin: TestClient) -> None:
        me = admin.get("/api/auth/me")
        assert me.status_code == 200
        assert (me.json()["totp_required"], me.json()["totp_enabled"]) == (True, False)

    def test_every_staff_route_but_setting_it_up_is_refused(
        self, admin: TestClient, app: FastAPI
    ) -> None:
        routes = staff_routes(app)
        assert len(routes) > 30  # the sweep found the app's staff routes
        assert set(routes) >= ALLOWED_WHILE_OWED
        wrong = {}
        for method, path in routes:
            answer = admin.request(method, filled(path), json={})
            refused = answer.status_code == 403 and (
                answer.json().get("code") == "second_factor_required"
            )
            if refused == ((method, path) in ALLOWED_WHILE_OWED):
                wrong[f"{method} {path}"] = (answer.status_code, answer.text[:80])
        assert wrong == {}

    def test_the_refusal_says_what_to_do(self, admin: TestClient) -> None:
        answer = admin.get("/api/patients")
        assert answer.json() == {
            "code": "second_factor_required",
            "detail": "Your role needs two-step sign-in: turn it on before using the console.",
        }

    def test_turning_it_on_opens_the_console_in_the_same_session(
        self, admin: TestClient, clock: FixedClock
    ) -> None:
        turn_on_totp(admin, now=clock.now())
        assert admin.get("/api/patients").status_code == 200
        assert admin.get("/api/staff").status_code == 200
        me = admin.get("/api/auth/me").json()
        assert (me["totp_required"], me["totp_enabled"]) == (True, True)

    def test_turning_it_on_ends_the_sessions_opened_without_it(
        self, admin: TestClient, app: FastAPI, clock: FixedClock
    ) -> None:
        with TestClient(app) as elsewhere:  # someone else with the password, waiting
            log_in(elsewhere, ADMIN)
            assert elsewhere.get("/api/auth/me").status_code == 200
            turn_on_totp(admin, now=clock.now())
            assert elsewhere.get("/api/patients").status_code == 401
            assert elsewhere.get("/api/auth/me").status_code == 401
        assert admin.get("/api/patients").status_code == 200

    def test_its_own_sessions_and_signing_out_still_work(self, admin: TestClient) -> None:
        sessions = admin.get("/api/staff/me/sessions")
        assert sessions.status_code == 200 and len(sessions.json()) == 1
        assert admin.post("/api/auth/logout").status_code == 204
        assert admin.get("/api/auth/me").status_code == 401


class TestTurningItOff:
    def test_is_refused_where_the_role_requires_it_and_nothing_is_counted(
        self, admin: TestClient, clock: FixedClock, factory: sessionmaker[Session]
    ) -> None:
        secret = turn_on_totp(admin, now=clock.now())
        clock.advance(timedelta(seconds=30))
        for password in ["not the password"] * 8 + [STAFF_PASSWORD]:  # 8 > any failure limit
            answer = admin.post(
                "/api/auth/totp/disable",
                json={"password": password, "code": code_at(secret, clock.now())},
            )
            assert answer.status_code == 403
            assert answer.json()["code"] == "totp_required_for_role"
        with factory() as session:
            staff = session.exec(select(StaffUser).where(StaffUser.email == ADMIN)).one()
            assert staff.totp_enabled_at is not None
        # No failure was counted: the password still signs in at once from this address.
        signed_in = admin.post("/api/auth/login", json={"email": ADMIN, "password": STAFF_PASSWORD})
        assert (signed_in.status_code, signed_in.json()["second_factor_required"]) == (200, True)


class TestRoles:
    def test_a_clinician_is_not_asked_unless_the_clinic_says_so(
        self, client: TestClient, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        sign_in_staff(client, factory, now=clock.now(), email=NURSE)
        assert client.get("/api/patients").status_code == 200

    def test_every_role_can_be_required(
        self, settings: Settings, clock: FixedClock, factory: sessionmaker[Session], engine: Engine
    ) -> None:
        strict = settings.model_copy(
            update={"totp_required_roles": frozenset({"admin", "clinician"})}
        )
        with TestClient(create_app(strict, clock=clock, engine=engine)) as browser:
            sign_in_staff(browser, factory, now=clock.now(), email=NURSE)
            refused = browser.get("/api/patients")
            assert (refused.status_code, refused.json()["code"]) == (403, "second_factor_required")

    def test_made_admin_owes_it_from_the_next_request(
        self, admin: TestClient, clock: FixedClock, factory: sessionmaker[Session], app: FastAPI
    ) -> None:
        turn_on_totp(admin, now=clock.now())
        nurse = add_staff(factory, colleague_of=ADMIN, email=NURSE, now=clock.now())
        with TestClient(app) as nurses_browser:
            log_in(nurses_browser, NURSE)
            assert nurses_browser.get("/api/patients").status_code == 200
            promoted = admin.patch(f"/api/staff/{nurse.id}", json={"role": "admin"})
            assert promoted.status_code == 200, promoted.text
            refused = nurses_browser.get("/api/patients")
            assert (refused.status_code, refused.json()["code"]) == (403, "second_factor_required")
