"""Secret tokens (enrolment codes, session ids): 128+ bits from a CSPRNG, stored only as hashes."""

from __future__ import annotations

import hashlib
import re
import secrets

TOKEN_BYTES = 24  # 192 bits; URL-safe base64 gives 32 characters
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{16,128}$")


def new_token() -> tuple[str, str]:
    """A fresh secret and the hash to store in its place: (token, token_hash)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    """SHA-256 hex of a token; a fast hash is right here because the token is already random."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def looks_like_token(value: str) -> bool:
    """Whether `value` could be a token we issued (cheap check before touching the database)."""
    return bool(_TOKEN_SHAPE.match(value))
