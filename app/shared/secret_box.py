"""Small secrets encrypted at rest (AES-SIV under a key file): sealed values read "v1:…"."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

from app.shared.base64url import b64url_decode, b64url_encode

# The format's version: a stored value without it is plaintext from before encryption.
PREFIX = "v1:"
# AES-256-SIV (RFC 5297) takes a 512-bit key: two AES-256 keys, one for the MAC, one for CTR.
KEY_BYTES = 64


class SecretKeyMissing(RuntimeError):
    """No usable key file where the settings say (production never makes one itself)."""


class SealBroken(ValueError):
    """A sealed value that this key did not seal, or that was altered."""


class SecretBox:
    """Seal and open short secrets; `purpose` is bound in, so a value moved elsewhere fails.

    SIV needs no nonce (nothing to repeat by mistake) and adds 16 bytes, so a sealed TOTP seed
    still fits its 64-character column. It is deterministic: equal secrets seal equally, which
    says nothing about random seeds.
    """

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"a secret key is {KEY_BYTES} bytes, not {len(key)}")
        self._aead = AESSIV(key)

    def seal(self, secret: bytes, *, purpose: str) -> str:
        return PREFIX + b64url_encode(self._aead.encrypt(secret, [purpose.encode()]))

    def open(self, sealed: str, *, purpose: str) -> bytes:
        if not is_sealed(sealed):
            raise SealBroken("not a sealed value")
        try:
            raw = b64url_decode(sealed.removeprefix(PREFIX))
            return self._aead.decrypt(raw, [purpose.encode()])
        except (InvalidTag, ValueError) as exc:
            raise SealBroken("a sealed secret does not open with this key") from exc


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


def read_key(path: Path) -> bytes:
    """The key in `path`: base64 of 64 random bytes (`openssl rand -base64 64` writes one)."""
    text = "".join(path.read_text(encoding="ascii").split())
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SecretKeyMissing(f"{path} does not hold a base64 key") from exc
    if len(key) != KEY_BYTES:
        raise SecretKeyMissing(f"{path} holds {len(key)} bytes; a key is {KEY_BYTES}")
    return key
