"""A real Web Push service on loopback: checks VAPID and aes128gcm, records each delivery."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hmac
import http
import json
import re
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# RFC 8030 §7.2: services must take 4096 bytes of body; the big ones refuse anything larger.
MAX_BODY_BYTES = 4096
# RFC 8292 §2: a VAPID token must not claim to live more than 24 hours.
MAX_VAPID_LIFETIME_S = 24 * 60 * 60
URGENCIES = frozenset({"very-low", "low", "normal", "high"})

_B64URL = re.compile(r"[A-Za-z0-9_-]*={0,2}")
_TOPIC = re.compile(r"[A-Za-z0-9_-]{1,32}")
_TTL = re.compile(r"[0-9]{1,10}")
_PUSH_PATH = "/push/"
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 9110 §5.6.2: methods, header names
_HEAD_LIMIT = 16 * 1024
# A body announced bigger than this is refused unread and the connection closed.
_READ_LIMIT = 64 * 1024
_TOKEN_CACHE_LIMIT = 4096


def b64url_encode(data: bytes) -> str:
    """Base64url without padding, the way browsers and VAPID write keys."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Inverse of b64url_encode; padding is tolerated. Raises ValueError on anything else."""
    if not _B64URL.fullmatch(text):
        raise ValueError(f"{text[:40]!r} is not base64url")
    bare = text.rstrip("=")
    return base64.urlsafe_b64decode(bare + "=" * (-len(bare) % 4))


def _public_point(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


@dataclass(frozen=True)
class VapidKeys:
    """An application server's VAPID key pair, in the forms pywebpush and browsers take."""

    private_key: str  # raw 32-byte scalar, base64url: pywebpush's `vapid_private_key`
    public_key: str  # uncompressed point, base64url: the browser's `applicationServerKey`


def new_vapid_keys() -> VapidKeys:
    key = ec.generate_private_key(ec.SECP256R1())
    scalar = key.private_numbers().private_value.to_bytes(32, "big")
    return VapidKeys(
        private_key=b64url_encode(scalar), public_key=b64url_encode(_public_point(key))
    )


@dataclass(frozen=True)
class FakeSubscription:
    """What a browser's PushManager.subscribe() gives the page, plus the keys it keeps to itself."""

    id: str
    endpoint: str
    p256dh: str  # the browser's ECDH public key, base64url without padding
    auth: str  # 16-byte auth secret, base64url without padding
    private_key: ec.EllipticCurvePrivateKey = field(repr=False, compare=False)
    # Set when subscribed with an applicationServerKey: pushes signed by another key get 403.
    application_server_key: str | None = None

    @property
    def auth_secret(self) -> bytes:
        return b64url_decode(self.auth)

    def to_json(self) -> dict[str, Any]:
        """Exactly PushSubscription.toJSON(), as the page would post it to Aftercare."""
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": self.p256dh, "auth": self.auth},
        }


@dataclass(frozen=True)
class Delivery:
    """A push the service accepted: the decrypted payload and what came with it."""

    subscription_id: str
    payload: bytes  # plaintext; the raw encrypted body when the service runs with verify=False
    ttl: int
    urgency: str | None
    topic: str | None
    vapid_sub: str
    vapid_public_key: str
    received_at: float  # time.monotonic()
    received_wall: datetime  # aware, UTC
    message_id: str  # last segment of the Location header the sender got back

    def json(self) -> Any:
        return json.loads(self.payload)


@dataclass(frozen=True)
class Rejection:
    """A request the service refused after checking it, and why."""

    subscription_id: str | None  # from the path, even when no such subscription exists
    status: int
    reason: str
    received_at: float  # time.monotonic()


class _Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class _Rule:
    """A scripted behaviour: answer `status`, or hold the request when status is None."""

    status: int | None
    retry_after: int | None
    remaining: int | None  # None: until reset()
    endpoint_id: str | None


@dataclass
class _Head:
    method: str
    target: str
    headers: dict[str, str]  # names lower-cased; repeated fields joined with ", "
    length: int
    keep_alive: bool
    expect_continue: bool


@dataclass
class _Request:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    complete: bool  # False when the body was too big to read
    keep_alive: bool


@dataclass
class _Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""


@dataclass
class _Hold:
    """A valid push that a hang() rule holds: delivered only if released while its client waits."""

    delivery: Delivery


