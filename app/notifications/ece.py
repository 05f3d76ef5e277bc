"""RFC 8291 message encryption for Web Push (aes128gcm, one record), from `cryptography` alone.

pywebpush's path (WebPusher + http_ece) rebuilt the receiver's key and deep-copied its
arguments for every message: about a third of the dispatcher's CPU per message went there.
This does the same RFC steps once per message and decodes each device's key once.
"""

from __future__ import annotations

import os
import struct
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from app.shared.base64url import b64url_decode

RECORD_SIZE = 4096  # RFC 8188 rs; a push message is one record, so at most 4096 - 17 bytes
_TAG_AND_DELIMITER = 17  # AES-GCM tag (16) + the last-record delimiter 0x02 (1)
MAX_PLAINTEXT = RECORD_SIZE - _TAG_AND_DELIMITER


@lru_cache(maxsize=4096)
def _receiver(p256dh: str, auth: str) -> tuple[ec.EllipticCurvePublicKey, bytes, bytes]:
    """The device's public key, its raw point and its auth secret, decoded once per device."""
    point = b64url_decode(p256dh)
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    secret = b64url_decode(auth)
    if len(secret) != 16:
        raise ValueError(f"auth secret is {len(secret)} bytes, RFC 8291 wants 16")
    return key, point, secret


def _hkdf(secret: bytes, *, salt: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(secret)


def encrypt(
    p256dh: str,
    auth: str,
    plaintext: bytes,
    *,
    salt: bytes | None = None,
    sender_key: ec.EllipticCurvePrivateKey | None = None,
) -> bytes:
    """The aes128gcm body (RFC 8188 header + one record) only this device can read.

    A fresh ephemeral key and salt every call (RFC 8291 §3.1); both can be given only so that
    the RFC's own example can be checked byte for byte.
    Raises ValueError for keys that are not a P-256 point and 16-byte secret, or a message
    longer than one record.
    """
    if len(plaintext) > MAX_PLAINTEXT:
        raise ValueError(f"push message of {len(plaintext)} bytes: at most {MAX_PLAINTEXT}")
    receiver, receiver_point, auth_secret = _receiver(p256dh, auth)
    ephemeral = sender_key or ec.generate_private_key(ec.SECP256R1())
    sender_point = ephemeral.public_key().public_bytes(
        Encoding.X962, PublicFormat.UncompressedPoint
    )
    shared = ephemeral.exchange(ec.ECDH(), receiver)
    ikm = _hkdf(
        shared,
        salt=auth_secret,
        info=b"WebPush: info\x00" + receiver_point + sender_point,
        length=32,
    )
    salt = salt or os.urandom(16)
    key = _hkdf(ikm, salt=salt, info=b"Content-Encoding: aes128gcm\x00", length=16)
    nonce = _hkdf(ikm, salt=salt, info=b"Content-Encoding: nonce\x00", length=12)
    record = AESGCM(key).encrypt(nonce, plaintext + b"\x02", None)
    header = salt + struct.pack("!IB", RECORD_SIZE, len(sender_point)) + sender_point
    return header + record
