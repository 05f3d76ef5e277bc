"""API answers carry the app clock's now, so the PWA can correct a phone's wrong clock."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.clock import FixedClock
from app.server_time import HEADER


def test_api_answers_carry_the_app_clock_in_milliseconds(
    client: TestClient, clock: FixedClock
) -> None:
    for path in ("/api/health", "/api/me", "/api/no-such-route"):
        response = client.get(path)
        assert response.headers[HEADER] == str(int(clock.now().timestamp() * 1000)), path


def test_static_files_do_not(client: TestClient) -> None:
    assert HEADER not in client.get("/").headers
