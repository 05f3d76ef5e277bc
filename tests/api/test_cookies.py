"""Session cookie flags follow the public URL: Secure and `__Host-` when reached over HTTPS."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import Response
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.api.cookies import HOST_PREFIX, STAFF_COOKIE, cookie_name, set_session_cookie
from app.clock import FixedClock
from app.config import Settings
from app.main import create_app
from tests.support.factories import STAFF_PASSWORD, make_clinic_with_staff

HTTPS = "https://aftercare.example.org"


@pytest.mark.parametrize(
    ("public_url", "secure"),
    [("https://aftercare.example.org", True), ("http://127.0.0.1:8000", False)],
)
def test_secure_flag_follows_the_public_url(public_url: str, secure: bool) -> None:
    response = Response()
    settings = Settings(public_url=public_url, _env_file=None)  # type: ignore[call-arg]
    set_session_cookie(
        response,
        name=STAFF_COOKIE,
        token="t" * 32,
        lifetime=timedelta(hours=12),
        settings=settings,
        same_site="strict",
    )
    cookie = response.headers["set-cookie"]
    assert ("Secure" in cookie) is secure
    assert "HttpOnly" in cookie
    assert "Max-Age=43200" in cookie


def test_secure_cookies_carry_the_host_prefix_and_what_it_requires() -> None:
    response = Response()
    settings = Settings(public_url=HTTPS, _env_file=None)  # type: ignore[call-arg]
    set_session_cookie(
        response, name=STAFF_COOKIE, token="t" * 32, lifetime=timedelta(hours=1),
        settings=settings, same_site="strict",
    )  # fmt: skip
    cookie = response.headers["set-cookie"]
    # A browser drops a `__Host-` cookie unless it is Secure, Path=/ and names no Domain.
    assert cookie.startswith(f"{HOST_PREFIX}{STAFF_COOKIE}=")
    assert "Secure" in cookie and "Path=/" in cookie and "domain" not in cookie.lower()


def test_plain_http_keeps_the_plain_name() -> None:
    # Browsers refuse `__Host-` (a Secure cookie) over http://: the phone-on-Wi-Fi demo.
    settings = Settings(public_url="http://192.168.1.20:8000", _env_file=None)  # type: ignore[call-arg]
    assert cookie_name(STAFF_COOKIE, settings) == STAFF_COOKIE


@pytest.fixture
def https_browser(
    settings: Settings, clock: FixedClock, engine: Engine, tmp_path: Path,
    factory: sessionmaker[Session],
) -> Iterator[TestClient]:  # fmt: skip
    public = settings.model_copy(update={"public_url": HTTPS})
    make_clinic_with_staff(factory, now=clock.now())
    app = create_app(public, clock=clock, engine=engine)
    with TestClient(app, base_url="https://aftercare.example.org") as client:
        yield client


def test_only_the_name_in_use_is_read(https_browser: TestClient) -> None:
    login = {"email": "nurse@riverside.example", "password": STAFF_PASSWORD}
    assert https_browser.post("/api/auth/login", json=login).status_code == 200
    token = https_browser.cookies[HOST_PREFIX + STAFF_COOKIE]
    assert https_browser.get("/api/auth/me").status_code == 200
    https_browser.cookies.clear()
    # A plain-named copy, as a sibling subdomain or an http:// page could plant: ignored.
    https_browser.cookies.set(STAFF_COOKIE, token)
    assert https_browser.get("/api/auth/me").status_code == 401
    https_browser.cookies.set(HOST_PREFIX + STAFF_COOKIE, token)
    assert https_browser.get("/api/auth/me").status_code == 200
    logout = https_browser.post("/api/auth/logout")
    assert logout.headers["set-cookie"].startswith(f'{HOST_PREFIX}{STAFF_COOKIE}=""')
