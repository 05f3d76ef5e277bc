"""The assembled app: health, the web shell, and an OpenAPI schema that documents every error."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.access_log import ACCESS_LOGGER, WithoutQueryStrings
from app.main import app_from_environment
from app.staff import totp_secrets

PUBLIC_OPERATIONS = {
    ("post", "/api/auth/login"),
    ("post", "/api/enrol"),
    ("get", "/api/health"),
    ("get", "/api/push/public-key"),
    ("post", "/api/push-actions/complete"),  # the token in the push payload authorizes it
    ("post", "/api/push-actions/snooze"),  # the same token
    ("post", "/api/push/receipts"),  # so does the receipt token, for that one reminder
    ("post", "/api/auth/password-reset/check"),  # the link's token authorizes these two
    ("post", "/api/auth/password-reset"),
}


def test_health(client: TestClient) -> None:
    assert client.get("/api/health").json() == {"status": "ok"}


def test_web_shell_is_served_at_root_and_enrol(client: TestClient) -> None:
    for path in ("/", "/enrol"):
        response = client.get(path)
        assert response.status_code == 200
        assert "<html" in response.text


def test_every_operation_documents_its_errors(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    operations = [
        (method, path, spec)
        for path, methods in schema["paths"].items()
        for method, spec in methods.items()
    ]
    assert len(operations) >= 14
    for method, path, spec in operations:
        documented = set(spec["responses"])
        where = f"{method.upper()} {path}"
        takes_input = bool(spec.get("parameters") or spec.get("requestBody"))
        if takes_input:
            assert "422" in documented, where
        if (method, path) not in PUBLIC_OPERATIONS and not path.endswith("/logout"):
            assert "401" in documented, where
        if "{" in path:
            assert "404" in documented, where
        for status in documented - {"200", "201", "204"}:
            content = spec["responses"][status].get("content", {})
            assert content, f"{where} {status} has no body schema"


def test_a_worker_builds_its_app_from_the_environment_and_cuts_query_strings(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What each `serve --workers N` process runs, its logging freshly configured by uvicorn.
    access_log = logging.getLogger(ACCESS_LOGGER)
    monkeypatch.setattr(access_log, "filters", [])
    monkeypatch.setattr(totp_secrets, "_box", totp_secrets._box)  # the suite's key, after
    for name, value in {
        "DATABASE_URL": database_url,
        "PUBLIC_URL": "http://127.0.0.1:8123",
        "VAPID_PRIVATE_KEY_FILE": str(tmp_path / "vapid.pem"),
        "TOTP_KEY_FILE": str(tmp_path / "totp-key"),
        "DISPATCHER_ENABLED": "false",
    }.items():
        monkeypatch.setenv(f"AFTERCARE_{name}", value)
    # Frozen start-up objects are a serving process's, not this test process's (test_gc_tuning).
    app = app_from_environment(freeze_start_up=False)
    try:
        assert app.state.settings.public_url == "http://127.0.0.1:8123"
        assert [type(f) for f in access_log.filters] == [WithoutQueryStrings]
        with TestClient(app) as client:
            assert client.get("/api/health").json() == {"status": "ok"}
    finally:
        app.state.engine.dispose()