def _check_push_headers(headers: dict[str, str]) -> tuple[int, str | None, str | None]:
    """RFC 8030 §5 headers and RFC 8291's content coding; returns (ttl, urgency, topic)."""
    ttl = headers.get("ttl")
    if ttl is None:
        raise _Refused(400, "TTL header missing (RFC 8030 §5.2 requires it)")
    if not _TTL.fullmatch(ttl):
        raise _Refused(400, f"TTL {ttl!r} is not a non-negative integer")
    encoding = headers.get("content-encoding")
    if encoding is None or encoding.lower() != "aes128gcm":
        raise _Refused(400, f"Content-Encoding {encoding!r} is not aes128gcm (RFC 8291)")
    urgency = headers.get("urgency")
    if urgency is not None and urgency not in URGENCIES:
        raise _Refused(400, f"Urgency {urgency!r} is not one of {sorted(URGENCIES)}")
    topic = headers.get("topic")
    if topic is not None and not _TOPIC.fullmatch(topic):
        raise _Refused(400, f"Topic {topic!r} is not 1-32 characters of base64url")
    return int(ttl), urgency, topic


def _vapid_credentials(headers: dict[str, str]) -> tuple[str, str]:
    """Split `Authorization: vapid t=<JWT>, k=<key>` (RFC 8292 §3) into (token, key)."""
    authorization = headers.get("authorization")
    if authorization is None:
        raise _Refused(401, "Authorization header missing: VAPID (RFC 8292) is required")
    scheme, _, params = authorization.partition(" ")
    if scheme.lower() != "vapid":
        # pywebpush only sends the draft `WebPush <JWT>` + Crypto-Key form when handed a
        # Vapid01 key object; a push service for aes128gcm should not accept it.
        raise _Refused(401, f"Authorization scheme {scheme!r} is not 'vapid' (RFC 8292)")
    values: dict[str, str] = {}
    for part in params.split(","):
        name, equals, value = part.strip().partition("=")
        values[name.lower()] = value if equals else ""
    if values.keys() != {"t", "k"} or not all(values.values()):
        raise _Refused(401, f"Authorization {params!r} is not exactly 't=<JWT>, k=<key>'")
    return values["t"], values["k"]


