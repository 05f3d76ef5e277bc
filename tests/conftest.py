"""Shared fixtures: one migrated database per run, emptied after each test; a pinned clock."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.clinics.models import Clinic
from app.clock import FixedClock
from app.config import Settings
from app.db import make_engine, session_factory
from app.main import create_app
from app.migrate import upgrade_to_head
from app.patients.models import Patient
from app.staff import passwords, totp_secrets
from app.staff.models import StaffUser
from tests.support.api import enrol, log_in, pair_phone, sign_in_staff
from tests.support.database import empty_all_tables, throwaway_database
from tests.support.factories import make_clinic_with_staff, make_patient
from tests.support.hashing import CHEAP_PASSWORD_HASHING
from tests.support.sms_gateway import LoopbackSmsGateway
from tests.support.smtp_server import LoopbackSmtp

# Friday 27 March 2026, 12:00 UTC: the week the UK clocks go forward (Sunday 29 March).
PINNED_NOW = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)


def pytest_configure(config: pytest.Config) -> None:
    # Password hashing was ~40 % of the suite's time at production cost. Cheap from the start,
    # so tests that build accounts before any app exists hash cheaply too.
    os.environ.update(CHEAP_PASSWORD_HASHING)
    # Most tests sign staff in to test something else: no role needs a second factor unless a
    # test says so (tests/support/second_factor.py; tests/security/test_security_required_...).
    os.environ["AFTERCARE_TOTP_REQUIRED_ROLES"] = ""
    passwords.configure(Settings(_env_file=None))  # type: ignore[call-arg]
    # TOTP seeds are sealed: a key for tests that set up a factor before any app exists.
    totp_secrets.use_key(os.urandom(64))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with throwaway_database(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def _empty_tables_after_test(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "engine" in request.fixturenames:
        empty_all_tables(request.getfixturevalue("engine"))


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(PINNED_NOW)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        database_url=database_url,
        public_url="http://testserver",
        vapid_private_key_file=tmp_path / "vapid.pem",
        # Tests drive the dispatcher themselves, with the pinned clock.
        dispatcher_enabled=False,
        # Every patient text must change in the pseudo-locales (tests/i18n).
        pseudo_locales=True,
        _env_file=None,
    )


@pytest.fixture
def app(settings: Settings, clock: FixedClock, engine: Engine) -> FastAPI:
    return create_app(settings, clock=clock, engine=engine)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A browser; staff tests sign it in."""
    with TestClient(app) as client:
        yield client


@pytest.fixture
def phone(app: FastAPI) -> Iterator[TestClient]:
    """A second browser: the patient's phone, with its own cookies."""
    with TestClient(app) as phone:
        yield phone


@pytest.fixture
def staff(client: TestClient, factory: sessionmaker[Session], clock: FixedClock) -> TestClient:
    """The browser, signed in as a clinician of Riverside Vein Clinic."""
    sign_in_staff(client, factory, now=clock.now())
    return client


@pytest.fixture
def me(staff: TestClient, phone: TestClient) -> TestClient:
    """The patient's phone, paired: Ada, treated 10:00 Fri 27 Mar 2026 in London."""
    pair_phone(phone, enrol(staff)["enrolment"]["code"])
    return phone


@pytest.fixture
def patient(factory: sessionmaker[Session], clock: FixedClock, settings: Settings) -> Patient:
    """A patient treated 10:00 Fri 27 Mar 2026 in London, enrolled at the pinned now."""
    clinic, staff_user = make_clinic_with_staff(factory, now=clock.now())
    treated = datetime(2026, 3, 27, 10, 0, tzinfo=UTC)
    enrolled, _ = make_patient(
        factory, clinic=clinic, staff=staff_user, now=clock.now(), settings=settings,
        treatment={"performed_at": treated.isoformat()},
    )  # fmt: skip
    return enrolled


@pytest.fixture
def riverside(client: TestClient, factory: sessionmaker[Session]) -> tuple[Clinic, StaffUser]:
    """Riverside Vein Clinic and its clinician (made 1 Jan 2026), signed in on `client`."""
    clinic, nurse = make_clinic_with_staff(factory, now=datetime(2026, 1, 1, 9, 0, tzinfo=UTC))
    log_in(client)
    return clinic, nurse


# --- the real SMTP server and SMS gateway on loopback (e-mail and SMS tests) -----------------


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[LoopbackSmtp]:
    with LoopbackSmtp() as server:
        yield server


@pytest.fixture
def smtp(smtp_server: LoopbackSmtp) -> Iterator[LoopbackSmtp]:
    smtp_server.reset()
    yield smtp_server
    smtp_server.reset()


@pytest.fixture(scope="session")
def sms_gateway() -> Iterator[LoopbackSmsGateway]:
    with LoopbackSmsGateway() as gateway:
        yield gateway


@pytest.fixture
def sms(sms_gateway: LoopbackSmsGateway) -> Iterator[LoopbackSmsGateway]:
    sms_gateway.reset()
    yield sms_gateway
    sms_gateway.reset()
