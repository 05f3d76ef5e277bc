"""Authentication hardening: strong secrets stored as hashes, single use, limits, no oracle."""

from __future__ import annotations

import ast
import base64
import re
import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, SQLModel

from app.api.cookies import PATIENT_COOKIE, STAFF_COOKIE
from app.clock import FixedClock
from app.config import Settings
from app.db import make_engine, transaction
from app.main import create_app
from app.shared.tokens import hash_token
from app.staff.models import StaffRole
from app.staff.totp import code_at
from tests.support.actors import _staff
from tests.support.api import enrol, log_in, sign_in_staff, turn_on_totp
from tests.support.factories import STAFF_PASSWORD, make_clinic_with_staff, make_patient

APP_DIR = Path(__file__).resolve().parents[2] / "app"
BASE64URL = re.compile(r"^[A-Za-z0-9_-]+$")
MIN_BITS = 128


def decoded(token: str) -> bytes:
    assert BASE64URL.match(token), token
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def every_stored_value(engine: Engine) -> str:
    """Every column of every row of every table, as one text to search."""
    values: list[str] = []
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for row in connection.execute(sa_select(table)):
                values += [str(value) for value in row]
    return "\n".join(values)


def one_bits(blobs: list[bytes]) -> float:
    data = b"".join(blobs)
    return sum(bin(byte).count("1") for byte in data) / (8 * len(data))


@pytest.fixture
def second_instance(
    settings: Settings, clock: FixedClock, database_url: str
) -> Iterator[TestClient]:
    """Another server process on the same database: its own app, engine and connections."""
    engine = make_engine(database_url)
    try:
        with TestClient(create_app(settings, clock=clock, engine=engine)) as client:
            yield client
    finally:
        engine.dispose()