def _verified_claims(token: str, key: str) -> dict[str, Any]:
    """Check the JWT is ES256 and signed by the private half of k; return its claims."""
    try:
        point = b64url_decode(key)
        if len(point) != 65 or point[0] != 4:
            raise ValueError("not an uncompressed point")
        public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise _Refused(403, "k is not a P-256 public key (uncompressed, base64url)") from None
    parts = token.split(".")
    try:
        if len(parts) != 3:
            raise ValueError("not three parts")
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except ValueError:
        raise _Refused(403, "t is not a JWT (three base64url parts, JSON inside)") from None
    if not isinstance(header, dict) or header.get("alg") != "ES256":
        raise _Refused(403, f"JWT header {header!r} does not say alg ES256")
    if not isinstance(claims, dict):
        raise _Refused(403, "JWT claims are not a JSON object")
    if len(signature) != 64:
        raise _Refused(403, f"JWT signature is {len(signature)} bytes, ES256 needs 64 (r||s)")
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    signed = f"{parts[0]}.{parts[1]}".encode("ascii")
    try:
        public_key.verify(encode_dss_signature(r, s), signed, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise _Refused(403, "JWT signature does not verify with the public key k") from None
    return claims


def _unverified_claims(token: str) -> dict[str, Any]:
    """The claims without checking the signature, for verify=False runs."""
    try:
        claims = json.loads(b64url_decode(token.split(".")[1]))
    except (ValueError, IndexError):
        raise _Refused(403, "t is not a JWT (three base64url parts, JSON inside)") from None
    if not isinstance(claims, dict):
        raise _Refused(403, "JWT claims are not a JSON object")
    return claims


def _check_claims(claims: dict[str, Any], origin: str, now: float) -> str:
    """RFC 8292 §2 claims: aud is us, exp is soon but not past, sub is a contact. Returns sub."""
    aud = claims.get("aud")
    if aud != origin:
        raise _Refused(403, f"JWT aud {aud!r} is not this push service's origin {origin!r}")
    exp = claims.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        raise _Refused(403, f"JWT exp {exp!r} is not a number")
    if exp <= now:
        raise _Refused(403, f"JWT expired: exp is {now - exp:.0f} s in the past")
    if exp > now + MAX_VAPID_LIFETIME_S:
        ahead_h = (exp - now) / 3600
        raise _Refused(403, f"JWT exp is {ahead_h:.1f} h ahead; RFC 8292 allows at most 24 h")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub.startswith(("mailto:", "https://")):
        raise _Refused(403, f"JWT sub {sub!r} is neither a mailto: nor an https:// contact")
    return sub


# RFC 8188 §2.1 header: salt (16), record size (4), keyid length (1), then the keyid itself,
# which RFC 8291 §4 says is the sender's uncompressed P-256 key.
_ECE_HEADER_BYTES = 16 + 4 + 1 + 65
_GCM_TAG_BYTES = 16


def _check_ece_header(body: bytes) -> None:
    """The aes128gcm framing a push must have: one record, keyid = the sender's public key."""
    if len(body) < _ECE_HEADER_BYTES or body[20] != 65:
        raise _Refused(400, "body is not aes128gcm with a 65-byte sender key as keyid (RFC 8291)")
    record_size = int.from_bytes(body[16:20], "big")
    record = len(body) - _ECE_HEADER_BYTES
    if record < _GCM_TAG_BYTES + 1:
        raise _Refused(400, f"aes128gcm record is {record} bytes, too short for tag and delimiter")
    if record > record_size:
        raise _Refused(400, f"body holds more than one record (rs {record_size}); RFC 8291 wants 1")


def _hmac(key: bytes, message: bytes) -> bytes:
    return hmac.digest(key, message, "sha256")


def _decrypt(body: bytes, subscription: FakeSubscription) -> bytes:
    """RFC 8291 §3.4 decryption of a body that passed _check_ece_header.

    Written from the RFC rather than with http_ece, which pywebpush encrypts with: an
    independent implementation also catches mistakes both directions of http_ece share.
    HKDF outputs here are at most 32 bytes, so each Expand is a single HMAC block.
    """
    salt, sender_point = body[:16], body[21:_ECE_HEADER_BYTES]
    try:
        sender = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), sender_point)
    except ValueError:
        raise _Refused(400, "aes128gcm keyid is not a P-256 point") from None
    shared = subscription.private_key.exchange(ec.ECDH(), sender)
    receiver_point = _public_point(subscription.private_key)
    prk_key = _hmac(subscription.auth_secret, shared)
    ikm = _hmac(prk_key, b"WebPush: info\x00" + receiver_point + sender_point + b"\x01")
    prk = _hmac(salt, ikm)
    cek = _hmac(prk, b"Content-Encoding: aes128gcm\x00\x01")[:16]
    nonce = _hmac(prk, b"Content-Encoding: nonce\x00\x01")[:12]
    try:
        padded = AESGCM(cek).decrypt(nonce, body[_ECE_HEADER_BYTES:], None)
    except InvalidTag:
        raise _Refused(
            400, "body does not decrypt with the subscription's keys (RFC 8291): bad tag"
        ) from None
    # RFC 8188 §2: plaintext, then the delimiter 0x02 (last record), then zero padding.
    unpadded = padded.rstrip(b"\x00")
    if not unpadded.endswith(b"\x02"):
        raise _Refused(400, "decrypted record does not end with the 0x02 last-record delimiter")
    return unpadded[:-1]


def _refusal_answer(refusal: _Refused) -> _Answer:
    # JSON like autopush's errors, so the reason shows up in pywebpush's exception text.
    phrase = http.HTTPStatus(refusal.status).phrase
    body = json.dumps({"code": refusal.status, "error": phrase, "message": refusal.reason})
    headers = [("content-type", "application/json")]
    if refusal.status == 405:
        headers.append(("allow", "POST"))
    return _Answer(refusal.status, headers, body.encode())


