"""Staff passwords: argon2id hashing at the Settings' cost, checks in flight, the policy."""

from __future__ import annotations

import os
import string
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache, cached_property
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.config import Settings
from app.error_codes import ErrorCode
from app.errors import ServiceBusy

MIN_PASSWORD_LENGTH = 12
# 19,640 passwords most common in breaches (unhexed, lower-cased, deduplicated), by Royce
# Williams, as Django ships it (django/contrib/auth/common-passwords.txt.gz, BSD licence).
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common-passwords.txt")
# Stripped from both ends before the list is consulted: a common password stretched to the
# length rule with digits or symbols ("password1234", "!!monkey2024!!") is no stronger.
PADDING = string.digits + string.punctuation + string.whitespace
# A shorter core than this is not looked up ("a1b2c3d4e5f6" is not "a" padded).
MIN_CORE = 4
# How long a password check waits for a free slot before the answer is 503 `busy`. A waiting
# login holds one of the API's in-flight slots (app/inflight.py, 8 on SQLite): overloaded
# (bench/login_contention.py, 9 logins/s at production cost on 2 CPUs) a 1 s wait filled them
# with waiting logins and the patient's GET /api/me p50 was 380 ms, against 34 ms with 0.25 s
# and 13 ms with 0.1 s (a noisy machine: the order matters, not the digits). 0.25 s still
# absorbs two logins arriving together.
CHECK_SLOT_WAIT_SECONDS = 0.25
BUSY = "The service is busy checking other sign-ins. Please try again in a moment."


class _Hashing:
    """One set of argon2 parameters and a dummy hash made with them."""

    def __init__(self, hasher: PasswordHasher) -> None:
        self.hasher = hasher

    @cached_property
    def dummy_hash(self) -> str:
        # Verifying against this when the e-mail is unknown makes both answers take the same
        # time; made on first use so importing this module costs no hash.
        return self.hasher.hash("not a real password, only used to equalise timing")


class CheckSlots:
    """At most `size` password checks at once in this process; counts every check made.

    argon2id costs ~64 MiB and ~100 ms of a core per check: a burst of logins (or of wrong
    guesses spread over many addresses, which no per-key limit sees) would otherwise take
    every CPU and all the memory, and every other request with them. Over the cap a check
    is refused with 503 and Retry-After: 1, which costs the refused client nothing to repeat.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0  # the most checks ever seen running at once (benchmarks, tests)
        self.made = 0  # how many checks ran (each one an argon2 verification)
        self.refused = 0

    @contextmanager
    def slot(self) -> Iterator[None]:
        """A slot for one check, waiting a moment for one; else ServiceBusy (503)."""
        if not self._slots.acquire(timeout=CHECK_SLOT_WAIT_SECONDS):
            with self._lock:
                self.refused += 1
            raise ServiceBusy(BUSY, retry_after=1, code=ErrorCode.BUSY)
        with self._lock:
            self.in_flight += 1
            self.made += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            yield
        finally:
            with self._lock:
                self.in_flight -= 1
            self._slots.release()


# argon2-cffi's defaults, which are also Settings' defaults, until configure() says otherwise.
_current = _Hashing(PasswordHasher())
checks = CheckSlots(max(1, 2 * (os.cpu_count() or 1) // 4))  # Settings' default, 4 lanes


def configure(settings: Settings) -> None:
    """Hash new passwords with `settings`' argon2 parameters (create_app and the CLI call this).

    Also sizes the process's password-check slots (a new size starts a new set of slots;
    checks already running finish on the old one).
    """
    global _current, checks
    hasher = PasswordHasher(
        time_cost=settings.password_hash_time_cost,
        memory_cost=settings.password_hash_memory_kib,
        parallelism=settings.password_hash_parallelism,
    )
    if _parameters(hasher) != _parameters(_current.hasher):
        _current = _Hashing(hasher)
    if settings.password_check_slots != checks.size:
        checks = CheckSlots(settings.password_check_slots)


def _parameters(hasher: PasswordHasher) -> tuple[int, int, int]:
    return hasher.time_cost, hasher.memory_cost, hasher.parallelism


def hash_password(password: str) -> str:
    return _current.hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if `password` matches; with `password_hash` None, spends the same time and is False.

    Any argon2 hash verifies, whatever its parameters: each hash records its own. Takes one
    of the process's check slots (ServiceBusy, 503, when none is free for a moment).
    """
    hashing = _current
    dummy = hashing.dummy_hash  # made (once) outside the slot: it is a hash, not a check
    with checks.slot():
        try:
            return hashing.hasher.verify(password_hash or dummy, password) and bool(password_hash)
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
    if is_common(password):
        return (
            "this password is one of the most common ones, which attackers try first: "
            "choose another (a few unrelated words make a strong one)"
        )
    return None


@cache
def common_passwords() -> frozenset[str]:
    """The list, read on first use (a password being set), then kept."""
    return frozenset(COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines())


def is_common(password: str) -> bool:
    """True if `password` (any case) is a common one, repeated, or one padded at its ends."""
    common = common_passwords()
    lowered = password.lower()
    if lowered in common:
        return True
    core = lowered.strip(PADDING)
    if len(core) >= MIN_CORE and core in common:
        return True
    # "qwertyqwerty", "abc123abc123": a common password said twice or more.
    for size in range(MIN_CORE, len(lowered) // 2 + 1):
        if len(lowered) % size == 0 and lowered == lowered[:size] * (len(lowered) // size):
            return lowered[:size] in common or lowered[:size].strip(PADDING) in common
    return False
