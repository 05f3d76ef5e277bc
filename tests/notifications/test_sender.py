"""The push transport against real listeners: where it connects, redirects, error bodies, time."""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from app.clock import FixedClock
from app.notifications.push_hosts import PushHosts
from app.notifications.sender import ERROR_BODY_BYTES, Device, PushResult, PushSender
from app.notifications.vapid import VapidKeys, VapidSigner, load_or_create
from tests.conftest import PINNED_NOW
from tests.support.http_listener import ScriptedListener
from tests.support.push_service import FakePushService, FakeSubscription
from tests.support.resolver import ScriptedResolver

T = TypeVar("T")
DEVELOPMENT = PushHosts(allow_private=True, allow_http_loopback=True)
PRODUCTION = PushHosts(allow_private=False, allow_http_loopback=False)
MESSAGE = b'{"title": "Wear your stockings"}'


@pytest.fixture
def vapid(tmp_path: Path) -> VapidKeys:
    return load_or_create(tmp_path / "vapid.pem", create=True)


@pytest.fixture
def service() -> Iterator[FakePushService]:
    with FakePushService() as running:
        yield running


def device(subscription: FakeSubscription, endpoint: str | None = None) -> Device:
    endpoint = endpoint or subscription.endpoint
    return Device(endpoint=endpoint, p256dh=subscription.p256dh, auth=subscription.auth)


def with_sender(
    vapid: VapidKeys,
    use: Callable[[PushSender], Awaitable[T]],
    *,
    hosts: PushHosts = DEVELOPMENT,
    timeout: float = 5.0,
    max_connections: int = 16,
    resolver: ScriptedResolver | None = None,
) -> T:
    """Run `use` with a sender made (and closed) inside its own event loop."""

    async def run() -> T:
        sender = PushSender(
            VapidSigner(vapid, "mailto:ops@care.example.org"),
            clock=FixedClock(PINNED_NOW),
            timeout=timeout,
            max_connections=max_connections,
            hosts=hosts,
            resolver=resolver,
        )
        try:
            return await use(sender)
        finally:
            await sender.aclose()

    return asyncio.run(run())


def send_one(
    vapid: VapidKeys, target: Device, **options: PushHosts | float | int | ScriptedResolver
) -> PushResult:
    async def use(sender: PushSender) -> PushResult:
        return await sender.send(target, MESSAGE, ttl=60, urgency="normal", topic="t1")

    return with_sender(vapid, use, **options)  # type: ignore[arg-type]


def test_a_push_is_delivered_and_decrypts(vapid: VapidKeys, service: FakePushService) -> None:
    subscription = service.subscribe()
    result = send_one(vapid, device(subscription))
    assert result.delivered, result
    assert service.deliveries()[0].payload == MESSAGE


class TestAddresses:
    """Production connects to public addresses only, judged after resolving."""

    def test_a_name_resolving_to_loopback_is_never_connected_to(
        self, vapid: VapidKeys, service: FakePushService
    ) -> None:
        subscription = service.subscribe()
        target = device(subscription, f"https://localhost:{service.port}/push/{subscription.id}")
        result = send_one(vapid, target, hosts=PRODUCTION)
        assert not result.delivered
        assert result.status is None
        assert result.error.startswith("refused:"), result.error
        assert service.connection_count == 0

    def test_a_name_that_now_resolves_to_loopback_is_refused_at_send_time(
        self, vapid: VapidKeys, service: FakePushService
    ) -> None:
        # Stored while it looked like any push service; its DNS now answers this machine.
        subscription = service.subscribe()
        endpoint = f"https://push.example.org:{service.port}/push/{subscription.id}"
        PRODUCTION.check(endpoint)
        dns = ScriptedResolver({"push.example.org": ["127.0.0.1"]})
        result = send_one(vapid, device(subscription, endpoint), hosts=PRODUCTION, resolver=dns)
        assert result.status is None and result.error.startswith("refused:"), result
        assert dns.lookups == ["push.example.org"]
        assert service.connection_count == 0
        # Named as a self-hosted push service, the same address is connected to (here the
        # TLS handshake then fails, the listener being plain HTTP): the refusal was the policy.
        named = PushHosts(
            allow_private=False,
            allow_http_loopback=False,
            private_hosts=frozenset({"push.example.org"}),
        )
        send_one(vapid, device(subscription, endpoint), hosts=named, resolver=dns)
        assert service.connection_count == 1

    def test_a_stored_private_literal_is_refused_before_connecting(
        self, vapid: VapidKeys, service: FakePushService
    ) -> None:
        subscription = service.subscribe()
        target = device(subscription, f"https://127.0.0.1:{service.port}/push/{subscription.id}")
        result = send_one(vapid, target, hosts=PRODUCTION)
        assert result.status is None and result.error.startswith("refused:"), result
        assert service.connection_count == 0


