"""/metrics in production: 404 unless the scraper's bearer token matches; open in development."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr, ValidationError
from sqlalchemy.engine import Engine

from app.clock import FixedClock
from app.config import Settings
from app.main import create_app
from app.notifications.vapid import generate_keys, write_keys
from app.staff import totp_secrets

TOKEN = "s3cr3t-scrape-token-0123456789"


def production_app(
    settings: Settings, clock: FixedClock, engine: Engine, token: str | None
) -> TestClient:
    production = settings.model_copy(
        update={
            "env": "production",
            "public_url": "https://care.example.org",
            "vapid_subject": "mailto:ops@care.example.org",
            "metrics_token": SecretStr(token) if token else None,
        }
    )
    write_keys(generate_keys(), settings.vapid_private_key_file)
    totp_secrets.write_new_key(settings.totp_key_path)  # production refuses to start without
    return TestClient(create_app(production, clock=clock, engine=engine))


@pytest.fixture
def scraped(settings: Settings, clock: FixedClock, engine: Engine) -> Iterator[TestClient]:
    with production_app(settings, clock, engine, TOKEN) as client:
        yield client


def is_hidden(answer: object, unknown: object) -> bool:
    """Answered exactly like a path that does not exist."""
    from httpx import Response

    assert isinstance(answer, Response) and isinstance(unknown, Response)
    return (answer.status_code, answer.json()) == (unknown.status_code, unknown.json()) == (
        404, {"code": "not_found", "detail": "Not Found"},
    )  # fmt: skip


def test_the_scrapers_token_opens_it(scraped: TestClient) -> None:
    answer = scraped.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    assert "aftercare_push_queue_due" in answer.text
    assert answer.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", f"Bearer {TOKEN[:-1]}", f"Bearer {TOKEN}x",
     f"Basic {TOKEN}", TOKEN, f"Bearer {TOKEN.upper()}"],
)  # fmt: skip
def test_anything_else_finds_nothing(scraped: TestClient, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    unknown = scraped.get("/no-such-page-here", headers=headers)
    assert is_hidden(scraped.get("/metrics", headers=headers), unknown)


def test_no_token_in_production_turns_it_off(
    settings: Settings, clock: FixedClock, engine: Engine
) -> None:
    with production_app(settings, clock, engine, None) as client:
        for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": f"Bearer {TOKEN}"}):
            unknown = client.get("/no-such-page-here")
            assert is_hidden(client.get("/metrics", headers=headers), unknown)


def test_development_keeps_it_open(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 200


class TestTheSetting:
    def test_a_short_token_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="at least 16"):
            Settings(metrics_token="short", _env_file=None)  # type: ignore[call-arg]

    def test_empty_is_unset(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("AFTERCARE_METRICS_TOKEN", "")  # compose passes an unset one so
        assert Settings(_env_file=None).metrics_token is None  # type: ignore[call-arg]

    def test_never_printed(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("AFTERCARE_METRICS_TOKEN", TOKEN)
        settings = Settings(_env_file=None)  # type: ignore[call-arg]
        assert TOKEN not in repr(settings) and TOKEN not in str(settings.model_dump())
        assert settings.on_port(8011).metrics_token == SecretStr(TOKEN)
