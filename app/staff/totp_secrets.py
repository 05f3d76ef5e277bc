"""TOTP seeds at rest: sealed with the key in AFTERCARE_TOTP_KEY_FILE, opened to check a code.

A database dump, a backup or a read-only SQL injection then shows no seed an attacker could
make codes from; the key lives in a file beside the VAPID key, never in the database.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from app.config import Settings
from app.private_files import write_private_file
from app.shared.secret_box import KEY_BYTES, SecretBox, SecretKeyMissing, is_sealed, read_key

# Bound into every sealed seed: a sealed value of another kind does not open as one.
PURPOSE = "aftercare staff totp secret"
SETTING = "AFTERCARE_TOTP_KEY_FILE"

_box: SecretBox | None = None


def configure(settings: Settings) -> None:
    """Use `settings`' key (create_app calls this): development makes one once, production
    refuses to start without it, as for the VAPID key."""
    global _box
    key = load_or_create_key(settings.totp_key_path, create=settings.env == "development")
    _box = SecretBox(key)


def use_key(key: bytes) -> None:
    """Use this key (the test suite, and a migration that read the key itself)."""
    global _box
    _box = SecretBox(key)


def load_or_create_key(path: Path, *, create: bool) -> bytes:
    """The key at `path`; with `create`, generate and keep one (owner-only) if there is none."""
    if path.exists():
        return read_key(path)
    if not create:
        raise SecretKeyMissing(
            f"no TOTP key at {path}: make one with `aftercare totp-key generate --out FILE` "
            f"and set {SETTING}; keep it, and back it up apart from the database"
        )
    try:
        return write_new_key(path)
    except FileExistsError:  # another process created it first: use theirs
        return read_key(path)


def write_new_key(path: Path) -> bytes:
    """Write a fresh random key to `path` (owner-only); FileExistsError rather than replace
    one, since seeds sealed with the old key would no longer open."""
    key = os.urandom(KEY_BYTES)
    write_private_file(path, base64.b64encode(key) + b"\n")
    return key


def seal(secret: str) -> str:
    """What is stored for a new seed (base32 text): its 20 raw bytes sealed, 51 characters."""
    return _current().seal(base64.b32decode(secret), purpose=PURPOSE)


def open_secret(stored: str) -> str:
    """The seed behind a stored value (one stored before sealing comes back as it is).

    SealBroken if another key sealed it: a wrong key file must not pass for a wrong code.
    """
    if not is_sealed(stored):
        return stored
    return base64.b32encode(_current().open(stored, purpose=PURPOSE)).decode("ascii")


def _current() -> SecretBox:
    if _box is None:
        raise SecretKeyMissing(f"TOTP secrets need a key: call configure() ({SETTING})")
    return _box
