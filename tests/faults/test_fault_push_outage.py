"""The push service down for minutes, then back: every reminder delivered once, after backoff.

The service first answers 503 with Retry-After (overloaded), then stops answering at all
(connections refused) while the pinned clock moves on; the dispatcher must wait as told, back
off exponentially, and deliver the whole backlog once the service is back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import pairwise

import pytest
from sqlalchemy import update
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.clock import FixedClock
from app.config import Settings
from app.db import transaction
from app.notifications.dispatcher import Dispatcher
from app.notifications.models import OutboxMessage, OutboxStatus, PushSubscriptionIn
from app.notifications.subscriptions import Owner, subscribe
from app.notifications.vapid import VapidKeys
from app.scheduler import build_dispatcher
from tests.support.factories import make_clinic_with_staff, make_patient
from tests.support.push_service import FakePushService

PATIENTS = 4  # about 50 reminders each
RETRY_AFTER = 120  # seconds, in the 503 answers
STEP = timedelta(seconds=10)  # how often the (pinned) scheduler ticks


@pytest.fixture
def flaky_push() -> Iterator[FakePushService]:
    """A push service of this test's own: it is stopped and started again."""
    with FakePushService() as service:
        yield service


@pytest.fixture
def backlog(
    factory: sessionmaker[Session],
    clock: FixedClock,
    settings: Settings,
    flaky_push: FakePushService,
    keys: VapidKeys,
) -> int:
    """Patients in London (awake at the pinned noon), one device each, every reminder due now
    and useful for six hours; how many rows."""
    now = clock.now()
    clinic, staff = make_clinic_with_staff(factory, now=now)
    for n in range(PATIENTS):
        patient, _ = make_patient(
            factory, clinic=clinic, staff=staff, now=now, settings=settings, name=f"Patient {n}"
        )
        with transaction(factory) as session:
            subscribe(
                session,
                owner=Owner(patient_id=patient.id),
                data=PushSubscriptionIn.model_validate(flaky_push.subscribe().to_json()),
                key_id=keys.key_id,
                now=now,
                settings=settings,
            )
    with transaction(factory) as session:
        session.execute(
            update(OutboxMessage).values(
                due_at=now, next_attempt_at=now, expires_at=now + timedelta(hours=6)
            )
        )
        count = len(session.exec(select(OutboxMessage.id)).all())
    assert count >= 150
    return count


@pytest.fixture
def dispatcher(
    settings: Settings, factory: sessionmaker[Session], clock: FixedClock, keys: VapidKeys
) -> Iterator[Dispatcher]:
    made = build_dispatcher(
        settings.model_copy(update={"push_timeout_seconds": 2.0}),
        session_factory=factory,
        clock=clock,
        keys=keys,
    )
    yield made
    made.close()


class Attempts:
    """When (pinned clock) each row was tried, read from its attempt counter after each tick."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory
        self.seen: dict[int, int] = {}
        self.at: dict[int, list[datetime]] = {}

    def tick(self, dispatcher: Dispatcher, clock: FixedClock) -> Counter[str]:
        dispatcher.run_once()
        with self.factory() as session:
            rows = session.exec(
                select(OutboxMessage.id, OutboxMessage.attempts, OutboxMessage.status)
            ).all()
        for row_id, attempts, _ in rows:
            if attempts != self.seen.get(row_id, 0):
                assert attempts == self.seen.get(row_id, 0) + 1, "tried twice in one tick"
                self.seen[row_id] = attempts
                self.at.setdefault(row_id, []).append(clock.now())
        clock.advance(STEP)
        return Counter(status for _, _, status in rows)

    def run_until(self, dispatcher: Dispatcher, clock: FixedClock, until: datetime) -> None:
        while clock.now() < until:
            self.tick(dispatcher, clock)

    def gaps(self, row_id: int) -> list[float]:
        times = self.at[row_id]
        return [(b - a).total_seconds() for a, b in pairwise(times)]


def test_minutes_of_503_then_refused_connections_then_everything_arrives_once(
    backlog: int,
    dispatcher: Dispatcher,
    flaky_push: FakePushService,
    clock: FixedClock,
    factory: sessionmaker[Session],
) -> None:
    start = clock.now()
    attempts = Attempts(factory)

    # Minutes 0-4: overloaded, "come back in two minutes".
    flaky_push.respond_with(503, retry_after=RETRY_AFTER)
    attempts.run_until(dispatcher, clock, start + timedelta(minutes=4))
    assert flaky_push.request_count == 2 * backlog  # at 0 and 2 minutes, never in between
    assert flaky_push.deliveries() == []

    # Minutes 4-12: gone, every connection refused.
    flaky_push.stop()
    attempts.run_until(dispatcher, clock, start + timedelta(minutes=12))
    with factory() as session:
        waiting = session.exec(select(OutboxMessage.status, OutboxMessage.last_error)).all()
    assert {status for status, _ in waiting} == {OutboxStatus.PENDING}  # none given up

    # Back: the backlog drains without anyone's help.
    flaky_push.reset()
    flaky_push.clear()
    flaky_push.start()
    statuses: Counter[str] = Counter()
    while statuses[OutboxStatus.SENT] < backlog:
        assert clock.now() < start + timedelta(hours=1), f"still not sent: {statuses}"
        statuses = attempts.tick(dispatcher, clock)
    per_topic = Counter(d.topic for d in flaky_push.deliveries())
    assert len(per_topic) == backlog
    assert set(per_topic.values()) == {1}
    assert flaky_push.request_count == backlog  # once back, each went out on its first try

    for row_id in attempts.at:
        gaps = attempts.gaps(row_id)
        # Retry-After honoured: two 503s, each followed by the wait the service asked for.
        assert gaps[:2] == [RETRY_AFTER, RETRY_AFTER]
        # Then no answer at all: waits grow (30 s doubling, ±20 % jitter, 10 s ticks).
        refused = gaps[2:]
        assert len(refused) >= 3, gaps
        assert all(later > earlier for earlier, later in pairwise(refused))
        assert refused[-1] >= 2 * refused[0], gaps
    jittered = {tuple(attempts.at[row_id]) for row_id in attempts.at}
    assert len(jittered) > 1  # retries spread out, not all rows at the same instant
