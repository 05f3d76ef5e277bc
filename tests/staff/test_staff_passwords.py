"""Password hashing: argon2id, verification, the same work for unknown accounts, the policy."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import pytest
from argon2 import PasswordHasher

from app.staff import passwords


def median_seconds(action: Callable[[], object], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


class TestHashing:
    def test_hashes_are_salted_argon2id(self) -> None:
        first, second = passwords.hash_password("x" * 12), passwords.hash_password("x" * 12)
        assert first.startswith("$argon2id$")
        assert first != second
        assert "x" * 12 not in first

    def test_right_password_verifies_and_wrong_does_not(self) -> None:
        stored = passwords.hash_password("correct horse battery")
        assert passwords.verify_password(stored, "correct horse battery") is True
        assert passwords.verify_password(stored, "correct horse battery ") is False

    @pytest.mark.parametrize("stored", ["", "not a hash", "$argon2id$v=19$broken"])
    def test_a_damaged_hash_never_verifies(self, stored: str) -> None:
        assert passwords.verify_password(stored, "anything at all") is False


class TestUnknownAccount:
    def test_no_hash_never_verifies_even_the_dummy_password(self) -> None:
        assert (
            passwords.verify_password(None, "not a real password, only used to equalise timing")
            is False
        )

    def test_the_dummy_hash_costs_what_a_real_one_does(self) -> None:
        # Same argon2 parameters as every new hash: the unknown-e-mail path is not cheaper.
        assert not PasswordHasher().check_needs_rehash(passwords._DUMMY_HASH)
        params = passwords._DUMMY_HASH.rsplit("$", 2)[0]
        assert passwords.hash_password("whatever pass").rsplit("$", 2)[0] == params

    def test_checking_an_unknown_account_takes_as_long_as_a_wrong_password(self) -> None:
        stored = passwords.hash_password("correct horse battery")
        known = median_seconds(lambda: passwords.verify_password(stored, "wrong password"))
        unknown = median_seconds(lambda: passwords.verify_password(None, "wrong password"))
        # Skipping the hash would make it thousands of times faster; load noise is far less.
        assert unknown > known * 0.3


class TestPolicy:
    @pytest.mark.parametrize(
        ("password", "problem"),
        [
            ("x" * 11, "at least 12 characters"),
            ("x" * 12, None),
            ("x" * 1024, None),
            ("x" * 1025, "at most 1024 characters"),
        ],
    )
    def test_length_limits(self, password: str, problem: str | None) -> None:
        found = passwords.password_problem(password)
        assert found == problem or (problem is not None and found is not None and problem in found)
