"""Oversize request bodies are refused with 413 before anything parses them."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.testclient import TestClient


def test_declared_oversize_body_is_refused(client: TestClient) -> None:
    response = client.post(
        "/api/auth/login",
        content=b"{" + b" " * (10 * 1024 * 1024) + b"}",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_streamed_oversize_body_is_refused(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield b" " * 4096

    response = client.post(
        "/api/auth/login", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


def test_service_still_answers_after_refusing(client: TestClient) -> None:
    client.post("/api/auth/login", content=b"x" * (1024 * 1024))
    assert client.get("/api/health").json() == {"status": "ok"}
