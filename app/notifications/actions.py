"""Notification actions: a token in the push payload that lets "Done" tick off that one task.

The service worker has no session cookie it may use, and must not hold the device session. The
payload is end-to-end encrypted to the device, so a token bound to one occurrence and an
expiry is enough: it can complete that task until shortly after its window, and nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import datetime, timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.notifications.vapid import VapidKeys
from app.shared.base64url import b64url_decode, b64url_encode

# Ticking from yesterday's notification is still useful; older ones are not.
TOKEN_GRACE = timedelta(days=1)


def action_secret(keys: VapidKeys) -> bytes:
    """A key for action tokens derived from the VAPID key: no second secret to keep."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"aftercare notification actions"
    ).derive(keys.pem())


def make_token(secret: bytes, occurrence_id: uuid.UUID, window_end: datetime) -> str:
    expires = int((window_end + TOKEN_GRACE).timestamp())
    return f"{expires}.{b64url_encode(_mac(secret, occurrence_id, expires))}"


def check_token(secret: bytes, occurrence_id: uuid.UUID, token: str, now: datetime) -> bool:
    """True if `token` was made for this occurrence and has not expired (constant-time)."""
    expires_text, _, mac_text = token.partition(".")
    if not expires_text.isdigit() or not mac_text:
        return False
    try:
        given = b64url_decode(mac_text)
    except ValueError:
        return False
    expected = _mac(secret, occurrence_id, int(expires_text))
    return hmac.compare_digest(given, expected) and now.timestamp() < int(expires_text)


def _mac(secret: bytes, occurrence_id: uuid.UUID, expires: int) -> bytes:
    return hmac.new(secret, f"{occurrence_id}|{expires}".encode(), hashlib.sha256).digest()


def receipt_secret(keys: VapidKeys) -> bytes:
    """A second key for "shown"/"tapped" receipts: a receipt token cannot tick a task off."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"aftercare delivery receipts"
    ).derive(keys.pem())
