"""Staff sign-in: login, TOTP step, limits, logout, expiry, password change, who am I."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.api.cookies import STAFF_COOKIE
from app.api.staff_auth import signed_in_staff
from app.clock import FixedClock
from app.config import Settings
from app.db import transaction
from app.main import create_app
from app.staff.models import AuditEvent, StaffRole, StaffUser
from app.staff.totp import code_at
from tests.support.api import sign_in_staff, turn_on_totp
from tests.support.factories import STAFF_PASSWORD, make_clinic_with_staff
from tests.support.routes import routes_depending_on

EMAIL = "nurse@riverside.example"
LOGIN = {"email": EMAIL, "password": STAFF_PASSWORD}
NEW_PASSWORD = "a brand new pass phrase"
CHANGE = {"current_password": STAFF_PASSWORD, "new_password": NEW_PASSWORD}


def log_in(client: TestClient, email: str = EMAIL, password: str = STAFF_PASSWORD) -> int:
    return client.post("/api/auth/login", json={"email": email, "password": password}).status_code


class TestLogin:
    def test_right_password_opens_a_session(
        self, client: TestClient, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        make_clinic_with_staff(factory, now=clock.now())
        response = client.post(
            "/api/auth/login", json={"email": "Nurse@Riverside.example", "password": STAFF_PASSWORD}
        )
        assert response.status_code == 200
        body = response.json()
        assert body["second_factor_required"] is False
        assert body["staff"]["clinic_name"] == "Riverside Vein Clinic"
        assert body["staff"]["totp_enabled"] is False
        cookie = response.headers["set-cookie"]
        assert f"{STAFF_COOKIE}=" in cookie
        assert "HttpOnly" in cookie
        assert "SameSite=strict" in cookie
        assert "Secure" not in cookie  # served over plain http in tests
        assert client.get("/api/auth/me").json()["email"] == EMAIL

    def test_unknown_email_and_wrong_password_get_the_same_answer(
        self, client: TestClient, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        make_clinic_with_staff(factory, now=clock.now())
        wrong = client.post("/api/auth/login", json={"email": EMAIL, "password": "nope"})
        unknown = client.post(
            "/api/auth/login", json={"email": "who@else.example", "password": STAFF_PASSWORD}
        )
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json() == unknown.json()
        assert "set-cookie" not in wrong.headers
        assert client.get("/api/auth/me").status_code == 401

    def test_disabled_account_cannot_log_in(
        self, client: TestClient, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        _, staff = make_clinic_with_staff(factory, now=clock.now())
        with transaction(factory) as session:
            row = session.get(StaffUser, staff.id)
            assert row is not None
            row.disabled_at = clock.now()
        assert log_in(client) == 401

    def test_malformed_body_is_refused_without_echoing_the_password(
        self, client: TestClient
    ) -> None:
        response = client.post(
            "/api/auth/login", json={"email": "not-an-email", "password": "secret-value"}
        )
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_input"
        assert "secret-value" not in response.text


class TestSession:
    def test_logout_ends_the_session_on_the_server(
        self, client: TestClient, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        make_clinic_with_staff(factory, now=clock.now())
        assert log_in(client) == 200
        stolen = client.cookies.get(STAFF_COOKIE)
        assert client.post("/api/auth/logout").status_code == 204
        assert client.post("/api/auth/logout").status_code == 204  # repeat is harmless
        client.cookies.set(STAFF_COOKIE, stolen or "")
        assert client.get("/api/auth/me").status_code == 401

    def test_idle_session_expires(
        self, client: TestClient, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        make_clinic_with_staff(factory, now=clock.now())
        assert log_in(client) == 200
        clock.advance(timedelta(minutes=29))
        assert client.get("/api/auth/me").status_code == 200  # activity refreshes the idle timer
        clock.advance(timedelta(minutes=29))
        assert client.get("/api/auth/me").status_code == 200
        clock.advance(timedelta(minutes=31))
        assert client.get("/api/auth/me").status_code == 401

    def test_active_session_still_ends_at_its_absolute_expiry(
        self, client: TestClient, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        make_clinic_with_staff(factory, now=clock.now())
        assert log_in(client) == 200
        for _ in range(12 * 3 - 1):  # busy every 20 minutes for just under 12 hours
            clock.advance(timedelta(minutes=20))
            assert client.get("/api/auth/me").status_code == 200
        clock.advance(timedelta(minutes=20))
        assert client.get("/api/auth/me").status_code == 401

    def test_garbage_cookie_is_not_signed_in(self, client: TestClient) -> None:
        client.cookies.set(STAFF_COOKIE, "../../etc/passwd")
        response = client.get("/api/auth/me")
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"


def log_in_body(client: TestClient, email: str = EMAIL, password: str = STAFF_PASSWORD) -> Any:
    response = client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


def send_code(client: TestClient, code: str) -> Response:
    return client.post("/api/auth/login/totp", json={"code": code})


def staff_only_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every API route needing a signed-in staff user (any staff check
    depends on `signed_in_staff`)."""
    return routes_depending_on(app, signed_in_staff)