def _response_bytes(answer: _Answer, keep_alive: bool) -> bytes:
    lines = [f"HTTP/1.1 {answer.status} {http.HTTPStatus(answer.status).phrase}"]
    lines += [f"{name}: {value}" for name, value in answer.headers]
    lines.append(f"content-length: {len(answer.body)}")
    if not keep_alive:
        lines.append("connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + answer.body


def _parse_head(raw: bytes) -> _Head:
    """Request line and header fields (RFC 9112 §3, §5); raises _Refused on anything odd."""
    request_line, *lines = raw.decode("latin-1").split("\r\n")
    parts = request_line.split(" ")
    if (
        len(parts) != 3
        or parts[2] not in ("HTTP/1.1", "HTTP/1.0")
        or not _TOKEN.fullmatch(parts[0])
    ):
        raise _Refused(400, f"bad request line {request_line[:100]!r}")
    method, target, version = parts
    headers: dict[str, str] = {}
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon or not _TOKEN.fullmatch(name) or "\r" in value or "\n" in value:
            raise _Refused(400, f"bad header line {line[:100]!r}")
        name, value = name.lower(), value.strip(" \t")
        # Repeated fields combine into a list (RFC 9110 §5.3): a doubled TTL then fails its check.
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    if "transfer-encoding" in headers:
        # Senders of pushes (requests, httpx, aiohttp) always give Content-Length for bytes.
        raise _Refused(411, "Transfer-Encoding is not supported here: send Content-Length")
    length = headers.get("content-length", "0")
    if not _TTL.fullmatch(length):
        raise _Refused(400, f"Content-Length {length!r} is not a byte count")
    connection = headers.get("connection", "").lower()
    keep_alive = "close" not in connection if version == "HTTP/1.1" else "keep-alive" in connection
    expect_continue = headers.get("expect", "").lower() == "100-continue"
    return _Head(method, target, headers, int(length), keep_alive, expect_continue)


class _HttpConnection(asyncio.Protocol):
    """One client connection: HTTP/1.1 requests framed by Content-Length, answered in order.

    Hand-rolled rather than h11: h11 over asyncio streams cost as much CPU per request as
    the crypto, and the service must outrun a 1,000/s dispatcher that may share its GIL.
    """

    def __init__(self, service: FakePushService) -> None:
        self._service = service
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._head: _Head | None = None  # parsed, its body still arriving
        self._held: asyncio.Future[None] | None = None
        self._delayed = False  # an answer is waiting out the service's latency

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._service._connections.add(self)
        self._service.connection_count += 1

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        self._serve_buffered()

    def eof_received(self) -> bool:
        return False  # the client stopped sending: close, which abandons a held request

    def connection_lost(self, exc: Exception | None) -> None:
        self._service._connections.discard(self)
        if self._held is not None and not self._held.done():
            self._held.cancel()
            self._service._abandoned()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def _serve_buffered(self) -> None:
        assert self._transport is not None
        while self._held is None and not self._delayed and not self._transport.is_closing():
            try:
                request = self._next_request()
            except _Refused as refusal:
                self._service._refuse_unreadable(refusal)
                self._send(_refusal_answer(refusal), keep_alive=False)
                return
            if request is None:
                return
            outcome = self._service._respond(request)
            if isinstance(outcome, _Hold):
                self._hold(outcome, request.keep_alive)
                return
            if self._service.latency > 0:
                self._answer_later(outcome, request.keep_alive)
                return
            self._send(outcome, request.keep_alive)

    def _next_request(self) -> _Request | None:
        """The next complete request in the buffer, or None until more bytes arrive."""
        assert self._transport is not None
        if self._head is None:
            while self._buffer.startswith(b"\r\n"):  # RFC 9112 §2.2: skip stray empty lines
                del self._buffer[:2]
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buffer) > _HEAD_LIMIT:
                    raise _Refused(431, f"request head is over {_HEAD_LIMIT} bytes")
                return None
            self._head = _parse_head(bytes(self._buffer[:end]))
            del self._buffer[: end + 4]
            if self._head.expect_continue and len(self._buffer) < self._head.length:
                self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        head = self._head
        if head.length > _READ_LIMIT:
            self._head = None
            return _Request(head.method, head.target, head.headers, b"", False, False)
        if len(self._buffer) < head.length:
            return None
        body = bytes(self._buffer[: head.length])
        del self._buffer[: head.length]
        self._head = None
        return _Request(head.method, head.target, head.headers, body, True, head.keep_alive)

    def _send(self, answer: _Answer, keep_alive: bool) -> None:
        assert self._transport is not None
        self._transport.write(_response_bytes(answer, keep_alive))
        if not keep_alive:
            self._transport.close()

    def _answer_later(self, answer: _Answer, keep_alive: bool) -> None:
        """Answer after the service's latency, as a remote push service would (in order)."""
        self._delayed = True

        def answer_now() -> None:
            self._delayed = False
            if self._transport is None or self._transport.is_closing():
                return
            self._send(answer, keep_alive)
            self._serve_buffered()

        asyncio.get_running_loop().call_later(self._service.latency, answer_now)

    def _hold(self, hold: _Hold, keep_alive: bool) -> None:
        """Park the request until release(); requests pipelined behind it wait their turn."""
        held: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._held = held
        self._service._held.add(held)

        def on_release(future: asyncio.Future[None]) -> None:
            self._service._held.discard(future)
            if future.cancelled():  # the client hung up, or the service is stopping
                return
            assert self._transport is not None
            if self._transport.is_closing():
                self._service._abandoned()
                return
            self._held = None
            self._send(self._service._accept(hold.delivery), keep_alive)
            self._serve_buffered()

        held.add_done_callback(on_release)


