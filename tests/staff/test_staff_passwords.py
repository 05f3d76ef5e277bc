"""Password hashing: argon2id at the configured cost, equal work for unknown accounts, policy."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.clock import FixedClock
from app.config import Settings
from app.db import transaction
from app.errors import NotAuthenticated
from app.staff import passwords, service
from app.staff.models import StaffUser
from tests.support.factories import STAFF_PASSWORD, make_clinic_with_staff


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
        assert not passwords.needs_rehash(passwords.dummy_hash())
        params = passwords.dummy_hash().rsplit("$", 2)[0]
        assert passwords.hash_password("whatever pass").rsplit("$", 2)[0] == params

    def test_checking_an_unknown_account_takes_as_long_as_a_wrong_password(self) -> None:
        stored = passwords.hash_password("correct horse battery")
        # At the suite's cheap cost a verify is ~20 us, so take the median of many runs.
        known = median_seconds(lambda: passwords.verify_password(stored, "wrong password"), 25)
        unknown = median_seconds(lambda: passwords.verify_password(None, "wrong password"), 25)
        # Skipping the hash would make it a hundred times faster; load noise is far less.
        assert unknown > known * 0.3


class TestParameters:
    def test_the_suite_hashes_at_the_cheapest_cost(self) -> None:
        assert "$m=8,t=1,p=1$" in passwords.hash_password("correct horse battery")

    def test_a_hash_made_at_another_cost_verifies_and_asks_to_be_remade(self) -> None:
        production_made = PasswordHasher().hash("correct horse battery")  # 64 MiB, 3 passes
        assert passwords.verify_password(production_made, "correct horse battery") is True
        assert passwords.verify_password(production_made, "wrong horse battery") is False
        assert passwords.needs_rehash(production_made)
        assert not passwords.needs_rehash(passwords.hash_password("correct horse battery"))

    def test_configure_switches_the_cost_and_the_dummy_hash_with_it(
        self, settings: Settings
    ) -> None:
        stronger = settings.model_copy(update={"password_hash_memory_kib": 64})
        try:
            passwords.configure(stronger)
            assert "$m=64,t=1,p=1$" in passwords.hash_password("correct horse battery")
            assert "$m=64,t=1,p=1$" in passwords.dummy_hash()
        finally:
            passwords.configure(settings)
        assert "$m=8,t=1,p=1$" in passwords.dummy_hash()


class TestPolicy:
    @pytest.mark.parametrize(
        ("password", "problem"),
        [
            ("x" * 11, "at least 12 characters"),
            ("lantern quay", None),
            ("lantern quay " * 78 + "o", None),  # 1024
            ("x" * 1025, "at most 1024 characters"),
        ],
    )
    def test_length_limits(self, password: str, problem: str | None) -> None:
        found = passwords.password_problem(password)
        assert found == problem or (problem is not None and found is not None and problem in found)

    @pytest.mark.parametrize(
        "password",
        [
            "1q2w3e4r5t6y",  # on the list as it is, 12 characters
            "QWERTY123456",  # on the list in lower case
            "Password1234",  # a common one padded to the length rule
            "!!monkey2024!!",
            "qwertyqwerty",  # a common one repeated
            "xxxxxxxxxxxx",
            "abc123abc123abc123",
        ],
    )
    def test_common_passwords_are_refused_in_plain_words(self, password: str) -> None:
        problem = passwords.password_problem(password)
        assert problem is not None and "most common" in problem, (password, problem)
        assert password not in problem  # never echoed back

    @pytest.mark.parametrize(
        "password",
        [STAFF_PASSWORD, "lantern quay 2024", "Tq8#vR2mL9pZ", "my dog walks at 7", "a1b2c3d4e5f6"],
    )
    def test_uncommon_ones_pass(self, password: str) -> None:
        assert passwords.password_problem(password) is None

    def test_the_list_is_the_shipped_file_with_thousands_of_entries(self) -> None:
        common = passwords.common_passwords()
        assert len(common) > 19_000
        assert {"123456", "password", "qwerty123456", "1q2w3e4r5t6y"} <= common
        assert passwords.COMMON_PASSWORDS_FILE.parent == Path(passwords.__file__).parent


class TestRehashOnSignIn:
    def test_a_hash_made_at_another_cost_is_remade_at_sign_in(
        self, factory: sessionmaker[Session], clock: FixedClock, settings: Settings
    ) -> None:
        _, nurse = make_clinic_with_staff(factory, now=clock.now())
        with transaction(factory) as session:
            stored = session.get(StaffUser, nurse.id)
            assert stored is not None
            stored.password_hash = PasswordHasher().hash(STAFF_PASSWORD)  # production's cost
        service.log_in(
            factory, email=nurse.email, password=STAFF_PASSWORD, now=clock.now(),
            settings=settings,
        )  # fmt: skip
        with transaction(factory) as session:
            remade = session.get(StaffUser, nurse.id)
            assert remade is not None
            assert not passwords.needs_rehash(remade.password_hash)
            assert passwords.verify_password(remade.password_hash, STAFF_PASSWORD)

    def test_a_wrong_password_leaves_the_old_hash_alone(
        self, factory: sessionmaker[Session], clock: FixedClock, settings: Settings
    ) -> None:
        _, nurse = make_clinic_with_staff(factory, now=clock.now())
        old = PasswordHasher().hash(STAFF_PASSWORD)
        with transaction(factory) as session:
            stored = session.get(StaffUser, nurse.id)
            assert stored is not None
            stored.password_hash = old
        with pytest.raises(NotAuthenticated):
            service.log_in(
                factory, email=nurse.email, password="not the password", now=clock.now(),
                settings=settings,
            )  # fmt: skip
        with transaction(factory) as session:
            assert session.get(StaffUser, nurse.id).password_hash == old  # type: ignore[union-attr]
