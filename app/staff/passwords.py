"""Staff password hashing with argon2id, at the cost the deployment's Settings ask for."""

from __future__ import annotations

from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.config import Settings

MIN_PASSWORD_LENGTH = 12


class _Hashing:
    """One set of argon2 parameters and a dummy hash made with them."""

    def __init__(self, hasher: PasswordHasher) -> None:
        self.hasher = hasher

    @cached_property
    def dummy_hash(self) -> str:
        # Verifying against this when the e-mail is unknown makes both answers take the same
        # time; made on first use so importing this module costs no hash.
        return self.hasher.hash("not a real password, only used to equalise timing")


# argon2-cffi's defaults, which are also Settings' defaults, until configure() says otherwise.
_current = _Hashing(PasswordHasher())


def configure(settings: Settings) -> None:
    """Hash new passwords with `settings`' argon2 parameters (create_app and the CLI call this)."""
    global _current
    hasher = PasswordHasher(
        time_cost=settings.password_hash_time_cost,
        memory_cost=settings.password_hash_memory_kib,
        parallelism=settings.password_hash_parallelism,
    )
    if _parameters(hasher) != _parameters(_current.hasher):
        _current = _Hashing(hasher)


def _parameters(hasher: PasswordHasher) -> tuple[int, int, int]:
    return hasher.time_cost, hasher.memory_cost, hasher.parallelism


def hash_password(password: str) -> str:
    return _current.hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if `password` matches; with `password_hash` None, spends the same time and is False.

    Any argon2 hash verifies, whatever its parameters: each hash records its own.
    """
    hashing = _current
    try:
        return (
            hashing.hasher.verify(password_hash or hashing.dummy_hash, password)
            and password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True if a verified hash was made with other parameters than new hashes get."""
    return _current.hasher.check_needs_rehash(password_hash)


def dummy_hash() -> str:
    """The hash unknown e-mail addresses are checked against (for tests of equal work)."""
    return _current.dummy_hash


def password_problem(password: str) -> str | None:
    """Why `password` is not acceptable for a staff account, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"password must be at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > 1024:
        return "password must be at most 1024 characters"
    return None
