"""TOTP (RFC 6238) arithmetic: secrets, otpauth:// URIs, and which time step a code is."""

from __future__ import annotations

from datetime import datetime

import pyotp

from app.staff import totp_secrets

ISSUER = "Aftercare"
STEP_SECONDS = 30
# One step either side: a phone clock 30 s off, or a code typed just as it rolled over.
VALID_WINDOW = 1


def new_secret() -> str:
    """A random base32 secret of 160 bits (RFC 4226's recommended length)."""
    return pyotp.random_base32()


def otpauth_uri(secret: str, *, email: str, clinic_name: str) -> str:
    """The URI authenticator apps read; the clinic's name tells several accounts apart."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=f"{ISSUER} ({clinic_name})")


def time_step(now: datetime) -> int:
    """The RFC 6238 counter at `now` (aware)."""
    return int(now.timestamp()) // STEP_SECONDS


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step `code` belongs to (the latest one, within the valid window), else None.

    `secret` as stored: sealed (app/staff/totp_secrets.py), or plain from before sealing.
    """
    code = "".join(code.split())
    if not (code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(totp_secrets.open_secret(secret))
    current = time_step(now)
    matched = None
    # Every candidate is compared (constant-time each): no early exit to time.
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if pyotp.utils.strings_equal(code, totp.generate_otp(step)):
            matched = step
    return matched


def code_at(secret: str, now: datetime) -> str:
    """The code an authenticator shows at `now` (for tests and the demo)."""
    return pyotp.TOTP(secret).generate_otp(time_step(now))