class TestSecrets:
    """Enrolment codes and session ids: >= 128 bits from a CSPRNG, only their hashes stored."""

    def test_enrolment_codes_are_long_random_and_unrepeated(self, staff: TestClient) -> None:
        patient = enrol(staff)
        codes = [patient["enrolment"]["code"]]
        for _ in range(40):
            reissued = staff.post(f"/api/patients/{patient['id']}/enrolment")
            codes.append(reissued.json()["code"])
        blobs = [decoded(code) for code in codes]
        assert min(len(blob) for blob in blobs) * 8 >= MIN_BITS
        assert len(set(codes)) == len(codes)
        assert 0.45 < one_bits(blobs) < 0.55  # a fixed or patterned source would drift
        # The code travels in the URL fragment: browsers never send it to a server or a log.
        url = reissued.json()["url"]
        assert url.index("#") < url.index(codes[-1])

    def test_session_ids_are_long_and_random(
        self, app: FastAPI, staff: TestClient, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        tokens = [staff.cookies[STAFF_COOKIE]]
        for _ in range(3):
            with TestClient(app) as browser:
                log_in(browser)
                tokens.append(browser.cookies[STAFF_COOKIE])
        patient = enrol(staff)["id"]
        for _ in range(10):
            code = staff.post(f"/api/patients/{patient}/enrolment").json()["code"]
            with TestClient(app) as phone:
                assert phone.post("/api/enrol", json={"code": code}).status_code == 200
                tokens.append(phone.cookies[PATIENT_COOKIE])
        blobs = [decoded(token) for token in tokens]
        assert min(len(blob) for blob in blobs) * 8 >= MIN_BITS
        assert len(set(tokens)) == len(tokens)
        assert 0.4 < one_bits(blobs) < 0.6

    def test_the_database_holds_hashes_never_the_secrets(
        self, staff: TestClient, phone: TestClient, engine: Engine
    ) -> None:
        created = enrol(staff)
        first_code = created["enrolment"]["code"]
        assert phone.post("/api/enrol", json={"code": first_code}).status_code == 200
        unused_code = staff.post(f"/api/patients/{created['id']}/enrolment").json()["code"]
        raw = {
            "used enrolment code": first_code,
            "unused enrolment code": unused_code,
            "staff session": staff.cookies[STAFF_COOKIE],
            "device session": phone.cookies[PATIENT_COOKIE],
        }
        stored = every_stored_value(engine)
        assert [name for name, value in raw.items() if value in stored] == []
        # Searched in the right place: each secret's hash is there.
        assert [name for name, value in raw.items() if hash_token(value) not in stored] == []
        assert STAFF_PASSWORD not in stored
        assert "$argon2id$" in stored

    def test_the_predictable_random_is_only_used_for_jitter(self) -> None:
        users = []
        for path in APP_DIR.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = (
                    [a.name for a in node.names] if isinstance(node, ast.Import)
                    else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                )  # fmt: skip
                if "random" in names:
                    users.append(str(path.relative_to(APP_DIR)))
        # Jitter spreads retries; it guards nothing. Anything else needs a reason here.
        assert users == ["notifications/outcome.py"], "secrets come from `secrets`"
        assert "secrets.token_urlsafe" in (APP_DIR / "shared" / "tokens.py").read_text()


class TestSingleUseEnrolment:
    def test_twenty_phones_at_once_one_wins(
        self, app: FastAPI, second_instance: TestClient,
        factory: sessionmaker[Session], clock: FixedClock, settings: Settings,
    ) -> None:  # fmt: skip
        clinic, staff = make_clinic_with_staff(factory, now=clock.now())
        patient, link = make_patient(
            factory, clinic=clinic, staff=staff, now=clock.now(), settings=settings
        )
        other_app = second_instance.app
        assert isinstance(other_app, FastAPI)
        # The two apps share the module-level routers, whose parameter models FastAPI builds on
        # an app's first request; both apps' first requests at once race on them (pydantic warns
        # of a stray alias). One request each first, as two real servers would have had by then.
        for instance in (app, other_app):
            with TestClient(instance) as warm_up:
                assert warm_up.get("/api/no-such-route").status_code == 404
        start = threading.Barrier(20)
        answers: Counter[tuple[int, str]] = Counter()
        tokens: list[str] = []
        lock = threading.Lock()

        def redeem(n: int) -> None:
            # Half the phones reach one instance, half the other; each its own address.
            with TestClient((app, other_app)[n % 2], client=(f"198.51.100.{n}", 1)) as phone:
                start.wait()
                response = phone.post("/api/enrol", json={"code": link.code})
            with lock:
                answers[(response.status_code, response.json().get("code", "ok"))] += 1
                if PATIENT_COOKIE in phone.cookies:
                    tokens.append(phone.cookies[PATIENT_COOKIE])

        threads = [threading.Thread(target=redeem, args=(n,)) for n in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert answers == Counter({(200, "ok"): 1, (410, "link_used"): 19})
        assert len(tokens) == 1
        stored = every_stored_value(other_app.state.engine)
        assert stored.count(str(patient.id)) >= 1 and hash_token(tokens[0]) in stored


class TestRateLimitsAcrossInstances:
    """Login and enrolment across two instances: tests/ratelimit/test_ratelimit_guard.py
    (TestSharedByInstances, TestEnrolment). The TOTP step is here."""

    def test_wrong_totp_codes_on_two_instances_add_up(
        self, client: TestClient, second_instance: TestClient,
        factory: sessionmaker[Session], clock: FixedClock,
    ) -> None:  # fmt: skip
        sign_in_staff(client, factory, now=clock.now(), role=StaffRole.ADMIN)
        secret = turn_on_totp(client, now=clock.now())
        client.post("/api/auth/logout")
        clock.advance(timedelta(seconds=30))
        right = code_at(secret, clock.now())
        wrong = f"{(int(right) + 1) % 1_000_000:06d}"
        for browser in (client, second_instance):
            log_in(browser)  # password right: a pending session on each instance
        for browser in (client, second_instance, client, second_instance, client):
            answer = browser.post("/api/auth/login/totp", json={"code": wrong})
            assert answer.status_code == 401, answer.text
        for browser in (client, second_instance):
            refused = browser.post("/api/auth/login/totp", json={"code": right})
            assert (refused.status_code, refused.json()["code"]) == (429, "too_many_attempts")


class TestNoAccountOracle:
    """An unknown address, a wrong password and a disabled account read and time the same."""

    @pytest.fixture
    def generous(
        self, settings: Settings, clock: FixedClock, engine: Engine
    ) -> Iterator[TestClient]:
        # Limits out of the way: this measures the answers, not the lock-out.
        roomy = settings.model_copy(
            update={"login_failures_per_account_client": 1000, "login_failures_per_ip": 1000}
        )
        with TestClient(create_app(roomy, clock=clock, engine=engine)) as client:
            yield client

    @pytest.fixture
    def known(self, factory: sessionmaker[Session], clock: FixedClock) -> str:
        clinic, _ = make_clinic_with_staff(factory, now=clock.now())
        with transaction(factory) as session:
            gone = _staff(
                session, clinic_id=clinic.id, email="gone@riverside.example",
                role=StaffRole.CLINICIAN, now=clock.now(),
            )  # fmt: skip
            gone.disabled_at = clock.now()
        return "nurse@riverside.example"

    def attempt(self, client: TestClient, email: str, password: str) -> tuple[float, Any]:
        started = time.perf_counter()
        response = client.post("/api/auth/login", json={"email": email, "password": password})
        elapsed = time.perf_counter() - started
        headers = {k: v for k, v in response.headers.items() if k not in ("date", "content-length")}
        return elapsed, (response.status_code, response.json(), headers)

    def test_same_answer(self, generous: TestClient, known: str) -> None:
        tries = [
            (known, "not the password"),
            ("nobody@riverside.example", "not the password"),
            ("nobody@riverside.example", STAFF_PASSWORD),
            ("gone@riverside.example", STAFF_PASSWORD),
        ]
        answers = {repr(self.attempt(generous, email, password)[1]) for email, password in tries}
        assert len(answers) == 1, answers
        assert "wrong_credentials" in answers.pop()
        assert STAFF_COOKIE not in generous.cookies

    def test_similar_time(self, generous: TestClient, known: str) -> None:
        known_times, unknown_times = [], []
        self.attempt(generous, known, "warm up")
        for n in range(10):  # interleaved, so load on the machine falls on both alike
            known_times.append(self.attempt(generous, known, f"wrong {n}")[0])
            unknown_times.append(self.attempt(generous, f"nobody{n}@x.example", f"wrong {n}")[0])
        ratio = statistics.median(unknown_times) / statistics.median(known_times)
        assert 0.5 <= ratio <= 2.0, (ratio, known_times, unknown_times)
