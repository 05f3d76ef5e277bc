"""Snooze: "Remind me in 30 minutes" sends the task's reminder once more, through the outbox,
never into the patient's night, never past the task's window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.clock import FixedClock
from app.config import Settings
from app.db import transaction
from app.notifications.actions import make_token
from app.notifications.dispatcher import Dispatcher
from app.notifications.models import OutboxKind, OutboxMessage, OutboxStatus, PushSubscriptionIn
from app.notifications.snooze import SNOOZE
from app.notifications.subscriptions import Owner, subscribe
from app.notifications.vapid import VapidKeys
from app.tasks.models import Occurrence
from tests.support.api import enrol, pair_phone, sign_in_staff
from tests.support.push_service import FakePushService

KEY = "elevate_legs/t1/1"


class Snoozing:
    """An enrolled patient with a paired phone subscribed to reminders, and one task."""

    def __init__(
        self,
        client: TestClient,
        phone: TestClient,
        factory: sessionmaker[Session],
        clock: FixedClock,
        settings: Settings,
        push: FakePushService,
        keys: VapidKeys,
    ) -> None:
        self.phone, self.factory, self.clock, self.push = phone, factory, clock, push
        sign_in_staff(client, factory, now=clock.now())
        pair_phone(phone, enrol(client)["enrolment"]["code"])
        task = self.task()
        assert task.notifies and task.remind_at is not None
        subscription = push.subscribe()
        self.subscription_id = subscription.id
        with transaction(factory) as session:
            subscribe(
                session,
                owner=Owner(patient_id=task.patient_id),
                data=PushSubscriptionIn.model_validate(subscription.to_json()),
                key_id=keys.key_id,
                now=clock.now(),
                settings=settings,
            )

    def task(self) -> Occurrence:
        with self.factory() as session:
            return session.exec(select(Occurrence).where(Occurrence.key == KEY)).one()

    def rows(self) -> list[OutboxMessage]:
        task = self.task()
        with self.factory() as session:
            return list(
                session.exec(
                    select(OutboxMessage).where(
                        OutboxMessage.occurrence_id == task.id,
                        OutboxMessage.kind == OutboxKind.REMINDER,
                    )
                ).all()
            )

    def received(self) -> int:
        topic = self.task().id.hex
        return sum(
            1
            for d in self.push.deliveries()
            if d.subscription_id == self.subscription_id and d.topic == topic
        )

    def snooze(self) -> tuple[int, dict[str, object]]:
        answer = self.phone.post(f"/api/me/tasks/{self.task().id}/snooze")
        return answer.status_code, answer.json()


@pytest.fixture
def snoozing(
    client: TestClient,
    phone: TestClient,
    factory: sessionmaker[Session],
    clock: FixedClock,
    settings: Settings,
    push: FakePushService,
    keys: VapidKeys,
) -> Snoozing:
    return Snoozing(client, phone, factory, clock, settings, push, keys)


def _remind_first(snoozing: Snoozing, dispatcher: Dispatcher) -> None:
    """The task's own reminder goes out at its time."""
    task = snoozing.task()
    assert task.remind_at is not None
    snoozing.clock.set(task.remind_at)
    dispatcher.run_once()
    assert snoozing.received() == 1


def test_snooze_re_sends_once_after_30_minutes(snoozing: Snoozing, dispatcher: Dispatcher) -> None:
    _remind_first(snoozing, dispatcher)
    status, body = snoozing.snooze()
    assert status == 200, body
    expected = snoozing.clock.now() + SNOOZE
    assert datetime.fromisoformat(str(body["remind_at"])) == expected
    [row] = snoozing.rows()
    assert (row.status, row.due_at, row.attempts) == (OutboxStatus.PENDING, expected, 0)
    snoozing.clock.advance(SNOOZE - timedelta(minutes=1))
    dispatcher.run_once()
    assert snoozing.received() == 1  # not yet
    snoozing.clock.advance(timedelta(minutes=1))
    dispatcher.run_once()
    assert snoozing.received() == 2  # exactly one more
    snoozing.clock.advance(timedelta(hours=1))
    dispatcher.run_once()
    assert snoozing.received() == 2
    assert [r.status for r in snoozing.rows()] == [OutboxStatus.SENT]


