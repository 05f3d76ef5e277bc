"""Login limits an attacker cannot turn against a clinician, that hold under parallel attempts,
and a cap on password checks in flight (docs/security/login.md)."""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.clock import FixedClock
from app.config import Settings
from app.db import transaction
from app.main import create_app
from app.ratelimit.models import RateLimitHit
from app.staff import passwords
from app.staff.models import StaffRole, StaffUser
from app.staff.totp import code_at
from tests.support.api import sign_in_staff, turn_on_totp
from tests.support.factories import STAFF_PASSWORD, make_clinic_with_staff

EMAIL = "nurse@riverside.example"
RIGHT = {"email": EMAIL, "password": STAFF_PASSWORD}
WRONG = {"email": EMAIL, "password": "not the password at all"}
CLINICIAN_DESK = ("198.51.100.10", 1)


def at_once(count: int, attempt: Callable[[int], tuple[int, str]]) -> Counter[tuple[int, str]]:
    """Run `attempt(n)` in `count` threads released together; their answers, counted."""
    start = threading.Barrier(count)
    answers: Counter[tuple[int, str]] = Counter()
    lock = threading.Lock()

    def run(n: int) -> None:
        start.wait()
        answer = attempt(n)
        with lock:
            answers[answer] += 1

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def answer(response: object) -> tuple[int, str]:
    status = response.status_code  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    return status, body.get("code", "ok") if isinstance(body, dict) else "ok"


def stored_hits(factory: sessionmaker[Session]) -> list[RateLimitHit]:
    with transaction(factory) as session:
        return list(session.exec(select(RateLimitHit)).all())


def warm_up(app: FastAPI) -> None:
    # FastAPI builds a route's parameter models on an app's first request; concurrent first
    # requests race on them (pydantic warns). One request first, as a real server has had.
    with TestClient(app) as browser:
        assert browser.get("/api/no-such-route").status_code == 404


