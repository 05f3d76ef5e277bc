"""The load driver (bench/load.py) on a small scale, so it cannot rot between long runs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from bench.load import (
    ENDPOINTS,
    HEALTH,
    ME,
    P99_TARGET,
    TICK,
    TODAY,
    UNDO,
    WINDOW,
    Options,
    Recorder,
    _status_is,
    call,
    run,
    server_problems,
)
from bench.load_trace import BESIDE, PHASES, endpoint
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
        # An undo sent once the time was up is checked but not timed.
        late_undos = report.wind_down.get(UNDO, {}).get("count", 0)
        assert report.endpoints[TICK]["count"] == report.endpoints[UNDO]["count"] + late_undos
        # After the deadline only a visit already under way goes on (its day, without a pause)
        # and the undo of its tick: no pause ends in a new step then.
        assert set(report.wind_down) <= {WINDOW, TODAY, UNDO}
        assert report.requests == sum(row["count"] for row in report.endpoints.values())
        assert report.as_json()["passed"] is True

    def test_a_traced_run_says_where_each_endpoints_time_went(self, tmp_path: Path) -> None:
        report = run(
            Options(
                patients=5, staff=1, seconds=3, think=0.1, results=None, idle_probes=10,
                database_url=f"sqlite:///{tmp_path / 'load.db'}", trace=True,
            )
        )  # fmt: skip

        assert report.failures == [], report.error_samples + report.server_problems
        assert report.trace is not None
        traced = report.trace["endpoints"]
        # The server saw what the driver sent, named as the driver names it.
        assert traced["GET /api/health"]["count"] >= report.endpoints[HEALTH]["count"]
        assert "DELETE /api/me/tasks/{id}/complete" in traced
        for row in traced.values():
            slow = row["slowest_1pc"]
            assert set(slow) == {*PHASES, *BESIDE, "rest", "total"}
            assert all(slow[phase] >= 0 for phase in PHASES)
            assert sum(slow[p] for p in PHASES) <= slow["total"] + 0.01
        assert traced["POST /api/me/tasks/{id}/complete"]["slowest_1pc"]["commit"] > 0
        assert report.trace["loop_lag"]["max_ms"] >= report.trace["loop_lag"]["p50_ms"] >= 0
        # Each target beside its measured ratio, in the printed table and the results.
        targets = report.as_json()["p99_targets"]
        assert set(targets) == set(P99_TARGET)
        assert all(row["p99_ratio"] > 0 for row in targets.values())

    def test_an_untraced_run_has_no_trace(self, tmp_path: Path) -> None:
        report = run(
            Options(
                patients=3, staff=1, seconds=1, think=0.1, results=None, idle_probes=5,
                database_url=f"sqlite:///{tmp_path / 'load.db'}",
            )
        )  # fmt: skip

        assert report.trace is None
        assert report.as_json()["trace"] is None

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


def test_endpoints_are_named_without_their_ids() -> None:
    path = "/api/me/tasks/3f2b8c1e-0d4a-4b7e-9c6f-1a2b3c4d5e6f/complete"

    assert endpoint("DELETE", path) == "DELETE /api/me/tasks/{id}/complete"
    assert endpoint("GET", "/api/patients") == "GET /api/patients"
