"""`aftercare serve --workers N`: one migration, one key, every worker serving, a clean stop."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from app.cli import UVICORN_OPTIONS, WORKER_APP, main
from app.db import make_engine
from app.notifications.metrics import MULTIPROCESS_DIR as MULTIPROCESS
from app.notifications.vapid import read_keys
from tests.support.database import postgres_server_url, throwaway_database
from tests.support.processes import children, connection_owners, running

ROOT = Path(__file__).resolve().parents[1]
needs_postgres = pytest.mark.skipif(
    postgres_server_url() is None, reason="needs PostgreSQL (AFTERCARE_TEST_DATABASE_URL)"
)
WORKERS = 2
START_SECONDS = 60  # two interpreters importing the app on a loaded 2-core machine
CONNECTIONS = 24  # opened at once, so both workers' accept loops get some of them
PRIVATE = "ada-lovelace"  # a staff search's query string: must not reach the access log


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def one_line(result: Any) -> str:
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    line: str = lines[0]
    return line


@pytest.mark.parametrize("count", ["0", "abc", "65", "-1", "1.5"])
def test_a_bad_worker_count_is_one_line(count: str) -> None:
    message = one_line(CliRunner().invoke(main, ["serve", "--workers", count]))
    assert message == (
        f"Error: --workers takes a whole number of processes from 1 to 64, not {count!r}"
    )


def test_more_than_one_worker_on_sqlite_is_refused_before_anything_starts(
    tmp_path: Path,
) -> None:
    database = tmp_path / "aftercare.db"
    result = CliRunner().invoke(
        main,
        ["serve", "--workers", "2", "--port", str(free_port())],
        env={"AFTERCARE_DATABASE_URL": f"sqlite:///{database}"},
    )
    assert "--workers 2 needs PostgreSQL" in one_line(result)
    assert not database.exists()  # refused before migrating


@needs_postgres
def test_workers_get_the_app_factory_after_one_migration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    served: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.update(app=app, **options))
    for name in ("AFTERCARE_PUBLIC_URL", "AFTERCARE_PASSWORD_CHECKS_IN_FLIGHT", MULTIPROCESS):
        monkeypatch.setenv(name, "")  # so that what `serve` sets is undone after the test
        monkeypatch.delenv(name)
    monkeypatch.setattr("app.config.os.cpu_count", lambda: 6)  # 12 password checks at once
    port = free_port()
    with throwaway_database(tmp_path) as url:
        result = CliRunner().invoke(
            main,
            ["serve", "--workers", "3", "--port", str(port)],
            env={
                "AFTERCARE_DATABASE_URL": url,
                "AFTERCARE_VAPID_PRIVATE_KEY_FILE": str(tmp_path / "vapid.pem"),
                "AFTERCARE_DISPATCHER_ENABLED": "false",
                "AFTERCARE_PASSWORD_HASH_PARALLELISM": "1",
            },
        )
        engine = make_engine(url)
        try:
            with engine.connect() as connection:
                migrated = connection.execute(text("SELECT count(*) FROM alembic_version"))
                assert migrated.scalar() == 1
        finally:
            engine.dispose()
        # The workers learn the port-derived links from the environment the parent left.
        assert os.environ["AFTERCARE_PUBLIC_URL"] == f"http://127.0.0.1:{port}"
        # A fresh directory for the workers' metrics, removed once uvicorn.run returned.
        assert not Path(os.environ[MULTIPROCESS]).exists()
        # 12 argon2 checks at once for the host, as for one process: 4 per worker.
        assert os.environ["AFTERCARE_PASSWORD_CHECKS_IN_FLIGHT"] == "4"
    assert result.exit_code == 0, result.output
    assert served["app"] == WORKER_APP
    assert (served["factory"], served["workers"], served["port"]) == (True, 3, port)
    assert served["timeout_worker_healthcheck"] >= 30
    assert {k: served[k] for k in UVICORN_OPTIONS} == UVICORN_OPTIONS
    assert (tmp_path / "vapid.pem").exists()  # made once, by the parent, before any worker


def _get(connection: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
    connection.request("GET", path)
    answer = connection.getresponse()
    return answer.status, answer.read()


@needs_postgres
def test_two_workers_serve_with_one_key_and_stop_cleanly(tmp_path: Path) -> None:
    port = free_port()
    key_file = tmp_path / "vapid.pem"
    log = tmp_path / "serve.log"
    with throwaway_database(tmp_path) as url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AFTERCARE_")} | {
            "AFTERCARE_ENV": "development",
            "AFTERCARE_DATABASE_URL": url,
            "AFTERCARE_VAPID_PRIVATE_KEY_FILE": str(key_file),
            "AFTERCARE_TOTP_KEY_FILE": str(tmp_path / "totp-key"),
            "TMPDIR": str(tmp_path),  # where the workers' metrics files go
            "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH")))),
        }
        command = [sys.executable, "-m", "app.cli", "serve", "--workers", str(WORKERS)]
        with log.open("wb") as out:
            server = subprocess.Popen(
                [*command, "--port", str(port)], cwd=tmp_path, env=env, stdout=out,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            workers = _wait_for_workers(server, log)
            owners, key_ids = _answers(port, workers)
        finally:
            started = children(server.pid)  # the workers and multiprocessing's helper
            server.send_signal(signal.SIGTERM)
            try:
                exit_code = server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                raise
    output = log.read_text(errors="replace")
    assert exit_code == 0, output
    assert set(owners) == workers, f"answered by {owners}, workers {workers}"
    assert key_ids == {read_keys(key_file).key_id}  # one key, the file's, in every worker
    assert workers <= started
    # multiprocessing's helper ends once the parent has gone, so give it a moment.
    give_up = time.monotonic() + 5
    while (left := [p for p in started if running(p)]) and time.monotonic() < give_up:
        time.sleep(0.1)
    assert not left, "a process outlived `serve`"
    assert not list(tmp_path.glob("aftercare-metrics-*"))  # removed at the stop
    for problem in ("Traceback", "ERROR", "died", PRIVATE):
        assert problem not in output
    assert output.count("GET /api/health HTTP/1.1") >= CONNECTIONS  # logged, query cut off


def _wait_for_workers(server: subprocess.Popen[bytes], log: Path) -> set[int]:
    """The worker processes' ids, once every worker has started its app."""
    give_up = time.monotonic() + START_SECONDS
    while time.monotonic() < give_up:
        assert server.poll() is None, log.read_text(errors="replace")
        if log.read_text(errors="replace").count("Application startup complete.") >= WORKERS:
            workers = {
                pid
                for pid in children(server.pid)
                if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
            }
            assert len(workers) == WORKERS
            return workers
        time.sleep(0.2)
    raise AssertionError(f"workers not up in {START_SECONDS} s:\n{log.read_text()}")


def _answers(port: int, workers: set[int]) -> tuple[dict[int, int], set[str]]:
    """Health and the public key on many connections at once, until each worker answered
    some: which worker held each connection (pid -> count) and the key ids seen."""
    owners: dict[int, int] = {}
    key_ids: set[str] = set()
    for _ in range(5):
        connections = [
            http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(CONNECTIONS)
        ]
        for connection in connections:
            connection.connect()
        try:
            for connection in connections:
                assert _get(connection, f"/api/health?q={PRIVATE}") == (200, b'{"status":"ok"}')
                status, body = _get(connection, "/api/push/public-key")
                assert status == 200
                key_ids.add(json.loads(body)["key_id"])
                status, body = _get(connection, "/metrics")  # every worker's, added up
                assert status == 200
                assert b"\naftercare_push_queue_due 0.0\n" in body
            ports = [c.sock.getsockname()[1] for c in connections if c.sock is not None]
            held = connection_owners(port, ports, workers)
            assert len(held) == len(ports)  # every connection found in one worker
            for pid in held.values():
                owners[pid] = owners.get(pid, 0) + 1
        finally:
            for connection in connections:
                connection.close()
        if set(owners) == workers:
            break
    return owners, key_ids
