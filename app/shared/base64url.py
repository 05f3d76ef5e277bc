"""URL-safe base64 without padding (RFC 4648 §5), as Web Push, VAPID and action tokens use it."""

from __future__ import annotations

import base64


def b64url_encode(data: bytes) -> str:
    """`data` as base64url text with the trailing `=` padding removed."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(value: str) -> bytes:
    """The bytes of base64url `value`, padded or not; raises ValueError (binascii.Error) on junk."""
    bare = value.rstrip("=")
    return base64.urlsafe_b64decode(bare + "=" * (-len(bare) % 4))