class FakePushService:
    """A push service on loopback, served from its own thread so tests can stay synchronous.

    Checks run in this order, like a real service: path and method (404/405), forgotten
    subscription (410), body size (413), push headers (400), VAPID (401 when absent or not
    the RFC 8292 form, 403 when present but wrong), payload decryption (400). Only then do
    scripted behaviours (respond_with, hang) apply, so a broken request is never masked.
    Every outcome is recorded before the answer is written: once a sender has its response,
    deliveries() and rejections already show it.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        verify: bool = True,
        latency: float = 0.0,
    ) -> None:
        self.host = host
        self.port = port
        # Seconds before each answer (the outcome is recorded at once): real push services
        # are a network round trip away, which is what a sequential sender pays for.
        self.latency = latency
        # False skips the JWT signature and decryption (the costly parts) for benchmarks.
        self.verify = verify
        self.rejections: list[Rejection] = []
        self.request_count = 0
        self.connection_count = 0
        self.abandoned_count = 0  # held requests whose client hung up before release()
        self._deliveries: list[Delivery] = []
        self._subscriptions: dict[str, FakeSubscription] = {}
        self._forgotten: set[str] = set()
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        # Verified (token, key) pairs: senders that reuse a token skip the ECDSA check.
        self._token_cache: dict[tuple[str, str], dict[str, Any]] = {}
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._held: set[asyncio.Future[None]] = set()
        self._connections: set[_HttpConnection] = set()

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> Self:
        if self._thread is not None:
            raise RuntimeError("FakePushService already started")
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # Bound here, not in the thread, so the port is known as soon as start() returns.
        sock = socket.create_server((self.host, self.port), family=family, backlog=1024)
        self.port = sock.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(sock, ready), name=f"fake-push-{self.port}", daemon=True
        )
        self._thread.start()
        if not ready.wait(timeout=10):
            raise RuntimeError("FakePushService did not start within 10 s")
        return self

    def stop(self) -> None:
        """Close every connection (held requests get no answer) and end the thread."""
        if self._thread is None or self._loop is None or self._stopping is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop already ended
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(timeout=10)
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        """Scheme, host and port: what a VAPID token's aud must say."""
        if self.port == 0:
            raise RuntimeError("start() the FakePushService first: the port is not chosen yet")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    # -- the browser side ----------------------------------------------------------------

    def subscribe(self, application_server_key: str | None = None) -> FakeSubscription:
        """A new subscription with fresh keys, like PushManager.subscribe() in a browser."""
        key = ec.generate_private_key(ec.SECP256R1())
        subscription_id = secrets.token_urlsafe(16)
        subscription = FakeSubscription(
            id=subscription_id,
            endpoint=f"{self.origin}{_PUSH_PATH}{subscription_id}",
            p256dh=b64url_encode(_public_point(key)),
            auth=b64url_encode(secrets.token_bytes(16)),
            private_key=key,
            application_server_key=application_server_key,
        )
        with self._lock:
            self._subscriptions[subscription_id] = subscription
        return subscription

    def forget(self, subscription_id: str) -> None:
        """The browser dropped the subscription: every later push to it gets 410 Gone."""
        with self._lock:
            self._forgotten.add(subscription_id)

    # -- what arrived --------------------------------------------------------------------

    def deliveries(self, subscription_id: str | None = None) -> list[Delivery]:
        with self._lock:
            return self._matching(subscription_id)

    def wait_for(
        self, count: int, timeout: float = 10.0, *, subscription_id: str | None = None
    ) -> list[Delivery]:
        """Block until at least `count` deliveries (to one subscription, if given) are in."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = self._matching(subscription_id)
                remaining = deadline - time.monotonic()
                if len(found) >= count or remaining <= 0:
                    break
                self._changed.wait(remaining)
            if len(found) >= count:
                return found
            target = f" to {subscription_id}" if subscription_id else ""
            recent = "; ".join(f"{r.status} {r.reason}" for r in self.rejections[-3:])
            raise AssertionError(
                f"expected {count} deliveries{target} within {timeout:g} s, got {len(found)} "
                f"({self.request_count} requests, {len(self.rejections)} rejected"
                + (f"; last: {recent})" if recent else ")")
            )

    def clear(self) -> None:
        """Forget what arrived (deliveries, rejections, counters), e.g. between tests sharing
        one service; subscriptions and behaviours stay."""
        with self._lock:
            self._deliveries.clear()
            self.rejections.clear()
            self.request_count = self.abandoned_count = self.connection_count = 0

    def _matching(self, subscription_id: str | None) -> list[Delivery]:
        if subscription_id is None:
            return list(self._deliveries)
        return [d for d in self._deliveries if d.subscription_id == subscription_id]

    # -- scripted behaviour --------------------------------------------------------------

    def respond_with(
        self,
        status: int,
        *,
        retry_after: int | None = None,
        times: int | None = None,
        endpoint_id: str | None = None,
    ) -> None:
        """Answer valid pushes with `status` for `times` requests (None: until reset()).

        Rules queue up: respond_with(429, times=1); respond_with(500, times=1) gives 429,
        then 500, then 201. A 2xx status still delivers; anything else does not, and is not
        a Rejection either (those are for requests that fail the checks).
        """
        if not 200 <= status <= 599:
            raise ValueError(f"status {status} is not a final HTTP status")
        self._add_rule(_Rule(status, retry_after, times, endpoint_id))

    def hang(self, *, times: int | None = None, endpoint_id: str | None = None) -> None:
        """Hold valid pushes without answering until release(), reset() or stop()."""
        self._add_rule(_Rule(None, None, times, endpoint_id))

    def release(self) -> None:
        """Stop hanging: held requests are answered normally (201, delivered) if their
        client is still waiting; new requests are no longer held."""
        with self._lock:
            self._rules = [rule for rule in self._rules if rule.status is not None]
        self._release_held()

    def reset(self) -> None:
        """Back to plain 201s: drop every rule and release held requests (deliveries stay)."""
        with self._lock:
            self._rules.clear()
        self._release_held()

    def _add_rule(self, rule: _Rule) -> None:
        if rule.remaining is not None and rule.remaining < 1:
            raise ValueError(f"times must be at least 1, not {rule.remaining}")
        with self._lock:
            self._rules.append(rule)

    def _release_held(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop is closing: nothing is held
                self._loop.call_soon_threadsafe(self._resolve_held)

    def _resolve_held(self) -> None:
        for held in self._held:
            if not held.done():
                held.set_result(None)

    def _take_rule(self, subscription_id: str) -> _Rule | None:
        with self._lock:
            for rule in self._rules:
                if rule.endpoint_id in (None, subscription_id):
                    if rule.remaining is not None:
                        rule.remaining -= 1
                        if rule.remaining == 0:
                            self._rules.remove(rule)
                    return rule
        return None

    # -- the server (runs in the service's thread) ----------------------------------------

    def _run(self, sock: socket.socket, ready: threading.Event) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve(sock, ready))
        finally:
            self._loop.close()

    async def _serve(self, sock: socket.socket, ready: threading.Event) -> None:
        self._stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _HttpConnection(self), sock=sock)
        ready.set()
        await self._stopping.wait()
        server.close()
        for held in self._held:
            held.cancel()  # before closing, so stopping does not count as clients giving up
        for connection in list(self._connections):
            connection.close()
        await server.wait_closed()
        await asyncio.sleep(0)  # let the closed connections' callbacks run

    def _respond(self, request: _Request) -> _Answer | _Hold:
        """Check one request, apply scripted behaviour, record the outcome."""
        received_at, received_wall = time.monotonic(), datetime.now(UTC)
        subscription_id = self._subscription_id(request.target)
        with self._lock:
            self.request_count += 1
        try:
            delivery = self._check(request, subscription_id, received_at, received_wall)
        except _Refused as refusal:
            with self._lock:
                rejection = Rejection(subscription_id, refusal.status, refusal.reason, received_at)
                self.rejections.append(rejection)
            return _refusal_answer(refusal)
        rule = self._take_rule(delivery.subscription_id)
        if rule is None:
            return self._accept(delivery)
        if rule.status is None:
            return _Hold(delivery)
        if rule.status < 300:
            return self._accept(delivery, rule.status)
        headers = [("content-type", "text/plain")]
        if rule.retry_after is not None:
            headers.append(("retry-after", str(rule.retry_after)))
        return _Answer(rule.status, headers, f"scripted {rule.status}".encode())

    def _accept(self, delivery: Delivery, status: int = 201) -> _Answer:
        with self._changed:
            self._deliveries.append(delivery)
            self._changed.notify_all()
        return _Answer(
            status,
            [
                ("location", f"{self.origin}/message/{delivery.message_id}"),
                ("ttl", str(delivery.ttl)),  # RFC 8030 §5.2: the TTL the service applied
            ],
        )

    def _refuse_unreadable(self, refusal: _Refused) -> None:
        with self._lock:
            self.request_count += 1
            reason = f"malformed HTTP: {refusal.reason}"
            self.rejections.append(Rejection(None, refusal.status, reason, time.monotonic()))

    def _abandoned(self) -> None:
        with self._lock:
            self.abandoned_count += 1

    @staticmethod
    def _subscription_id(target: str) -> str | None:
        if not target.startswith(_PUSH_PATH):
            return None
        return target[len(_PUSH_PATH) :] or None

    def _check(
        self,
        request: _Request,
        subscription_id: str | None,
        received_at: float,
        received_wall: datetime,
    ) -> Delivery:
        """Everything a real push service checks; raises _Refused with the status it would give."""
        with self._lock:
            forgotten = subscription_id in self._forgotten
            subscription = self._subscriptions.get(subscription_id or "")
        if subscription_id is None:
            raise _Refused(404, f"no push resource at {request.target[:100]!r}")
        if request.method != "POST":
            raise _Refused(405, f"{request.method} is not allowed: push messages are POSTed")
        if forgotten:
            raise _Refused(410, f"subscription {subscription_id} is gone (forgotten)")
        if subscription is None:
            raise _Refused(404, f"no subscription {subscription_id}")
        if not request.complete or len(request.body) > MAX_BODY_BYTES:
            size = request.headers.get("content-length", "?")
            raise _Refused(413, f"body is {size} bytes; at most {MAX_BODY_BYTES} are accepted")
        ttl, urgency, topic = _check_push_headers(request.headers)
        token, key = _vapid_credentials(request.headers)
        claims = self._claims(token, key)
        vapid_sub = _check_claims(claims, self.origin, time.time())
        expected_key = subscription.application_server_key
        if expected_key is not None and key.rstrip("=") != expected_key.rstrip("="):
            raise _Refused(403, "k is not the applicationServerKey the subscription was made with")
        _check_ece_header(request.body)
        payload = _decrypt(request.body, subscription) if self.verify else request.body
        return Delivery(
            subscription_id=subscription.id,
            payload=payload,
            ttl=ttl,
            urgency=urgency,
            topic=topic,
            vapid_sub=vapid_sub,
            vapid_public_key=key.rstrip("="),
            received_at=received_at,
            received_wall=received_wall,
            message_id=secrets.token_urlsafe(12),
        )

    def _claims(self, token: str, key: str) -> dict[str, Any]:
        if not self.verify:
            return _unverified_claims(token)
        cached = self._token_cache.get((token, key))
        if cached is None:
            cached = _verified_claims(token, key)
            if len(self._token_cache) >= _TOKEN_CACHE_LIMIT:
                self._token_cache.clear()
            self._token_cache[(token, key)] = cached
        return cached
