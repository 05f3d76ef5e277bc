"""An endpoint that takes a push and never answers holds up only that push: a reminder that
falls due while it hangs goes out on time, not after the 10 s timeout."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.config import Settings
from app.notifications.vapid import VapidKeys
from tests.faults.conftest import Workers, make_due, patient_with_device, pending_rows
from tests.support.factories import make_clinic_with_staff
from tests.support.push_service import FakePushService

ON_TIME_SECONDS = 2.0  # the worker looks for due rows every 0.2 s


def test_a_hanging_endpoint_does_not_delay_the_next_due_reminder(
    factory: sessionmaker[Session],
    settings: Settings,
    keys: VapidKeys,
    push: FakePushService,
    workers: Workers,
) -> None:
    now = datetime.now(UTC)
    clinic, staff = make_clinic_with_staff(factory, now=now)
    hung_patient, hung = patient_with_device(
        factory, settings, keys, push, clinic=clinic, staff=staff, name="Hung"
    )
    other_patient, other = patient_with_device(
        factory, settings, keys, push, clinic=clinic, staff=staff, name="Other"
    )
    later = now + timedelta(days=1)  # everything else out of the way
    make_due(factory, pending_rows(factory, hung_patient)[1:], later)
    make_due(factory, pending_rows(factory, other_patient), later)
    push.hang(endpoint_id=hung.id)  # accepts the connection and the push, never answers
    make_due(factory, pending_rows(factory, hung_patient)[:1], now - timedelta(seconds=1))

    workers.start(push_timeout_seconds="10", dispatch_lease_seconds="60")
    deadline = time.monotonic() + 60
    while push.request_count == 0:  # the hanging push is on the wire
        assert time.monotonic() < deadline, "the worker never sent the first push"
        time.sleep(0.05)

    due = datetime.now(UTC) + timedelta(seconds=1)
    make_due(factory, pending_rows(factory, other_patient)[:1], due)
    [delivery] = push.wait_for(1, timeout=20, subscription_id=other.id)
    late = (delivery.received_wall - due).total_seconds()
    print(f"\nthe reminder due during the hang arrived {late:.2f} s after it was due")
    assert late <= ON_TIME_SECONDS
    assert push.deliveries(hung.id) == []  # still hanging: it was never answered
