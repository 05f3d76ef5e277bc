"""A database that is away or full answers 503 database_unavailable with Retry-After, not 500.

Both are real: SQLite's own page limit (`PRAGMA max_page_count`, the limit a full disk sets)
fills a database file as the clinic works, and a TCP proxy between the app and PostgreSQL
drops every connection and refuses new ones, as a server restart does.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from app.clock import FixedClock
from app.config import Settings
from app.db import make_engine, normalise_url, session_factory
from app.db_outage import Outage, outage
from app.db_unavailable import REMEMBERED_FOR
from app.main import create_app
from app.migrate import upgrade_to_head
from tests.support.api import log_in
from tests.support.database import postgres_server_url
from tests.support.factories import STAFF_PASSWORD, make_clinic_with_staff
from tests.support.tcp_proxy import TcpProxy

LOGIN = {"email": "nurse@riverside.example", "password": STAFF_PASSWORD}


def cap_at_current_size(engine: Engine) -> int:
    """Compact the file, then let no connection grow it: the next page it needs is refused."""
    raw = engine.raw_connection()  # outside a transaction, which VACUUM refuses
    try:
        raw.driver_connection.execute("VACUUM")  # type: ignore[union-attr]  # no free pages left
        pages = int(raw.driver_connection.execute("PRAGMA page_count").fetchone()[0])  # type: ignore[union-attr]
    finally:
        raw.close()
    engine.dispose()

    def cap(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    event.listen(engine, "connect", cap)
    return pages


@pytest.fixture
def small_disk(tmp_path: Path, clock: FixedClock) -> Iterator[tuple[TestClient, Engine]]:
    """An app on its own SQLite file with a clinic and a nurse, not yet capped."""
    engine = make_engine(f"sqlite:///{tmp_path / 'small.db'}")
    upgrade_to_head(engine)
    make_clinic_with_staff(session_factory(engine), now=clock.now())
    settings = Settings(  # type: ignore[call-arg]
        database_url=str(engine.url),
        public_url="http://testserver",
        vapid_private_key_file=tmp_path / "vapid.pem",
        dispatcher_enabled=False,
        _env_file=None,
    )
    with TestClient(create_app(settings, clock=clock, engine=engine)) as client:
        yield client, engine
    engine.dispose()


def test_a_full_database_answers_503_even_to_a_login_and_the_health_check_says_so(
    small_disk: tuple[TestClient, Engine], clock: FixedClock
) -> None:
    client, engine = small_disk
    assert client.get("/api/health").json() == {"status": "ok"}
    cap_at_current_size(engine)
    # Each login stores a session; the pages there are fill up, then the file may not grow.
    for _ in range(500):
        answer = client.post("/api/auth/login", json=LOGIN)
        if answer.status_code != 200:
            break
    assert answer.status_code == 503, answer.text
    assert answer.json()["code"] == "database_unavailable"
    assert answer.headers["Retry-After"] == "60"
    assert "full" not in answer.json()["detail"]  # no storage detail for the client to act on
    health = client.get("/api/health")
    assert health.status_code == 200  # alive: a restart would not free the disk
    assert health.json() == {"status": "degraded", "database": "full"}
    assert client.get("/api/auth/me").status_code == 200  # reads still work
    clock.advance(REMEMBERED_FOR)
    assert client.get("/api/health").json() == {"status": "ok"}


def test_a_bug_in_sql_is_still_a_500_not_an_outage(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with pytest.raises(OperationalError) as raised, engine.connect() as connection:
            connection.execute(text("SELECT * FROM no_such_table"))
        assert outage(raised.value) is None
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("driver_error", "expected"),
    [
        (psycopg.errors.DiskFull("could not extend file"), Outage.FULL),
        (psycopg.errors.AdminShutdown("terminating connection"), Outage.UNREACHABLE),
        (psycopg.errors.CannotConnectNow("the database system is starting up"), Outage.UNREACHABLE),
        (psycopg.errors.TooManyConnections("too many clients"), Outage.UNREACHABLE),
        (psycopg.OperationalError("connection failed: Connection refused"), Outage.UNREACHABLE),
    ],
)
def test_postgresql_errors_that_pass_by_themselves(
    driver_error: psycopg.Error, expected: Outage
) -> None:
    assert outage(OperationalError("SELECT 1", {}, driver_error)) is expected


def test_a_postgresql_error_of_the_request_is_not_an_outage() -> None:
    error = ProgrammingError("SELECT", {}, psycopg.errors.UndefinedTable("no such table"))
    assert outage(error) is None


@pytest.mark.skipif(postgres_server_url() is None, reason="needs AFTERCARE_TEST_DATABASE_URL")
def test_postgresql_going_away_answers_503_and_coming_back_serves_again(
    database_url: str, engine: Engine, tmp_path: Path, clock: FixedClock
) -> None:
    make_clinic_with_staff(session_factory(engine), now=clock.now())
    server = make_url(normalise_url(database_url))
    with TcpProxy(server.host or "127.0.0.1", server.port or 5432) as proxy:
        url = server.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        proxied = make_engine(url)
        settings = Settings(  # type: ignore[call-arg]
            database_url=url,
            public_url="http://testserver",
            vapid_private_key_file=tmp_path / "vapid.pem",
            dispatcher_enabled=False,
            _env_file=None,
        )
        try:
            with TestClient(create_app(settings, clock=clock, engine=proxied)) as client:
                log_in(client)
                assert proxy.cut() > 0  # the pooled connection is dropped, new ones refused
                for path in ("/api/auth/me", "/api/patients"):
                    away = client.get(path)
                    assert away.status_code == 503, away.text
                    assert away.json()["code"] == "database_unavailable"
                    assert away.headers["Retry-After"] == "5"
                refused = client.post("/api/auth/login", json=LOGIN)
                assert refused.status_code == 503
                assert client.get("/api/health").json() == {
                    "status": "degraded",
                    "database": "unavailable",
                }
                proxy.restore()
                assert client.get("/api/auth/me").status_code == 200
                clock.advance(timedelta(minutes=2))
                assert client.get("/api/health").json() == {"status": "ok"}
        finally:
            proxied.dispose()
