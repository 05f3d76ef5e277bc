"""A dispatcher SIGKILLed mid-burst: only what was in flight at that moment is sent again.

Three patients' reminders (about 150) are due at once; one patient's push service answers at
once, the other two's after SLOW_SECONDS. The worker is killed while the slow ones wait for
their answers, long after the fast ones were answered; a second worker takes over once the
lease has run out. The bound is counted at the receiver, which records a push when it
arrives and answers `latency` later, so for every push it knows when the answer left:

    duplicates <= pushes received but not yet answered at the kill (in flight)
                + pushes answered in the RECORD_WINDOW before the kill (answered, but their
                  outcomes possibly not yet written: the dispatcher writes every 50 ms)

Before outcomes were written as sends completed, the whole batch was sent again (the fast
ones too): about 150 duplicates against a bound of about 100.
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.config import Settings
from app.notifications.models import OutboxMessage, OutboxStatus
from app.notifications.vapid import VapidKeys
from tests.faults.conftest import Workers, make_due, patient_with_device, pending_rows
from tests.support.factories import make_clinic_with_staff
from tests.support.push_service import Delivery, FakePushService

SLOW_SECONDS = 4.0
# The dispatcher's flush interval (50 ms) plus time for the write itself on a loaded machine.
RECORD_WINDOW = 0.05 + 0.45


@pytest.fixture
def fast() -> Iterator[FakePushService]:
    with FakePushService() as service:
        yield service


@pytest.fixture
def slow() -> Iterator[FakePushService]:
    with FakePushService(latency=SLOW_SECONDS) as service:
        yield service


def sent(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return session.exec(
            select(func.count())
            .select_from(OutboxMessage)
            .where(col(OutboxMessage.status) == OutboxStatus.SENT)
        ).one()


def test_a_dispatcher_killed_mid_burst_sends_again_only_what_was_in_flight(
    factory: sessionmaker[Session],
    settings: Settings,
    keys: VapidKeys,
    fast: FakePushService,
    slow: FakePushService,
    workers: Workers,
) -> None:
    now = datetime.now(UTC)
    clinic, staff = make_clinic_with_staff(factory, now=now)
    rows = {}
    for name, service in (("Fast", fast), ("Slow 1", slow), ("Slow 2", slow)):
        patient_id, _ = patient_with_device(
            factory, settings, keys, service, clinic=clinic, staff=staff, name=name
        )
        rows[name] = pending_rows(factory, patient_id)
    fast_rows = len(rows["Fast"])
    total = sum(len(ids) for ids in rows.values())
    make_due(factory, [i for ids in rows.values() for i in ids], now - timedelta(seconds=1))

    doomed = workers.start(dispatch_batch_size="500", push_timeout_seconds="30")
    fast.wait_for(fast_rows, timeout=60)  # the fast ones answered ...
    deadline = time.monotonic() + 10
    while len(slow.deliveries()) < total - fast_rows:  # ... the slow ones all waiting
        assert time.monotonic() < deadline, "the slow pushes never all arrived"
        time.sleep(0.05)
    time.sleep(1.0)  # the fast outcomes have long been written, the slow ones not answered
    killed_at = time.monotonic()
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=10)

    def answered_at(delivery: Delivery, service: FakePushService) -> float:
        return delivery.received_at + service.latency

    before = [(d, fast) for d in fast.deliveries()] + [(d, slow) for d in slow.deliveries()]
    in_flight = sum(1 for d, s in before if answered_at(d, s) > killed_at)
    just_answered = sum(
        1 for d, s in before if killed_at - RECORD_WINDOW < answered_at(d, s) <= killed_at
    )
    assert in_flight > 0, "the kill came after every answer: nothing was in flight"
    assert sent(factory) >= fast_rows  # the fast ones were recorded before the kill

    slow.latency = 0.0
    workers.start()  # claims the dead worker's rows once their 5 s lease has run out
    deadline = time.monotonic() + 90
    while sent(factory) < total:
        assert time.monotonic() < deadline, f"only {sent(factory)} of {total} sent"
        time.sleep(0.2)
    time.sleep(0.5)  # anything sent more often would be on its way by now

    per_topic = Counter(d.topic for d in fast.deliveries() + slow.deliveries())
    assert len(per_topic) == total  # nothing lost
    duplicates = sum(n - 1 for n in per_topic.values())
    print(
        f"\n{total} due, {in_flight} in flight at the kill, {just_answered} answered in the "
        f"{RECORD_WINDOW:g} s before it; {duplicates} sent twice"
    )
    assert duplicates <= in_flight + just_answered
