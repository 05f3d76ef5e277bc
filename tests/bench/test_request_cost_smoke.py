"""bench/request_cost.py on a small scale, so it cannot rot between the times it is run."""

from __future__ import annotations

import pytest

from bench.request_cost import CONFIGS, main


def test_every_request_is_timed_and_profiled(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--requests", "3", "--rounds", "1", "--patients", "2", "--profile"]) == 0

    table = capsys.readouterr().out
    for label in (
        "GET /api/health",
        "GET /api/me",
        "GET /api/me/tasks?date",
        "GET /api/me/tasks?from&to",
        "POST, DELETE .../{id}/complete",
    ):
        assert label in table
    assert "In-process cost per request on sqlite" in table
    assert table.count("by own time") == 5


def test_every_request_is_timed_on_every_server_over_http(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--http", "--requests", "3", "--rounds", "1", "--patients", "2"]) == 0

    table = capsys.readouterr().out
    assert "Server CPU per request over HTTP on sqlite" in table
    for config in CONFIGS:
        assert table.count(f"{config.label} ") == 6  # a row per request, one for their mean
