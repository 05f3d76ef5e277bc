"""Staff sign-in: login, cookie flags, logout on the server, idle and absolute expiry."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.clock import FixedClock
from app.cookies import STAFF_COOKIE
from app.db import transaction
from app.staff.models import StaffUser
from tests.support.factories import STAFF_PASSWORD, make_clinic_with_staff

EMAIL = "nurse@riverside.example"


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
        assert response.json()["clinic_name"] == "Riverside Vein Clinic"
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
