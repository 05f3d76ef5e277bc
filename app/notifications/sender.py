"""Sends one encrypted Web Push message: aes128gcm (ece.py), VAPID, TTL, Urgency, Topic.

The transport is aiohttp (already a dependency of pywebpush), not httpx: under a burst of
hundreds of concurrent posts, httpx's async pool rescans its whole queue on every event and
throughput fell to about 250 messages/s in bench/push_throughput.py; aiohttp keeps up.

Only the push service named by the endpoint gets the message: its addresses must pass the
policy in push_hosts.py, a redirect is never followed (an encrypted reminder posted on to
another origin is not a delivery), and at most a little of an error body is read.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import aiohttp
from aiohttp.abc import AbstractResolver

from app.clock import Clock
from app.notifications import ece
from app.notifications.push_hosts import AddressRefused, EndpointRefused, PushHosts
from app.notifications.vapid import VapidSigner

# Of an error answer's body only the start is read, enough for the 200 characters kept: a
# service (or an endpoint pointed elsewhere) answering 500 with 50 MiB must cost nothing.
ERROR_BODY_BYTES = 1024
ERROR_TEXT_CHARS = 200


@dataclass(frozen=True)
class Device:
    """What a sender needs of a subscription."""

    endpoint: str
    p256dh: str
    auth: str


@dataclass(frozen=True)
class PushResult:
    """The push service's answer; `status` None means no answer (timeout, refused, reset,
    or never connected: `error` starts with "refused:" when the address policy said no)."""

    status: int | None
    retry_after: float | None = None
    error: str = ""

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def encrypt(device: Device, plaintext: bytes) -> bytes:
    """RFC 8291 aes128gcm body for the device's keys (a fresh ephemeral key every time)."""
    return ece.encrypt(device.p256dh, device.auth, plaintext)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class PushSender:
    """Posts to push services over one pooled, keep-alive HTTP session.

    The session is made on first use, inside the event loop that will run the sends. At
    most `max_connections` sends run at once, and each one's `timeout` starts when it has
    its turn: the pool's limit is the same, so a send never waits for a pooled connection
    inside its own time (with aiohttp's total timeout a slow service made sends queued
    behind the limit time out before they were even started).
    """

    def __init__(
        self,
        signer: VapidSigner,
        *,
        clock: Clock,
        timeout: float,
        max_connections: int,
        hosts: PushHosts,
        resolver: AbstractResolver | None = None,
    ) -> None:
        self._signer = signer
        self._clock = clock
        self._timeout = timeout
        self._max_connections = max_connections
        self._hosts = hosts
        self._resolver = resolver  # None: the system's (tests give a scripted one)
        self._session: aiohttp.ClientSession | None = None
        self._turns: asyncio.Semaphore | None = None

    def _client(self) -> tuple[aiohttp.ClientSession, asyncio.Semaphore]:
        if self._session is None or self._turns is None:
            self._turns = asyncio.Semaphore(self._max_connections)
            self._session = aiohttp.ClientSession(
                # The whole exchange is bounded in send(), from when it has its turn.
                timeout=aiohttp.ClientTimeout(total=None),
                connector=aiohttp.TCPConnector(
                    limit=self._max_connections, resolver=self._hosts.resolver(self._resolver)
                ),
                # Bodies are not wanted, so none is inflated: a compressed error is no bomb.
                auto_decompress=False,
                headers={"Accept-Encoding": "identity"},
            )
        return self._session, self._turns

    async def send(
        self, device: Device, plaintext: bytes, *, ttl: int, urgency: str, topic: str
    ) -> PushResult:
        try:
            # Again at every send: the row may predate the policy, or the policy changed.
            self._hosts.check(device.endpoint)
        except EndpointRefused as exc:
            return PushResult(status=None, error=f"refused: {exc}")
        headers = {
            "TTL": str(max(0, ttl)),
            "Urgency": urgency,
            "Topic": topic,  # a re-send with the same topic replaces, never duplicates
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "Authorization": self._signer.authorization(device.endpoint),
        }
        try:
            body = encrypt(device, plaintext)
        except Exception as exc:  # malformed stored keys: our data is bad, not the network
            return PushResult(status=400, error=f"cannot encrypt for this subscription: {exc}")
        session, turns = self._client()
        async with turns:
            try:
                async with asyncio.timeout(self._timeout):
                    return await self._post(session, device.endpoint, body, headers)
            except TimeoutError:
                return PushResult(status=None, error="timeout")
            except aiohttp.ClientConnectorError as exc:
                if isinstance(exc.os_error, AddressRefused):
                    return PushResult(status=None, error=f"refused: {exc.os_error}")
                return PushResult(status=None, error=type(exc).__name__)
            except aiohttp.ClientError as exc:
                return PushResult(status=None, error=type(exc).__name__)

    async def _post(
        self, session: aiohttp.ClientSession, endpoint: str, body: bytes, headers: dict[str, str]
    ) -> PushResult:
        async with session.post(
            endpoint, data=body, headers=headers, allow_redirects=False
        ) as answer:
            status = answer.status
            retry_after = answer.headers.get("retry-after")
            if 200 <= status < 300:
                text = ""
            elif 300 <= status < 400:
                # Not delivered: whoever answers a redirect kept the message.
                text = "redirect not followed"
            else:
                text = await _error_start(answer)
        # Leaving the block unread closes the connection rather than draining the rest.
        return PushResult(
            status=status,
            retry_after=parse_retry_after(retry_after, self._clock.now()),
            error=text,
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
            self._turns = None


async def _error_start(answer: aiohttp.ClientResponse) -> str:
    """The first characters of an error body, having read at most ERROR_BODY_BYTES of it."""
    start = bytearray()
    while len(start) < ERROR_BODY_BYTES:
        chunk = await answer.content.read(ERROR_BODY_BYTES - len(start))
        if not chunk:
            break
        start += chunk
    return start.decode("utf-8", "replace")[:ERROR_TEXT_CHARS]
