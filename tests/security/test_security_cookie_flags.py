"""Session cookies as the server really sets them: HttpOnly, SameSite, Path, Secure on HTTPS."""

from __future__ import annotations

from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.api.cookies import HOST_PREFIX, PATIENT_COOKIE, STAFF_COOKIE
from app.clock import FixedClock
from app.config import Settings
from app.main import create_app
from tests.support.api import enrol, sign_in_staff
from tests.support.factories import STAFF_PASSWORD


def cookie(response: object, name: str) -> dict[str, str | bool]:
    """The attributes of the Set-Cookie for `name` (lower-case keys; flags are True)."""
    from httpx import Response

    assert isinstance(response, Response)
    for header in response.headers.get_list("set-cookie"):
        jar: SimpleCookie = SimpleCookie()
        jar.load(header)
        if name in jar:
            morsel = jar[name]
            found: dict[str, str | bool] = {"value": morsel.value}
            found |= {key: value for key, value in morsel.items() if value}
            found |= {flag: True for flag in ("httponly", "secure") if flag in header.lower()}
            return found
    raise AssertionError(f"no Set-Cookie for {name}")


@pytest.fixture
def https_app(
    settings: Settings, clock: FixedClock, engine: Engine, tmp_path: Path
) -> Iterator[TestClient]:
    public = Settings(
        database_url=settings.database_url,
        public_url="https://care.example.org",
        vapid_private_key_file=tmp_path / "vapid.pem",
        dispatcher_enabled=False,
        _env_file=None,
    )
    with TestClient(create_app(public, clock=clock, engine=engine)) as client:
        yield client


def staff_login(client: TestClient) -> object:
    login = {"email": "nurse@riverside.example", "password": STAFF_PASSWORD}
    return client.post("/api/auth/login", json=login)


class TestStaffCookie:
    def test_over_http(
        self, client: TestClient, factory: sessionmaker[Session], clock: FixedClock,
        settings: Settings,
    ) -> None:  # fmt: skip
        sign_in_staff(client, factory, now=clock.now())
        flags = cookie(staff_login(client), STAFF_COOKIE)
        assert flags["httponly"] is True
        assert str(flags["samesite"]).lower() == "strict"
        assert flags["path"] == "/"
        assert "secure" not in flags  # http://testserver: a Secure cookie would never return
        assert "domain" not in flags  # host-only: no sibling subdomain receives it
        assert int(str(flags["max-age"])) == settings.staff_session_absolute_hours * 3600

    def test_over_https_it_is_secure(
        self, https_app: TestClient, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        sign_in_staff(https_app, factory, now=clock.now())
        flags = cookie(staff_login(https_app), HOST_PREFIX + STAFF_COOKIE)
        assert flags["secure"] is True and flags["httponly"] is True
        assert flags["path"] == "/" and "domain" not in flags  # what `__Host-` requires
        assert str(flags["samesite"]).lower() == "strict"

    def test_logout_clears_it_with_the_same_path(
        self, client: TestClient, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        sign_in_staff(client, factory, now=clock.now())
        token = client.cookies[STAFF_COOKIE]
        flags = cookie(client.post("/api/auth/logout"), STAFF_COOKIE)
        assert flags["value"] == "" and flags["path"] == "/"
        assert flags.get("max-age") == "0" or "1970" in str(flags.get("expires"))
        client.cookies.set(STAFF_COOKIE, token)  # a kept copy no longer opens anything
        assert client.get("/api/auth/me").status_code == 401


class TestDeviceCookie:
    def test_over_http_and_https(
        self, staff: TestClient, phone: TestClient, https_app: TestClient, settings: Settings
    ) -> None:
        patient = enrol(staff)
        answer = phone.post("/api/enrol", json={"code": patient["enrolment"]["code"]})
        flags = cookie(answer, PATIENT_COOKIE)
        assert flags["httponly"] is True and flags["path"] == "/" and "secure" not in flags
        # Lax, not Strict: the PWA is opened from a link or a notification and must be signed
        # in; every cross-site write is refused anyway (app/csrf.py).
        assert str(flags["samesite"]).lower() == "lax"
        assert int(str(flags["max-age"])) == settings.device_session_days * 86400
        code = staff.post(f"/api/patients/{patient['id']}/enrolment").json()["code"]
        answer = https_app.post("/api/enrol", json={"code": code})
        secure = cookie(answer, HOST_PREFIX + PATIENT_COOKIE)
        assert secure["secure"] is True and secure["httponly"] is True


def test_over_https_the_own_sessions_list_knows_the_session_in_use(
    settings: Settings, clock: FixedClock, engine: Engine, factory: sessionmaker[Session],
    tmp_path: Path,
) -> None:  # fmt: skip
    # Over https the cookie is `__Host-…`: a route reading the plain name would see no session.
    public = Settings(
        database_url=settings.database_url,
        public_url="https://care.example.org",
        vapid_private_key_file=tmp_path / "vapid.pem",
        dispatcher_enabled=False,
        _env_file=None,
    )
    app = create_app(public, clock=clock, engine=engine)
    with TestClient(app, base_url="https://care.example.org") as client:
        sign_in_staff(client, factory, now=clock.now())
        assert HOST_PREFIX + STAFF_COOKIE in client.cookies
        listed = client.get("/api/staff/me/sessions")
        assert listed.status_code == 200
        assert [view["current"] for view in listed.json()] == [True]
