"""The load driver (bench/load.py) on a small scale, so it cannot rot between long runs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from bench.load import (
    ENDPOINTS,
    ME,
    TICK,
    UNDO,
    Options,
    Recorder,
    _status_is,
    call,
    run,
    server_problems,
)
from tests.support.database import postgres_server_url


class TestSmallRun:
    def test_every_endpoint_answers_without_errors(self, tmp_path: Path) -> None:
        report = run(
            Options(
                patients=10,
                staff=1,
                seconds=3,
                think=0.1,
                database_url=f"sqlite:///{tmp_path / 'load.db'}",
                results=None,
                idle_probes=20,
            )
        )

        assert report.failures == [], report.error_samples
        assert report.backend == "sqlite"
        assert list(report.endpoints) == list(ENDPOINTS)
        assert all(row["count"] > 0 for row in report.endpoints.values()), report.endpoints
        # Every tick is undone by the same phone, after it: nothing is left ticked or raced.
        assert report.endpoints[TICK]["count"] == report.endpoints[UNDO]["count"]
        assert report.requests == sum(row["count"] for row in report.endpoints.values())
        assert report.as_json()["passed"] is True

    @pytest.mark.skipif(postgres_server_url() is None, reason="needs AFTERCARE_TEST_DATABASE_URL")
    def test_two_server_processes_on_postgresql(self) -> None:
        report = run(
            Options(
                patients=10, staff=1, seconds=3, think=0.1, database_url=postgres_server_url(),
                results=None, idle_probes=20, workers=2,
            )
        )  # fmt: skip

        assert report.failures == [], report.error_samples
        assert report.as_json()["workers"] == 2
        assert report.server_cpu > 0  # the workers' CPU, not only the idle parent's


def _answer(status: int, body: object) -> httpx.AsyncClient:
    transport = httpx.MockTransport(lambda _: httpx.Response(status, json=body))
    return httpx.AsyncClient(transport=transport, base_url="http://load.test")


async def _one(client: httpx.AsyncClient, recorder: Recorder, **kwargs: object) -> object:
    async with client:
        return await call(client, recorder, ME, "GET", "/api/me", **kwargs)  # type: ignore[arg-type]


class TestWhatCountsAsAnError:
    def test_a_server_error_counts(self) -> None:
        recorder = Recorder()

        body = asyncio.run(_one(_answer(500, {"code": "internal"}), recorder))

        assert body is None
        assert recorder.tallies[ME].errors == 1
        assert len(recorder.tallies[ME].spent) == 1
        assert recorder.samples[0].startswith(f"{ME}: 500")

    def test_a_refusal_counts_too(self) -> None:
        recorder = Recorder()

        asyncio.run(_one(_answer(409, {"code": "not_due_yet"}), recorder))

        assert recorder.tallies[ME].errors == 1

    def test_a_wrong_answer_counts(self) -> None:
        recorder = Recorder()

        body = asyncio.run(
            _one(_answer(200, {"status": "pending"}), recorder, check=_status_is("done"))
        )

        assert body is None
        assert recorder.tallies[ME].errors == 1
        assert recorder.samples == [f"{ME}: answered pending"]

    def test_a_right_answer_does_not(self) -> None:
        recorder = Recorder()

        body = asyncio.run(
            _one(_answer(200, {"status": "done"}), recorder, check=_status_is("done"))
        )

        assert body == {"status": "done"}
        assert recorder.tallies[ME].errors == 0
        assert recorder.samples == []

    def test_a_transport_failure_counts(self) -> None:
        recorder = Recorder()

        def refuse(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("refused", request=request)

        client = httpx.AsyncClient(transport=httpx.MockTransport(refuse), base_url="http://x")
        asyncio.run(_one(client, recorder))

        assert recorder.tallies[ME].errors == 1
        assert "ConnectError" in recorder.samples[0]

    def test_errors_in_the_server_log_count(self, tmp_path: Path) -> None:
        log = tmp_path / "server.log"
        log.write_text(
            'INFO:     127.0.0.1:1 - "GET /api/me HTTP/1.1" 200 OK\n'
            "ERROR:    Exception in ASGI application\n"
            "Traceback (most recent call last):\n"
            "sqlite3.OperationalError: database is locked\n"
        )

        assert len(server_problems(log)) == 3
