"""Security headers on every kind of answer (tests/test_security_headers.py has the basics)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.clock import FixedClock
from app.config import Settings
from app.db import make_engine
from app.main import create_app
from app.security_headers import CONTENT_SECURITY_POLICY
from tests.support.api import sign_in_staff

STATIC = [
    "/app.js",
    "/sw.js",
    "/styles.css",
    "/manifest.webmanifest",
    "/console/",
    "/console/sw.js",
]

Request = Callable[[TestClient], httpx.Response]
ANSWERS: dict[str, tuple[int, Request]] = {
    "401 no session": (401, lambda c: c.get("/api/patients")),
    "403 cross-site": (
        403,
        lambda c: c.post("/api/enrol", json={}, headers={"Origin": "https://x.example"}),
    ),
    "404 unknown api": (404, lambda c: c.get("/api/no-such-thing")),
    "405 wrong method": (405, lambda c: c.put("/api/health")),
    "413 too large": (
        413,
        lambda c: c.post(
            "/api/enrol", content=b"x" * 100_000, headers={"content-type": "application/json"}
        ),
    ),
    "422 invalid": (422, lambda c: c.post("/api/enrol", json={"code": 1})),
    "400 unreadable": (
        400,
        lambda c: c.post(
            "/api/enrol", content=b"\xff", headers={"content-type": "application/json"}
        ),
    ),
    "429 limited": (
        429,
        lambda c: [c.post("/api/enrol", json={"code": "x" * 20}) for _ in range(21)][-1],
    ),
    "HEAD": (200, lambda c: c.head("/")),
    "OPTIONS": (405, lambda c: c.options("/api/health")),
}


def assert_guarded(response: httpx.Response) -> None:
    headers = response.headers
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    assert headers["cross-origin-opener-policy"] == "same-origin"
    assert "camera=()" in headers["permissions-policy"]


@pytest.mark.parametrize("name", ANSWERS)
def test_errors_and_odd_requests(client: TestClient, name: str) -> None:
    status, request = ANSWERS[name]
    response = request(client)
    assert response.status_code == status, response.text
    assert_guarded(response)


@pytest.mark.parametrize("path", STATIC)
def test_static_files(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert_guarded(response)
    assert response.headers["cache-control"] == "no-cache"


def test_a_not_modified_revalidation(client: TestClient) -> None:
    etag = client.get("/sw.js").headers["etag"]
    response = client.get("/sw.js", headers={"if-none-match": etag})
    assert response.status_code == 304
    assert_guarded(response)


def test_a_signed_in_answer_with_personal_data(
    client: TestClient, factory: sessionmaker[Session], clock: FixedClock
) -> None:
    sign_in_staff(client, factory, now=clock.now())
    response = client.get("/api/patients.csv")
    assert_guarded(response)
    assert response.headers["cache-control"] == "no-store"


@pytest.fixture
def broken(tmp_path: Path) -> Iterator[TestClient]:
    """An app whose database has no tables: every query fails, a real unplanned 500."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/never-migrated.db",
        vapid_private_key_file=tmp_path / "vapid.pem",
        dispatcher_enabled=False,
        _env_file=None,
    )
    engine = make_engine(settings.database_url)
    try:
        app: FastAPI = create_app(settings, engine=engine)
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client
    finally:
        engine.dispose()


def test_an_unplanned_500_is_guarded_and_says_nothing(broken: TestClient) -> None:
    response = broken.post("/api/enrol", json={"code": "a-code-long-enough-to-look"})
    assert response.status_code == 500
    assert_guarded(response)
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {"code": "internal_error", "detail": "Something went wrong."}
