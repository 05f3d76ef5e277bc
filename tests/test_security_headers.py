"""Security headers on every response: strict CSP, no sniffing, no referrer, no caching of data."""

from __future__ import annotations

import base64
import os
import re

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from app.notifications.vapid import generate_keys, write_keys
from app.security_headers import CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("path", ["/", "/enrol", "/api/health", "/api/me", "/nothing-here"])
def test_every_response_carries_them(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"


def test_personal_data_is_never_cached(client: TestClient) -> None:
    assert client.get("/api/me").headers["cache-control"] == "no-store"
    assert client.get("/api/health").headers["cache-control"] == "no-store"


def test_only_the_development_docs_relax_the_policy_and_only_by_a_hash(
    client: TestClient,
) -> None:
    policy = client.get("/docs").headers["content-security-policy"]
    assert policy != CONTENT_SECURITY_POLICY
    assert "script-src 'self' 'sha256-" in policy
    assert "'unsafe-inline'" not in policy
    assert "http" not in policy  # nothing from another origin
    assert client.get("/docs-assets/swagger-ui.css").headers["content-security-policy"] == (
        CONTENT_SECURITY_POLICY
    )


def test_the_docs_need_nothing_from_another_origin(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert re.findall(r"https?://|//[a-z]", page.text) == []
    files = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert files and all(name.startswith("/docs-assets/") for name in files)
    for name in files:
        assert client.get(name).status_code == 200, name


def test_production_has_no_interactive_docs_and_sends_hsts(
    settings: Settings, tmp_path: object
) -> None:
    production = settings.model_copy(
        update={
            "env": "production",
            "public_url": "https://care.example.org",
            "vapid_subject": "mailto:ops@care.example.org",
        }
    )
    write_keys(generate_keys(), settings.vapid_private_key_file)
    settings.totp_key_path.write_text(base64.b64encode(os.urandom(64)).decode())
    with TestClient(create_app(production)) as client:
        assert client.get("/docs").status_code == 404
        assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 404
        assert client.get("/openapi.json").status_code == 200
        hsts = client.get("/api/health").headers["strict-transport-security"]
        assert hsts == "max-age=31536000; includeSubDomains"


def test_static_files_revalidate_and_large_answers_are_compressed(client: TestClient) -> None:
    shell = client.get("/", headers={"accept-encoding": "gzip"})
    assert shell.headers["cache-control"] == "no-cache"
    script = client.get("/app.js", headers={"accept-encoding": "gzip"})
    assert script.headers["content-encoding"] == "gzip"
