"""Behind a real reverse proxy: one client's failed sign-ins lock out that client only, unforgeably.

The app runs in uvicorn with the options `aftercare serve` uses, on a loopback port; a real
HTTP proxy (tests/support/http_proxy.py) sits in front and appends X-Forwarded-For as nginx
does, connecting upstream from 127.0.0.9. Clients connect to the proxy from their own
loopback addresses (127.0.0.2, 127.0.0.3), so each has an address of its own, as on the
internet.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from ipaddress import ip_network

import httpx
import pytest
import uvicorn
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.cli import UVICORN_OPTIONS
from app.clock import FixedClock
from app.config import Settings
from app.main import create_app
from app.staff.models import StaffSession
from tests.support.factories import STAFF_PASSWORD, make_clinic_with_staff
from tests.support.http_proxy import ForwardingProxy

PROXY = "127.0.0.9"
A, B = "127.0.0.2", "127.0.0.3"
NURSE = {"email": "nurse@riverside.example", "password": STAFF_PASSWORD}


@contextmanager
def served(settings: Settings, clock: FixedClock, engine: Engine) -> Iterator[str]:
    """The app in uvicorn, configured as `aftercare serve` configures it; its base URL."""
    sock = socket.create_server(("127.0.0.1", 0))
    app = create_app(settings, clock=clock, engine=engine)
    config = uvicorn.Config(app, log_level="warning", lifespan="on", **UVICORN_OPTIONS)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def behind_proxy(
    settings: Settings, clock: FixedClock, engine: Engine, *, trusted: str | None
) -> Iterator[ForwardingProxy]:
    proxies = (ip_network(trusted),) if trusted else ()
    configured = settings.model_copy(update={"trusted_proxies": proxies})
    with (
        served(configured, clock, engine) as upstream,
        ForwardingProxy(upstream, source_address=PROXY) as proxy,
    ):
        yield proxy


def client_at(address: str, base_url: str) -> httpx.Client:
    """A browser whose connections come from `address` (any 127.x address is this machine)."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=base_url, transport=transport, timeout=30)


@dataclass
class Scene:
    proxy: ForwardingProxy
    attacker: httpx.Client  # at A
    colleague: httpx.Client  # at B


@contextmanager
def scene(
    settings: Settings, clock: FixedClock, engine: Engine, *, trusted: str | None
) -> Iterator[Scene]:
    """The app behind the proxy, and two browsers reaching it from A and B."""
    with (
        behind_proxy(settings, clock, engine, trusted=trusted) as proxy,
        client_at(A, proxy.url) as attacker,
        client_at(B, proxy.url) as colleague,
    ):
        yield Scene(proxy, attacker, colleague)


def fail_logins(client: httpx.Client, times: int, **headers: str) -> list[int]:
    """`times` sign-ins with unknown addresses (so no e-mail's own limit is reached)."""
    return [
        client.post(
            "/api/auth/login",
            json={"email": f"guess{i}@nowhere.example", "password": "wrong"},
            headers=headers,
        ).status_code
        for i in range(times)
    ]


@pytest.fixture
def nurse(factory: sessionmaker[Session], clock: FixedClock) -> None:
    make_clinic_with_staff(factory, now=clock.now())


@pytest.mark.usefixtures("nurse")
class TestBehindATrustedProxy:
    def test_one_clients_failures_do_not_lock_out_another(
        self, settings: Settings, clock: FixedClock, engine: Engine,
        factory: sessionmaker[Session],
    ) -> None:  # fmt: skip
        limit = settings.login_failures_per_ip
        with scene(settings, clock, engine, trusted=f"{PROXY}/32") as it:
            answers = fail_logins(it.attacker, limit + 3)
            assert set(answers[:limit]) == {401}
            assert set(answers[limit:]) == {429}  # A is locked out ...
            assert it.colleague.post("/api/auth/login", json=NURSE).status_code == 200  # B isn't
            assert it.colleague.get("/api/auth/me").status_code == 200
        with factory() as session:
            ips = session.exec(select(col(StaffSession.ip))).all()
        assert ips == [B]  # the session records B's own address, not the proxy's

    def test_a_client_cannot_forge_its_address(
        self, settings: Settings, clock: FixedClock, engine: Engine,
        factory: sessionmaker[Session],
    ) -> None:  # fmt: skip
        limit = settings.login_failures_per_ip
        with scene(settings, clock, engine, trusted=f"{PROXY}/32") as it:
            # Each guess claims to come from somewhere else, B's address and the proxy's
            # among them; the proxy appends A's real address, and only that is believed.
            claims = [B, PROXY, "10.0.0.1", "::1", "garbage", f"{B}, {PROXY}"]
            answers = [
                fail_logins(it.attacker, 1, **{"X-Forwarded-For": claims[i % len(claims)]})[0]
                for i in range(limit + 2)
            ]
            assert answers[-2:] == [429, 429]  # every forged address counted against A
            assert it.proxy.forwarded[0] == f"{B}, {A}"
            assert it.colleague.post("/api/auth/login", json=NURSE).status_code == 200
        with factory() as session:
            assert session.exec(select(col(StaffSession.ip))).all() == [B]

    def test_without_the_setting_everyone_shares_the_proxys_address(
        self, settings: Settings, clock: FixedClock, engine: Engine,
        caplog: pytest.LogCaptureFixture,
    ) -> None:  # fmt: skip
        # The failure the setting exists for: A's guesses lock B out, and it is said loudly.
        limit = settings.login_failures_per_ip
        with scene(settings, clock, engine, trusted=None) as it:
            fail_logins(it.attacker, limit)
            assert it.colleague.post("/api/auth/login", json=NURSE).status_code == 429
        warnings = [r for r in caplog.records if "AFTERCARE_TRUSTED_PROXIES" in r.getMessage()]
        assert len(warnings) == 1  # once, not once per request
        assert warnings[0].levelname == "WARNING" and PROXY in warnings[0].getMessage()

    def test_redirects_keep_the_scheme_the_proxy_was_reached_on(
        self, settings: Settings, clock: FixedClock, engine: Engine
    ) -> None:
        with scene(settings, clock, engine, trusted=f"{PROXY}/32") as it:
            moved = it.attacker.get("/console")
        assert moved.status_code in (301, 302, 307, 308)
        assert moved.headers["location"].startswith("https://")  # TLS ended at the proxy


def test_a_direct_client_on_loopback_cannot_pick_its_address(
    settings: Settings, clock: FixedClock, engine: Engine, factory: sessionmaker[Session],
    nurse: None,
) -> None:  # fmt: skip
    # Uvicorn's own proxy handling, which `serve` used, believed X-Forwarded-For from
    # 127.0.0.1 as sent: a local process could pose as anyone, in the audit log too.
    with served(settings, clock, engine) as url, client_at("127.0.0.1", url) as local:
        forged = {"X-Forwarded-For": "203.0.113.7"}
        assert local.post("/api/auth/login", json=NURSE, headers=forged).status_code == 200
    with factory() as session:
        assert session.exec(select(col(StaffSession.ip))).all() == ["127.0.0.1"]


def test_the_served_headers_name_no_server_and_keep_the_date(
    settings: Settings, clock: FixedClock, engine: Engine
) -> None:
    with served(settings, clock, engine) as url, httpx.Client(base_url=url) as client:
        answer = client.get("/api/health")
    assert answer.status_code == 200
    assert "server" not in answer.headers  # was `server: uvicorn`
    assert answer.headers["date"].endswith(" GMT")  # RFC 9110 wants it from an origin server
