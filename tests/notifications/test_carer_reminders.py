"""A carer's phone gets the patient's reminders through the real push receiver (when the patient
chose so), a tick from its notification is the carer's, and a removed carer gets nothing more."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.clock import FixedClock
from app.notifications.dispatcher import Dispatcher
from app.notifications.models import Channel, OutboxKind, OutboxMessage
from app.tasks.models import Occurrence
from tests.support.api import enrol, pair_phone
from tests.support.push_service import FakePushService, FakeSubscription

STOCKING = "remove_stocking/t1"  # due 10:00 Sat 28 Mar 2026 (GMT), 24 h after the treatment


class Family:
    """Ada on her phone, and Anna (her daughter) on hers, each subscribed to push."""

    def __init__(
        self,
        app: FastAPI,
        staff: TestClient,
        push: FakePushService,
        factory: sessionmaker[Session],
        clock: FixedClock,
        *,
        reminders: bool,
    ) -> None:
        self.push, self.factory, self.clock = push, factory, clock
        self.ada = TestClient(app)
        self.anna = TestClient(app)
        created = enrol(staff)
        self.ada_id = uuid.UUID(created["id"])
        pair_phone(self.ada, created["enrolment"]["code"])
        invited = self.ada.post("/api/me/carers", json={"name": "Anna", "reminders": reminders})
        self.carer = invited.json()["carer"]
        pair_phone(self.anna, invited.json()["enrolment"]["code"])
        self.ada_push = self.subscribe(self.ada)
        self.anna_push = self.subscribe(self.anna)

    def subscribe(self, phone: TestClient) -> FakeSubscription:
        subscription = self.push.subscribe()
        answer = phone.post("/api/me/push-subscriptions", json=subscription.to_json())
        assert answer.status_code == 201, answer.text
        return subscription

    def close(self) -> None:
        self.ada.close()
        self.anna.close()

    def occurrence(self, key: str = STOCKING) -> Occurrence:
        with self.factory() as session:
            return session.exec(
                select(Occurrence).where(
                    Occurrence.patient_id == self.ada_id, Occurrence.key == key
                )
            ).one()

    def at_reminder(self, key: str = STOCKING) -> None:
        occurrence = self.occurrence(key)
        with self.factory() as session:
            row = session.exec(
                select(OutboxMessage).where(
                    OutboxMessage.occurrence_id == occurrence.id,
                    OutboxMessage.kind == OutboxKind.REMINDER,
                    OutboxMessage.channel == Channel.PUSH,
                )
            ).one()
        self.clock.set(row.next_attempt_at)

    def next_reminder_after(self, key: str) -> str:
        """The key of the patient's next push reminder after this one's."""
        after = self.occurrence(key)
        with self.factory() as session:
            later = session.exec(
                select(Occurrence.key)
                .join(OutboxMessage, col(OutboxMessage.occurrence_id) == Occurrence.id)
                .where(
                    Occurrence.patient_id == self.ada_id,
                    OutboxMessage.channel == Channel.PUSH,
                    OutboxMessage.kind == OutboxKind.REMINDER,
                    col(OutboxMessage.next_attempt_at) > after.remind_at,
                )
                .order_by(col(OutboxMessage.next_attempt_at))
            ).first()
        assert later is not None
        return later

    def received(self, subscription: FakeSubscription, key: str = STOCKING) -> list[Any]:
        topic = self.occurrence(key).id.hex
        return [
            d.json()
            for d in self.push.deliveries()
            if d.subscription_id == subscription.id and d.topic == topic
        ]


@pytest.fixture
def family(
    app: FastAPI,
    staff: TestClient,
    push: FakePushService,
    factory: sessionmaker[Session],
    clock: FixedClock,
) -> Iterator[Family]:
    made = Family(app, staff, push, factory, clock, reminders=True)
    yield made
    made.close()


def test_the_carers_phone_gets_the_reminder_with_whom_it_is_for(
    family: Family, dispatcher: Dispatcher
) -> None:
    family.at_reminder()
    dispatcher.run_once()
    assert len(family.received(family.ada_push)) == 1
    (for_anna,) = family.received(family.anna_push)
    assert for_anna["patient_id"] == str(family.ada_id)
    assert f"for={family.ada_id}" in for_anna["notification"]["navigate"]
    assert "Ada" not in str(for_anna)  # the lock screen never names the patient


def test_a_tick_from_the_carers_notification_is_the_carers(
    family: Family, dispatcher: Dispatcher
) -> None:
    family.at_reminder()
    dispatcher.run_once()
    (message,) = family.received(family.anna_push)
    done = family.anna.post(
        "/api/push-actions/complete",
        json={"task_id": message["task_id"], "token": message["action_token"]},
    )
    assert done.status_code == 200, done.text
    assert done.json()["completed_by"] == "Anna"
    assert family.occurrence().completed_by_carer == uuid.UUID(family.carer["id"])


def test_no_reminders_for_a_carer_the_patient_did_not_choose_them_for(
    family: Family, dispatcher: Dispatcher
) -> None:
    changed = family.ada.patch(f"/api/me/carers/{family.carer['id']}", json={"reminders": False})
    assert changed.status_code == 200, changed.text
    family.at_reminder()
    dispatcher.run_once()
    assert len(family.received(family.ada_push)) == 1
    assert family.received(family.anna_push) == []


def test_a_removed_carer_gets_nothing_more(family: Family, dispatcher: Dispatcher) -> None:
    family.at_reminder()
    dispatcher.run_once()
    assert len(family.received(family.anna_push)) == 1
    removed = family.ada.delete(f"/api/me/carers/{family.carer['id']}")
    assert removed.status_code == 204
    cream = family.next_reminder_after(STOCKING)
    family.at_reminder(cream)
    dispatcher.run_once()
    assert len(family.received(family.ada_push, cream)) == 1
    assert family.received(family.anna_push, cream) == []


def test_a_carer_still_helping_someone_else_gets_only_their_reminders_after_removal(
    family: Family,
    dispatcher: Dispatcher,
    app: FastAPI,
    staff: TestClient,
) -> None:
    with TestClient(app) as bob:
        pair_phone(bob, enrol(staff, name="Bob Lovelace")["enrolment"]["code"])
        invited = bob.post("/api/me/carers", json={"name": "Anna", "reminders": True})
        pair_phone(family.anna, invited.json()["enrolment"]["code"])
    assert family.ada.delete(f"/api/me/carers/{family.carer['id']}").status_code == 204
    family.at_reminder()
    dispatcher.run_once()
    assert len(family.received(family.ada_push)) == 1
    assert family.received(family.anna_push) == []  # her phone is still subscribed, for Bob
    with family.factory() as session:
        bob_reminders = session.exec(
            select(OutboxMessage).where(
                OutboxMessage.patient_id != family.ada_id,
                OutboxMessage.kind == OutboxKind.REMINDER,
                OutboxMessage.status == "sent",
            )
        ).all()
    anna_topics = {
        d.topic for d in family.push.deliveries() if d.subscription_id == family.anna_push.id
    }
    bob_topics = {row.occurrence_id.hex for row in bob_reminders if row.occurrence_id}
    assert anna_topics <= bob_topics and anna_topics  # Bob's reminders do reach her