class TestMe:
    def test_shows_role_two_step_state_and_on_call(self, staff: TestClient) -> None:
        body = staff.get("/api/auth/me").json()
        assert body["email"] == EMAIL
        assert (body["role"], body["totp_enabled"], body["on_call"]) == ("clinician", False, False)
        assert set(body) == {
            "id", "email", "name", "role", "clinic_id", "clinic_name", "totp_enabled",
            "totp_required", "on_call", "phone", "alert_channel", "alert_channels_offered",
        }  # fmt: skip


class TestPendingSession:
    """Password right, TOTP on: the cookie opens the TOTP step and nothing else."""

    @pytest.fixture
    def secret(self, client: TestClient, factory: sessionmaker[Session], clock: FixedClock) -> str:
        sign_in_staff(client, factory, now=clock.now(), role=StaffRole.ADMIN)
        secret = turn_on_totp(client, now=clock.now())
        client.post("/api/auth/logout")
        clock.advance(timedelta(seconds=30))
        return secret

    def test_login_owes_a_code_and_names_nobody(self, client: TestClient, secret: str) -> None:
        body = log_in_body(client)
        assert body == {"second_factor_required": True, "staff": None}
        assert client.cookies.get(STAFF_COOKIE)
        assert "Max-Age=300" in client.post("/api/auth/login", json=LOGIN).headers["set-cookie"]

    def test_every_other_staff_route_refuses_it(
        self, client: TestClient, app: FastAPI, secret: str, clock: FixedClock
    ) -> None:
        log_in_body(client)
        routes = staff_only_routes(app)
        paths = {path for _, path in routes}
        assert {"/api/auth/me", "/api/auth/password", "/api/staff", "/api/audit"} <= paths
        assert "/api/auth/login/totp" not in paths and "/api/auth/logout" not in paths
        assert len(routes) >= 10
        answers = []
        for method, path in routes:
            url = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
            answers.append((method, path, client.request(method, url, json={}).status_code))
        assert {status for _, _, status in answers} == {401}, answers
        # The same browser, once the code is given, is let in: the refusals were the pending state.
        assert send_code(client, code_at(secret, clock.now())).status_code == 200
        for path in ("/api/auth/me", "/api/staff", "/api/audit"):
            assert client.get(path).status_code == 200, path

    def test_the_right_code_gives_a_new_token_and_ends_the_pending_one(
        self, client: TestClient, secret: str, clock: FixedClock
    ) -> None:
        log_in_body(client)
        pending = client.cookies.get(STAFF_COOKIE)
        response = send_code(client, code_at(secret, clock.now()))
        assert response.status_code == 200
        assert response.json()["second_factor_required"] is False
        assert response.json()["staff"]["totp_enabled"] is True
        full = client.cookies.get(STAFF_COOKIE)
        assert full and full != pending
        assert "Max-Age=43200" in response.headers["set-cookie"]
        assert client.get("/api/auth/me").status_code == 200
        client.cookies.set(STAFF_COOKIE, pending or "")
        clock.advance(timedelta(seconds=30))
        assert send_code(client, code_at(secret, clock.now())).status_code == 401
        assert client.get("/api/auth/me").status_code == 401

    def test_a_wrong_code_is_401_and_the_pending_session_stays(
        self, client: TestClient, secret: str, clock: FixedClock
    ) -> None:
        log_in_body(client)
        right = code_at(secret, clock.now())
        wrong = f"{(int(right) + 1) % 1_000_000:06d}"
        response = send_code(client, wrong)
        assert response.status_code == 401
        assert response.json()["code"] == "wrong_code"
        assert send_code(client, "12345x").status_code == 401
        assert send_code(client, right).status_code == 200

    def test_a_code_is_accepted_once(
        self, client: TestClient, app: FastAPI, secret: str, clock: FixedClock
    ) -> None:
        code = code_at(secret, clock.now())
        with TestClient(app) as other:
            log_in_body(client)
            log_in_body(other)
            assert send_code(client, code).status_code == 200
            reused = send_code(other, code)
            assert (reused.status_code, reused.json()["code"]) == (401, "wrong_code")
            clock.advance(timedelta(seconds=30))
            assert send_code(other, code_at(secret, clock.now())).status_code == 200

    def test_the_code_that_turned_totp_on_does_not_also_sign_in(
        self, client: TestClient, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        sign_in_staff(client, factory, now=clock.now())
        secret = turn_on_totp(client, now=clock.now())
        log_in_body(client)
        assert send_code(client, code_at(secret, clock.now())).status_code == 401

    def test_a_code_from_the_previous_step_still_counts_but_not_an_older_one(
        self, client: TestClient, secret: str, clock: FixedClock
    ) -> None:
        log_in_body(client)
        clock.advance(timedelta(seconds=90))
        too_old = code_at(secret, clock.now() - timedelta(seconds=60))
        assert send_code(client, too_old).status_code == 401
        assert (
            send_code(client, code_at(secret, clock.now() - timedelta(seconds=30))).status_code
            == 200
        )

    def test_it_lapses_after_five_minutes(
        self, client: TestClient, secret: str, clock: FixedClock
    ) -> None:
        log_in_body(client)
        clock.advance(timedelta(minutes=5))
        response = send_code(client, code_at(secret, clock.now()))
        assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")

    def test_without_a_pending_session_the_code_step_is_closed(
        self, client: TestClient, secret: str, clock: FixedClock
    ) -> None:
        response = send_code(client, code_at(secret, clock.now()))
        assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")

    def test_a_full_session_cannot_be_used_for_the_code_step(
        self, client: TestClient, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        sign_in_staff(client, factory, now=clock.now())
        secret = turn_on_totp(client, now=clock.now())  # this browser is fully signed in
        clock.advance(timedelta(seconds=30))
        assert send_code(client, code_at(secret, clock.now())).status_code == 401
        assert client.get("/api/auth/me").status_code == 200

    def test_an_account_disabled_meanwhile_gets_no_session(
        self, client: TestClient, factory: sessionmaker[Session], secret: str, clock: FixedClock
    ) -> None:
        log_in_body(client)
        with transaction(factory) as session:
            row = session.exec(select(StaffUser).where(StaffUser.email == EMAIL)).one()
            row.disabled_at = clock.now()
        assert send_code(client, code_at(secret, clock.now())).status_code == 401

    def test_five_wrong_codes_lock_the_code_step_for_the_account(
        self, client: TestClient, app: FastAPI, secret: str, clock: FixedClock
    ) -> None:
        log_in_body(client)
        right = code_at(secret, clock.now())
        wrong = f"{(int(right) + 1) % 1_000_000:06d}"
        for _ in range(5):
            assert send_code(client, wrong).status_code == 401
        refused = send_code(client, right)
        assert (refused.status_code, refused.json()["code"]) == (429, "too_many_attempts")
        assert 0 < int(refused.headers["retry-after"]) <= 15 * 60
        with TestClient(app) as other:  # a new password login does not reset the count
            log_in_body(other)
            assert send_code(other, right).status_code == 429
        clock.advance(timedelta(minutes=15))
        log_in_body(client)
        assert send_code(client, code_at(secret, clock.now())).status_code == 200


class TestLoginLimits:
    def test_five_failures_from_a_client_make_that_client_wait_not_others(
        self, client: TestClient, app: FastAPI, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        make_clinic_with_staff(factory, now=clock.now())
        for _ in range(5):
            assert log_in(client, password="wrong password!") == 401
        refused = client.post("/api/auth/login", json=LOGIN)
        assert refused.status_code == 429
        assert refused.json()["code"] == "too_many_attempts"
        assert int(refused.headers["retry-after"]) == 30
        assert "set-cookie" not in refused.headers
        assert log_in(client, email=EMAIL.upper()) == 429  # the same address, however written
        with TestClient(app, client=("203.0.113.20", 1)) as elsewhere:
            assert log_in(elsewhere) == 200  # the account is not locked
        clock.advance(timedelta(seconds=30))
        assert log_in(client) == 200

    def test_unknown_and_known_addresses_are_limited_alike(
        self, client: TestClient, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        make_clinic_with_staff(factory, now=clock.now())
        answers = []
        for email in (EMAIL, "nobody@riverside.example"):
            for _ in range(5):
                client.post("/api/auth/login", json={"email": email, "password": "wrong!"})
            refused = client.post("/api/auth/login", json={"email": email, "password": "wrong!"})
            answers.append((refused.status_code, refused.json(), refused.headers["retry-after"]))
        assert answers[0] == answers[1]
        assert answers[0][0] == 429

    def test_the_wait_doubles_with_each_further_failure_up_to_fifteen_minutes(
        self, client: TestClient, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        make_clinic_with_staff(factory, now=clock.now())
        for _ in range(5):
            assert log_in(client, password="wrong password!") == 401
        waits = []
        for _ in range(7):
            refused = client.post("/api/auth/login", json=LOGIN)
            assert refused.status_code == 429
            waits.append(int(refused.headers["retry-after"]))
            clock.advance(timedelta(seconds=waits[-1]))
            assert log_in(client, password="wrong password!") == 401
        assert waits == [30, 60, 120, 240, 480, 900, 900]
        clock.advance(timedelta(minutes=15))
        assert log_in(client) == 200  # and the success forgets this client's failures
        assert log_in(client, password="wrong password!") == 401
        assert log_in(client) == 200

    def test_failures_from_one_address_across_many_accounts_are_limited(
        self, settings: Settings, clock: FixedClock, engine: Engine,
        factory: sessionmaker[Session],
    ) -> None:  # fmt: skip
        app = create_app(
            settings.model_copy(update={"login_failures_per_ip": 3}), clock=clock, engine=engine
        )
        make_clinic_with_staff(factory, now=clock.now())
        with TestClient(app) as guesser, TestClient(app, client=("203.0.113.9", 1)) as nurse:
            for n in range(3):
                assert log_in(guesser, email=f"guess{n}@riverside.example") == 401
            assert log_in(guesser) == 429  # a fresh address, the right password: refused
            assert log_in(nurse) == 200  # another address is not affected

    def test_a_successful_login_is_not_counted(
        self, client: TestClient, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        make_clinic_with_staff(factory, now=clock.now())
        for _ in range(8):
            assert log_in(client) == 200


class TestPasswordChange:
    def test_the_new_password_works_and_other_sessions_end(
        self, staff: TestClient, app: FastAPI, factory: sessionmaker[Session]
    ) -> None:
        with TestClient(app) as other:
            assert log_in(other) == 200
            response = staff.post("/api/auth/password", json=CHANGE)
            assert response.status_code == 204
            assert staff.get("/api/auth/me").status_code == 200  # this browser stays in
            assert other.get("/api/auth/me").status_code == 401
            assert log_in(other) == 401
            assert log_in(other, password=NEW_PASSWORD) == 200
        with transaction(factory) as session:
            [event] = session.exec(
                select(AuditEvent).where(AuditEvent.action == "staff.password_change")
            ).all()
        assert NEW_PASSWORD not in str(event.detail) and STAFF_PASSWORD not in str(event.detail)

    def test_a_wrong_current_password_changes_nothing(
        self, staff: TestClient, app: FastAPI
    ) -> None:
        with TestClient(app) as other:
            assert log_in(other) == 200
            response = staff.post(
                "/api/auth/password", json=CHANGE | {"current_password": "not my password"}
            )
            assert (response.status_code, response.json()["code"]) == (422, "wrong_password")
            assert staff.get("/api/auth/me").status_code == 200  # not a reason to sign out
            assert other.get("/api/auth/me").status_code == 200
            assert log_in(other) == 200

    def test_wrong_current_passwords_count_as_failed_logins(
        self, staff: TestClient, app: FastAPI
    ) -> None:
        for _ in range(5):
            staff.post("/api/auth/password", json=CHANGE | {"current_password": "guess guess"})
        assert staff.post("/api/auth/password", json=CHANGE).status_code == 429
        with TestClient(app) as other:
            assert log_in(other) == 429

    def test_a_short_new_password_is_refused(self, staff: TestClient, app: FastAPI) -> None:
        response = staff.post("/api/auth/password", json=CHANGE | {"new_password": "short"})
        assert (response.status_code, response.json()["code"]) == (422, "invalid_input")
        assert "12 characters" in response.json()["detail"]
        with TestClient(app) as other:
            assert log_in(other) == 200

    def test_needs_a_session(self, client: TestClient) -> None:
        assert client.post("/api/auth/password", json=CHANGE).status_code == 401
