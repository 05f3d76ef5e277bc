"""Sending SMS through the gateway AFTERCARE_SMS_URL names: Twilio's API, or a JSON webhook.

Hand-written over aiohttp (already the push transport) rather than Apprise, for a missing
feature: Apprise's notify() answers success or failure per service, never the gateway's status,
so the outbox could not tell a 429 (wait Retry-After and send again) from an invalid number
(never send again), nor honour Retry-After. Both URL forms below speak to most providers:
Twilio's API is also offered by SignalWire, Telnyx and others (`?api=`), and a JSON webhook
fronts any other (or a clinic's own relay).
"""

from __future__ import annotations

import base64
import json
import logging

import aiohttp

from app.gateway_urls import SmsGateway
from app.notifications.letters import Answer, Letter, LetterResult

log = logging.getLogger("aftercare.sms")


class SmsSender:
    """Posts one text per letter; the gateway's answer decides sent, retry or refused."""

    def __init__(self, gateway: SmsGateway, *, timeout: float) -> None:
        self._gateway = gateway
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def send(self, letter: Letter) -> LetterResult:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)  # on the sending loop
        gateway = self._gateway
        try:
            if gateway.kind == "twilio":
                request = self._session.post(
                    gateway.endpoint,
                    data={"To": letter.to, "From": gateway.sender, "Body": letter.text},
                    headers={"Authorization": _basic(gateway.username, gateway.secret)},
                )
            else:
                headers = {"Authorization": f"Bearer {gateway.secret}"} if gateway.secret else {}
                request = self._session.post(
                    gateway.endpoint, json={"to": letter.to, "text": letter.text}, headers=headers
                )
            async with request as response:
                body = await response.text()
                return _answer(response.status, response.headers.get("Retry-After"), body)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return LetterResult(Answer.RETRY, f"SMS gateway: {type(exc).__name__}")

    async def release(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()


def _basic(user: str, password: str) -> str:
    # By hand: aiohttp.BasicAuth is deprecated, and its replacement is not in every 3.x.
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def _answer(status: int, retry_after: str | None, body: str) -> LetterResult:
    error = f"SMS gateway {status}"
    if 200 <= status < 300:
        return LetterResult(Answer.SENT)
    if status in (401, 403):
        # Our credentials: retried, so that a fixed configuration recovers what is waiting.
        log.error("SMS gateway refused our credentials (%s): check AFTERCARE_SMS_URL", status)
        return LetterResult(Answer.RETRY, error)
    if status == 429 or status >= 500 or status == 408:
        return LetterResult(Answer.RETRY, error, _seconds(retry_after))
    # Any other 4xx: the message itself is refused (an invalid number, a number that sent STOP).
    code = _twilio_code(body)
    if code is not None:
        error += f" (code {code})"
    return LetterResult(Answer.REFUSED, error)


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: the backoff decides instead


def _twilio_code(body: str) -> int | None:
    """Twilio's error code (21211: not a valid number; 21610: the person sent STOP), logged."""
    try:
        code = json.loads(body).get("code")
    except (ValueError, AttributeError):
        return None
    return code if isinstance(code, int) else None
