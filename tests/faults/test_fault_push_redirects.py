"""A push endpoint that answers 307 to another listener: nothing is posted on, nothing is sent.

Followed, the redirect took the encrypted reminder to whatever the Location named, which
answered 201, and the reminder was marked sent though no phone was reached.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.clock import FixedClock
from app.config import Settings
from app.db import transaction
from app.notifications.models import OutboxMessage, OutboxStatus, PushSubscriptionIn
from app.notifications.subscriptions import Owner, subscribe
from app.notifications.vapid import VapidKeys
from app.scheduler import build_dispatcher
from tests.support.factories import make_clinic_with_staff, make_patient
from tests.support.http_listener import ScriptedListener
from tests.support.push_service import FakePushService


@pytest.fixture
def elsewhere() -> Iterator[ScriptedListener]:
    """Where the redirect points: it takes anything (201), as an attacker's listener would."""
    with ScriptedListener(201) as listener:
        yield listener


@pytest.fixture
def redirecting(elsewhere: ScriptedListener) -> Iterator[ScriptedListener]:
    with ScriptedListener(307, {"Location": f"{elsewhere.origin}/push/taken"}) as listener:
        yield listener


def test_a_redirecting_push_service_leaves_the_reminders_unsent(
    factory: sessionmaker[Session],
    clock: FixedClock,
    settings: Settings,
    keys: VapidKeys,
    push: FakePushService,
    redirecting: ScriptedListener,
    elsewhere: ScriptedListener,
) -> None:
    now = clock.now()
    clinic, staff = make_clinic_with_staff(factory, now=now)
    patient, _ = make_patient(factory, clinic=clinic, staff=staff, now=now, settings=settings)
    browser = push.subscribe().to_json() | {"endpoint": f"{redirecting.origin}/push/abc"}
    with transaction(factory) as session:
        subscribe(
            session,
            owner=Owner(patient_id=patient.id),
            data=PushSubscriptionIn.model_validate(browser),
            key_id=keys.key_id,
            now=now,
            settings=settings,
        )
        session.execute(
            update(OutboxMessage).values(
                due_at=now, next_attempt_at=now, expires_at=now + timedelta(hours=6)
            )
        )
    dispatcher = build_dispatcher(settings, session_factory=factory, clock=clock, keys=keys)
    try:
        dispatcher.run_once()
    finally:
        dispatcher.close()

    with factory() as session:
        rows = session.exec(select(OutboxMessage.status, OutboxMessage.last_error)).all()
    assert rows
    assert len(redirecting.received()) == len(rows)  # each was tried once
    assert elsewhere.received() == []  # and nothing went on to the Location
    assert {status for status, _ in rows} == {OutboxStatus.FAILED}
    assert all("307" in error and "redirect" in error for _, error in rows), rows[0]
    assert push.deliveries() == []