def test_a_redirect_is_not_followed_and_not_a_delivery(
    vapid: VapidKeys, service: FakePushService
) -> None:
    with ScriptedListener(201) as elsewhere:
        location = f"{elsewhere.origin}/push/taken"
        with ScriptedListener(307, {"Location": location}) as redirecting:
            subscription = service.subscribe()
            result = send_one(vapid, device(subscription, f"{redirecting.origin}/push/abc"))
            assert len(redirecting.received()) == 1
        assert result.status == 307
        assert not result.delivered
        assert result.error == "redirect not followed"
        assert elsewhere.received() == []


def test_only_the_start_of_a_huge_error_body_is_read(
    vapid: VapidKeys, service: FakePushService
) -> None:
    size = 50 * 1024 * 1024
    subscription = service.subscribe()
    with ScriptedListener(500, {"Content-Type": "text/plain"}, body_bytes=size) as huge:

        async def use(sender: PushSender) -> tuple[PushResult, float, int]:
            # Warm up first: the session and TLS context are not what is measured.
            await sender.send(device(subscription), MESSAGE, ttl=60, urgency="normal", topic="a")
            tracemalloc.start()
            try:
                tracemalloc.reset_peak()
                started = time.monotonic()
                result = await sender.send(
                    device(subscription, f"{huge.origin}/push/abc"),
                    MESSAGE,
                    ttl=60,
                    urgency="normal",
                    topic="b",
                )
                elapsed = time.monotonic() - started
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
            return result, elapsed, peak

        result, elapsed, peak = with_sender(vapid, use)
    assert result.status == 500
    assert result.error == "x" * 200
    assert peak < 1024 * 1024, f"{peak / 1024:.0f} KiB allocated while sending"
    assert elapsed < 2.0
    assert huge.bodies_finished == 0  # the connection closed long before the 50 MiB
    assert ERROR_BODY_BYTES <= 4096


def test_a_send_is_timed_from_its_turn_not_from_the_queue(vapid: VapidKeys) -> None:
    # Each answer takes 0.3 s; 10 sends share 2 connections, so the last starts after 1.2 s.
    # Each is well within its 1 s, so every one must arrive; a timer that also counted the
    # wait for a connection failed the last two rounds.
    with FakePushService(latency=0.3) as slow:
        subscriptions = [slow.subscribe() for _ in range(10)]

        async def use(sender: PushSender) -> list[PushResult]:
            return list(
                await asyncio.gather(
                    *(
                        sender.send(device(s), MESSAGE, ttl=60, urgency="normal", topic=f"t{n}")
                        for n, s in enumerate(subscriptions)
                    )
                )
            )

        started = time.monotonic()
        results = with_sender(vapid, use, timeout=1.0, max_connections=2)
        elapsed = time.monotonic() - started
        assert [r.status for r in results] == [201] * 10, [r.error for r in results]
        assert len(slow.deliveries()) == 10
        assert elapsed >= 1.4  # two at a time, really


def test_a_service_that_never_answers_still_times_out(
    vapid: VapidKeys, service: FakePushService
) -> None:
    service.hang()
    started = time.monotonic()
    result = send_one(vapid, device(service.subscribe()), timeout=0.5)
    assert result.status is None and result.error == "timeout"
    assert time.monotonic() - started < 2.0
