"""VAPID keys: load, generate and keep the server's key pair; sign per-origin tokens."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from app.private_files import write_private_file
from app.shared.base64url import b64url_encode

# RFC 8292 allows up to 24 h; 12 h leaves room for clock skew between us and the push service.
TOKEN_LIFETIME_SECONDS = 12 * 3600
# Renew a cached token this long before it expires, so none is ever sent about to lapse.
TOKEN_RENEW_MARGIN_SECONDS = 3600


class VapidKeyMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class VapidKeys:
    """The server's key pair. `key_id` names the public key; subscriptions remember it."""

    private_key: ec.EllipticCurvePrivateKey

    @property
    def public_key_bytes(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )

    @property
    def public_key(self) -> str:
        """The applicationServerKey browsers need, base64url without padding."""
        return b64url_encode(self.public_key_bytes)

    @property
    def key_id(self) -> str:
        return hashlib.sha256(self.public_key_bytes).hexdigest()[:16]

    def pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def generate_keys() -> VapidKeys:
    return VapidKeys(ec.generate_private_key(ec.SECP256R1()))


def write_keys(keys: VapidKeys, path: Path) -> None:
    """Write the private key readable by its owner only; never overwrite an existing key."""
    write_private_file(path, keys.pem())


def read_keys(path: Path) -> VapidKeys:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError(f"{path} is not a P-256 private key")
    return VapidKeys(key)


def load_or_create(path: Path, *, create: bool) -> VapidKeys:
    """The key pair at `path`; with `create`, generate and keep one if there is none."""
    if path.exists():
        return read_keys(path)
    if not create:
        raise VapidKeyMissing(
            f"no VAPID key at {path}: run `aftercare vapid generate` and set "
            "AFTERCARE_VAPID_PRIVATE_KEY_FILE"
        )
    keys = generate_keys()
    try:
        write_keys(keys, path)
    except FileExistsError:  # another process created it first: use theirs
        return read_keys(path)
    return keys


class VapidSigner:
    """Authorization headers per push-service origin, cached until shortly before expiry."""

    def __init__(
        self, keys: VapidKeys, subject: str, *, wall_clock: Callable[[], float] = time.time
    ) -> None:
        self._vapid = Vapid02(private_key=keys.private_key)
        self._subject = subject
        self._now = wall_clock
        self._cache: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def authorization(self, endpoint: str) -> str:
        """The `Authorization: vapid t=…, k=…` value for the endpoint's origin."""
        parts = urlsplit(endpoint)
        origin = f"{parts.scheme}://{parts.netloc}"
        now = self._now()
        with self._lock:
            cached = self._cache.get(origin)
            if cached and cached[0] - TOKEN_RENEW_MARGIN_SECONDS > now:
                return cached[1]
            expires = int(now) + TOKEN_LIFETIME_SECONDS
            # A fresh dict each time: the signer adds to the claims it is given.
            claims = {"aud": origin, "exp": expires, "sub": self._subject}
            header: str = self._vapid.sign(claims)["Authorization"]
            self._cache[origin] = (float(expires), header)
            return header
