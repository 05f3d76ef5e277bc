"""The guard around an attempt: refuse over the limit, count failures past the rollback."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.clinics.models import Clinic
from app.clock import FixedClock
from app.config import Settings
from app.db import make_engine, transaction
from app.errors import AppError, Conflict, NotFound, TooManyRequests
from app.main import create_app
from app.ratelimit import service
from app.ratelimit.guard import failures_counted
from app.ratelimit.models import RateLimitHit
from tests.support.factories import STAFF_PASSWORD, make_clinic_with_staff, make_patient

LIMIT = service.Limit("enrol_ip", 2, timedelta(minutes=15))
EMAIL = "nurse@riverside.example"


def hit_count(factory: sessionmaker[Session]) -> int:
    with transaction(factory) as session:
        return len(session.exec(select(RateLimitHit)).all())


def attempt(
    factory: sessionmaker[Session],
    clock: FixedClock,
    counts: Mapping[type[AppError], Sequence[service.Counted]],
    work: Callable[[Session], None],
) -> None:
    """`work` in a request-like transaction, guarded as a route guards its attempt."""
    with transaction(factory) as session, failures_counted(session, factory, clock.now(), counts):
        work(session)


class TestFailuresCounted:
    def test_a_counted_failure_outlives_the_rollback_of_the_work(
        self, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        item = service.counted(LIMIT, "ip")

        def half_made_then_fail(session: Session) -> None:
            session.add(Clinic(name="Half-made", created_at=clock.now()))
            session.flush()
            raise NotFound("no such code")

        with pytest.raises(NotFound):
            attempt(factory, clock, {NotFound: [item]}, half_made_then_fail)
        assert hit_count(factory) == 1
        with transaction(factory) as session:
            assert session.exec(select(Clinic)).all() == []  # the work itself is undone

    def test_over_the_limit_the_attempt_is_not_made(
        self, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        item = service.counted(LIMIT, "ip")
        service.record_failure(factory, [item, item], clock.now())
        attempted: list[bool] = []
        with pytest.raises(TooManyRequests):
            attempt(factory, clock, {NotFound: [item]}, lambda _: attempted.append(True))
        assert attempted == []
        assert hit_count(factory) == 2  # a refusal is not itself a failure

    def test_success_and_other_errors_are_not_counted(
        self, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        item = service.counted(LIMIT, "ip")

        def conflict(_: Session) -> None:
            raise Conflict("not a guess")

        attempt(factory, clock, {NotFound: [item]}, lambda _: None)
        with pytest.raises(Conflict):
            attempt(factory, clock, {NotFound: [item]}, conflict)
        assert hit_count(factory) == 0

    def test_a_key_listed_under_two_errors_counts_once(
        self, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        item = service.counted(LIMIT, "ip")

        def not_found(_: Session) -> None:
            raise NotFound("no such code")

        with pytest.raises(NotFound):
            attempt(factory, clock, {NotFound: [item], AppError: [item]}, not_found)
        assert hit_count(factory) == 1


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


class TestSharedByInstances:
    def test_login_failures_on_two_instances_add_up(
        self, client: TestClient, second_instance: TestClient,
        factory: sessionmaker[Session], clock: FixedClock,
    ) -> None:  # fmt: skip
        make_clinic_with_staff(factory, now=clock.now())
        wrong = {"email": EMAIL, "password": "not the password"}
        for browser in (client, second_instance, client, second_instance, client):
            assert browser.post("/api/auth/login", json=wrong).status_code == 401
        right = {"email": EMAIL, "password": STAFF_PASSWORD}
        for browser in (client, second_instance):
            refused = browser.post("/api/auth/login", json=right)
            assert (refused.status_code, refused.json()["code"]) == (429, "too_many_attempts")

    def test_the_instance_is_really_separate(
        self, app: FastAPI, second_instance: TestClient, engine: Engine
    ) -> None:
        other = second_instance.app
        assert isinstance(other, FastAPI) and other is not app
        assert other.state.engine is not engine
        assert other.state.session_factory is not app.state.session_factory


class TestEnrolment:
    @pytest.fixture
    def code(self, factory: sessionmaker[Session], clock: FixedClock, settings: Settings) -> str:
        clinic, staff = make_clinic_with_staff(factory, now=clock.now())
        _, link = make_patient(
            factory, clinic=clinic, staff=staff, now=clock.now(), settings=settings
        )
        return link.code

    def test_twenty_bad_codes_from_an_address_lock_it_out(
        self, app: FastAPI, code: str, clock: FixedClock
    ) -> None:
        with TestClient(app) as guesser, TestClient(app, client=("203.0.113.5", 1)) as phone:
            for n in range(20):
                response = guesser.post("/api/enrol", json={"code": f"guess-{n:04d}-abcdefgh"})
                assert response.status_code == 404, response.text
            refused = guesser.post("/api/enrol", json={"code": code})
            assert (refused.status_code, refused.json()["code"]) == (429, "too_many_attempts")
            assert 0 < int(refused.headers["retry-after"]) <= 15 * 60
            assert phone.post("/api/enrol", json={"code": code}).status_code == 200
            # The used code is now a failure too (410), counted against the phone's address.
            assert phone.post("/api/enrol", json={"code": code}).status_code == 410
            clock.advance(timedelta(minutes=15))
            assert guesser.post("/api/enrol", json={"code": code}).status_code == 410