class TestNoLockoutFromAfar:
    def test_a_hundred_wrong_passwords_from_elsewhere_do_not_refuse_the_clinician(
        self, app: FastAPI, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        make_clinic_with_staff(factory, now=clock.now())
        # An attacker on 20 addresses, 5 guesses each (each address's own free ones).
        for n in range(20):
            with TestClient(app, client=(f"203.0.113.{n}", 1)) as attacker:
                for _ in range(5):
                    assert attacker.post("/api/auth/login", json=WRONG).status_code == 401
                assert attacker.post("/api/auth/login", json=RIGHT).status_code == 429
        with TestClient(app, client=CLINICIAN_DESK) as clinician:
            signed_in = clinician.post("/api/auth/login", json=RIGHT)
            assert signed_in.status_code == 200, signed_in.text

    def test_the_clinician_s_own_typos_are_not_refused_elsewhere_either(
        self, app: FastAPI, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        make_clinic_with_staff(factory, now=clock.now())
        with TestClient(app, client=("203.0.113.50", 1)) as shared_computer:
            for _ in range(12):  # well past the free ones, each after the wait it was given
                clock.advance(timedelta(minutes=15))
                assert shared_computer.post("/api/auth/login", json=WRONG).status_code == 401
            assert shared_computer.post("/api/auth/login", json=RIGHT).status_code == 429
        with TestClient(app, client=CLINICIAN_DESK) as clinician:
            assert clinician.post("/api/auth/login", json=RIGHT).status_code == 200

    def test_an_ipv6_client_cannot_dodge_the_wait_by_changing_its_address(
        self, app: FastAPI, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        make_clinic_with_staff(factory, now=clock.now())
        for n in range(5):
            with TestClient(app, client=(f"2001:db8:7:7::{n + 1:x}", 1)) as attacker:
                assert attacker.post("/api/auth/login", json=WRONG).status_code == 401
        with TestClient(app, client=("2001:db8:7:7:ffff::1", 1)) as same_network:
            assert same_network.post("/api/auth/login", json=RIGHT).status_code == 429
        with TestClient(app, client=("2001:db8:7:8::1", 1)) as another_network:
            assert another_network.post("/api/auth/login", json=RIGHT).status_code == 200


class TestParallelAttempts:
    """Attempts made at once: no more passwords are checked than the limit allows.

    The old check-then-record guard let every attempt that started before the first failure
    was written through (10, 20, 19 of 10/25/50 on PostgreSQL against a limit of 5)."""

    @pytest.fixture
    def roomy_ip(self, settings: Settings, clock: FixedClock, engine: Engine) -> FastAPI:
        # Only the per-(account, client) limit in play: 5 free wrong passwords.
        app = create_app(
            settings.model_copy(update={"login_failures_per_ip": 10_000}),
            clock=clock,
            engine=engine,
        )
        warm_up(app)
        return app

    def test_fifty_wrong_passwords_at_once_check_at_most_five(
        self, roomy_ip: FastAPI, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        make_clinic_with_staff(factory, now=clock.now())
        before = passwords.checks.made

        def guess(n: int) -> tuple[int, str]:
            wrong = {"email": EMAIL, "password": f"guess number {n:03d}"}
            with TestClient(roomy_ip, client=("203.0.113.77", 1)) as attacker:
                return answer(attacker.post("/api/auth/login", json=wrong))

        answers = at_once(50, guess)
        checked = passwords.checks.made - before  # argon2 verifications really made
        assert set(answers) <= {(401, "wrong_credentials"), (429, "too_many_attempts")}, answers
        assert 1 <= answers[(401, "wrong_credentials")] <= 5, answers
        assert checked == answers[(401, "wrong_credentials")], (checked, answers)
        # The refused ones left nothing behind; the failures are the stored rows.
        failures = [h for h in stored_hits(factory) if h.scope == "login_account_client"]
        assert len(failures) == answers[(401, "wrong_credentials")]

    def test_fifty_wrong_totp_codes_at_once_check_at_most_five(
        self, client: TestClient, roomy_ip: FastAPI,
        factory: sessionmaker[Session], clock: FixedClock,
    ) -> None:  # fmt: skip
        sign_in_staff(client, factory, now=clock.now(), role=StaffRole.ADMIN)
        secret = turn_on_totp(client, now=clock.now())
        clock.advance(timedelta(seconds=30))
        right = code_at(secret, clock.now())
        wrong = f"{(int(right) + 1) % 1_000_000:06d}"
        browsers = []
        try:
            for n in range(50):  # each its own pending session, from its own address
                browser = TestClient(roomy_ip, client=(f"198.51.100.{n + 1}", 1))
                browser.__enter__()
                browsers.append(browser)
                assert browser.post("/api/auth/login", json=RIGHT).status_code == 200
            answers = at_once(
                50,
                lambda n: answer(browsers[n].post("/api/auth/login/totp", json={"code": wrong})),
            )
        finally:
            for browser in browsers:
                browser.__exit__(None, None, None)
        assert set(answers) <= {(401, "wrong_code"), (429, "too_many_attempts")}, answers
        assert 1 <= answers[(401, "wrong_code")] <= 5, answers


class TestPasswordChecksInFlight:
    @pytest.fixture
    def one_slot(self, settings: Settings, clock: FixedClock, engine: Engine) -> Iterator[FastAPI]:
        app = create_app(
            settings.model_copy(update={"password_checks_in_flight": 1}), clock=clock, engine=engine
        )
        yield app
        passwords.configure(settings)  # the process's slots back to the suite's size

    def test_with_every_slot_taken_a_login_is_503_busy_and_not_counted(
        self, one_slot: FastAPI, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        make_clinic_with_staff(factory, now=clock.now())
        assert passwords.checks.size == 1
        with TestClient(one_slot) as browser:
            with passwords.checks.slot():  # another check is running
                busy = browser.post("/api/auth/login", json=RIGHT)
            assert (busy.status_code, busy.json()["code"]) == (503, "busy")
            assert busy.headers["retry-after"] == "1"
            assert "set-cookie" not in busy.headers
            assert stored_hits(factory) == []  # its reservation is gone: it checked nothing
            assert browser.post("/api/auth/login", json=RIGHT).status_code == 200

    def test_real_parallel_logins_never_run_more_checks_than_the_slots(
        self, settings: Settings, clock: FixedClock, engine: Engine,
        factory: sessionmaker[Session],
    ) -> None:  # fmt: skip
        app = create_app(
            settings.model_copy(update={"password_checks_in_flight": 2}), clock=clock, engine=engine
        )
        try:
            warm_up(app)
            _, nurse = make_clinic_with_staff(factory, now=clock.now())
            with transaction(factory) as session:
                stored = session.get(StaffUser, nurse.id)
                assert stored is not None
                # A hash that costs a real check (~30-100 ms here): checks overlap for real.
                hasher = PasswordHasher(time_cost=2, memory_cost=32768, parallelism=1)
                stored.password_hash = hasher.hash(STAFF_PASSWORD)
            started = time.perf_counter()
            hasher.verify(stored.password_hash, STAFF_PASSWORD)
            one_check = time.perf_counter() - started
            # Enough logins that two slots need well over the second a check may wait.
            logins = min(80, math.ceil(2 * 3 * passwords.CHECK_SLOT_WAIT_SECONDS / one_check) + 4)
            slots = passwords.checks
            assert slots.size == 2

            def log_in(n: int) -> tuple[int, str]:
                with TestClient(app, client=(f"192.0.2.{n + 1}", 1)) as browser:
                    return answer(browser.post("/api/auth/login", json=RIGHT))

            answers = at_once(logins, log_in)
            assert set(answers) <= {(200, "ok"), (503, "busy")}, answers
            assert slots.peak == 2  # full, and never more
            # Whether some wait past the second depends on the machine (on SQLite the
            # reservations' writes space the checks out); each refusal is a 503, none else.
            assert answers[(503, "busy")] == slots.refused, answers
            assert answers[(200, "ok")] >= 2
        finally:
            passwords.configure(settings)
