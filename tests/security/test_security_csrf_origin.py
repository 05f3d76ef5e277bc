"""The cross-site guard trusts the configured public origin only, never the request's `Host`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.clock import FixedClock
from app.config import Settings
from app.csrf import own_origins
from app.main import create_app

BOGUS_CODE = {"code": "no-such-enrolment-code-0000"}


def refused(answer: object) -> bool:
    from httpx import Response

    assert isinstance(answer, Response)
    return (answer.status_code, answer.json().get("code")) == (403, "cross_site_request")


@pytest.mark.parametrize(
    ("host", "origin"),
    [
        ("evil.example", "http://evil.example"),
        ("evil.example:8080", "http://evil.example:8080"),
        ("care.example.org.evil.example", "http://care.example.org.evil.example"),
    ],
)
def test_a_forged_host_with_a_matching_origin_is_refused(
    client: TestClient, host: str, origin: str
) -> None:
    # A DNS-rebinding page (its name now points at the service) sends its own Host, and an
    # Origin that matches it; only the configured public origin counts.
    answer = client.post("/api/enrol", json=BOGUS_CODE, headers={"Host": host, "Origin": origin})
    assert refused(answer)


def test_the_public_origin_passes_whatever_the_host(client: TestClient) -> None:
    headers = {"Host": "10.0.0.7:8000", "Origin": "http://testserver"}
    answer = client.post("/api/enrol", json=BOGUS_CODE, headers=headers)
    assert (answer.status_code, answer.json()["code"]) == (404, "link_unknown")


@pytest.fixture
def on_loopback(
    settings: Settings, clock: FixedClock, engine: Engine, tmp_path: Path
) -> Iterator[TestClient]:
    """`make run`'s development server: links on http://127.0.0.1:8000."""
    local = settings.model_copy(update={"public_url": "http://127.0.0.1:8000"})
    with TestClient(create_app(local, clock=clock, engine=engine)) as client:
        yield client


@pytest.mark.parametrize(
    "origin", ["http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000"]
)
def test_development_loopback_names_are_one_origin(on_loopback: TestClient, origin: str) -> None:
    answer = on_loopback.post("/api/enrol", json=BOGUS_CODE, headers={"Origin": origin})
    assert (answer.status_code, answer.json()["code"]) == (404, "link_unknown")


@pytest.mark.parametrize("origin", ["http://localhost:8001", "https://localhost:8000"])
def test_but_not_another_port_or_scheme(on_loopback: TestClient, origin: str) -> None:
    assert refused(on_loopback.post("/api/enrol", json=BOGUS_CODE, headers={"Origin": origin}))


def test_aliases_only_in_development_and_only_for_loopback() -> None:
    assert own_origins("http://127.0.0.1:8000", loopback_aliases=False) == {"http://127.0.0.1:8000"}
    assert own_origins("https://care.example.org/", loopback_aliases=True) == {
        "https://care.example.org"
    }
