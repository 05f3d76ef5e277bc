"""Sends one encrypted Web Push message: aes128gcm (ece.py), VAPID, TTL, Urgency, Topic.

The transport is aiohttp (already a dependency of pywebpush), not httpx: under a burst of
hundreds of concurrent posts, httpx's async pool rescans its whole queue on every event and
throughput fell to about 250 messages/s in bench/push_throughput.py; aiohttp keeps up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import aiohttp

from app.clock import Clock
from app.notifications import ece
from app.notifications.vapid import VapidSigner


@dataclass(frozen=True)
class Device:
    """What a sender needs of a subscription."""

    endpoint: str
    p256dh: str
    auth: str


@dataclass(frozen=True)
class PushResult:
    """The push service's answer; `status` None means no answer (timeout, refused, reset)."""

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

    The session is made on first use, inside the event loop that will run the sends.
    """

    def __init__(
        self, signer: VapidSigner, *, clock: Clock, timeout: float, max_connections: int
    ) -> None:
        self._signer = signer
        self._clock = clock
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout,
                connector=aiohttp.TCPConnector(limit=self._max_connections),
            )
        return self._session

    async def send(
        self, device: Device, plaintext: bytes, *, ttl: int, urgency: str, topic: str
    ) -> PushResult:
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
        try:
            async with self._client().post(device.endpoint, data=body, headers=headers) as answer:
                text = "" if answer.status < 300 else (await answer.text())[:200]
                retry_after = answer.headers.get("retry-after")
                status = answer.status
        except TimeoutError:
            return PushResult(status=None, error="timeout")
        except aiohttp.ClientError as exc:
            return PushResult(status=None, error=type(exc).__name__)
        return PushResult(
            status=status,
            retry_after=parse_retry_after(retry_after, self._clock.now()),
            error=text,
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