def test_a_second_snooze_is_fine(snoozing: Snoozing, dispatcher: Dispatcher) -> None:
    _remind_first(snoozing, dispatcher)
    assert snoozing.snooze()[0] == 200
    snoozing.clock.advance(SNOOZE)
    dispatcher.run_once()
    assert snoozing.snooze()[0] == 200
    snoozing.clock.advance(SNOOZE)
    dispatcher.run_once()
    assert snoozing.received() == 3


def test_snooze_before_the_first_send_moves_it_not_adds_one(
    snoozing: Snoozing, dispatcher: Dispatcher
) -> None:
    task = snoozing.task()
    assert task.remind_at is not None
    snoozing.clock.set(task.remind_at)  # due, not sent yet
    assert snoozing.snooze()[0] == 200
    dispatcher.run_once()
    assert snoozing.received() == 0
    snoozing.clock.advance(SNOOZE)
    dispatcher.run_once()
    assert snoozing.received() == 1


def test_snooze_never_lands_in_the_night(snoozing: Snoozing, make_dispatcher: object) -> None:
    task = snoozing.task()
    assert task.remind_at is not None
    # Pretend the window runs past the night, so only the night rule can move the time.
    with transaction(snoozing.factory) as session:
        row = session.get(Occurrence, task.id)
        assert row is not None
        row.window_end = task.due_at + timedelta(days=2)
        session.add(row)
    # 21:50 London time (GMT in March): +30 min falls after the default bed time (22:00).
    snoozing.clock.set(datetime(2026, 3, 27, 21, 50, tzinfo=UTC))
    status, body = snoozing.snooze()
    assert status == 200, body
    when = datetime.fromisoformat(str(body["remind_at"]))
    assert when > snoozing.clock.now() + SNOOZE  # moved to the morning
    assert when.astimezone(UTC).date() == datetime(2026, 3, 28, tzinfo=UTC).date()
    [row_] = snoozing.rows()
    assert row_.due_at == when


def test_refused_past_the_window_changing_nothing(snoozing: Snoozing) -> None:
    task = snoozing.task()
    snoozing.clock.set(task.window_end - SNOOZE)
    before = [(r.status, r.due_at, r.attempts) for r in snoozing.rows()]
    status, body = snoozing.snooze()
    assert (status, body["code"]) == (409, "snooze_too_late")
    assert "ends before then" in str(body["detail"])
    assert [(r.status, r.due_at, r.attempts) for r in snoozing.rows()] == before


def test_a_done_task_is_refused(snoozing: Snoozing) -> None:
    task = snoozing.task()
    assert task.remind_at is not None
    snoozing.clock.set(task.remind_at)
    assert snoozing.phone.post(f"/api/me/tasks/{task.id}/complete").status_code == 200
    status, body = snoozing.snooze()
    assert (status, body["code"]) == (409, "task_already_done")


def test_not_before_the_task_is_due(snoozing: Snoozing) -> None:
    task = snoozing.task()
    snoozing.clock.set(task.due_at - timedelta(hours=1))
    status, body = snoozing.snooze()
    assert (status, body["code"]) == (409, "not_due_yet")


def test_the_notification_button_snoozes_with_the_token(
    snoozing: Snoozing, dispatcher: Dispatcher, app: FastAPI
) -> None:
    _remind_first(snoozing, dispatcher)
    task = snoozing.task()
    secret: bytes = app.state.action_secret
    token = make_token(secret, task.id, task.window_end)
    with TestClient(app) as service_worker:  # no cookies at all
        body = {"task_id": str(task.id), "token": token}
        answer = service_worker.post("/api/push-actions/snooze", json=body)
        assert answer.status_code == 200, answer.text
        forged = {"task_id": str(task.id), "token": make_token(b"x" * 32, task.id, task.window_end)}
        assert service_worker.post("/api/push-actions/snooze", json=forged).status_code == 403
    snoozing.clock.advance(SNOOZE)
    dispatcher.run_once()
    assert snoozing.received() == 2


def test_the_reminder_offers_the_snooze_button_token(
    snoozing: Snoozing, dispatcher: Dispatcher
) -> None:
    _remind_first(snoozing, dispatcher)
    [delivery] = [
        d for d in snoozing.push.deliveries() if d.subscription_id == snoozing.subscription_id
    ]
    assert delivery.json()["action_token"]  # the service worker's Done and snooze buttons
