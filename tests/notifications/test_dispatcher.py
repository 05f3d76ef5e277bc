"""The dispatcher against the real loopback push service: every outcome, DST, leases."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, update
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.appointments.bookings import book
from app.clinics.models import Clinic
from app.clock import FixedClock
from app.config import Settings
from app.db import transaction
from app.notifications import payload as payload_module
from app.notifications.actions import action_secret, check_token
from app.notifications.dispatcher import Dispatcher
from app.notifications.models import (
    VISIT_NOTICES,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    PushSubscription,
    PushSubscriptionIn,
)
from app.notifications.outcome import Outcome
from app.notifications.record import Settled, record
from app.notifications.send import LEASE_RAN_OUT
from app.notifications.subscriptions import Owner, subscribe
from app.notifications.vapid import VapidKeys
from app.patients.models import Patient
from app.patients.protocols import ProtocolSource
from app.reports.models import ReportCreate
from app.reports.service import submit
from app.staff.models import StaffUser
from app.tasks import service as tasks
from app.tasks.models import Occurrence
from tests.notifications.conftest import MakeDispatcher
from tests.support.factories import make_clinic_with_staff, make_patient
from tests.support.push_service import Delivery, FakePushService, FakeSubscription

LONDON = ZoneInfo("Europe/London")


class World:
    """One patient treated 10:00 Wed 25 Mar 2026 in London, enrolled at the pinned now (Fri 27
    Mar 12:00): stockings reminders at 07:30 on Sat 28 (GMT) and from Sun 29 (BST)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        clock: FixedClock,
        settings: Settings,
        push: FakePushService,
        keys: VapidKeys,
    ) -> None:
        self.factory, self.clock, self.settings, self.push, self.keys = (
            factory, clock, settings, push, keys,
        )  # fmt: skip
        self.ids: set[str] = set()
        clinic, staff = make_clinic_with_staff(factory, now=clock.now())
        self.patient, _ = make_patient(  # on version 1: the keys below are its rules'
            factory, clinic=clinic, staff=staff, now=clock.now(), settings=settings,
            protocol_version=1, treatment={"performed_at": "2026-03-25T10:00:00+00:00"},
        )  # fmt: skip
        # The first visit booked at its planned time (10:00 BST Wed 8 Apr): a visit not booked
        # is tentative and gets no reminder, and these tests need its long-windowed one.
        with transaction(factory) as session:
            patient = session.get(Patient, self.patient.id)
            assert patient is not None
            book(
                session, patient=patient, key="follow_up/1",
                booked_at=datetime(2026, 4, 8, 9, 0, tzinfo=UTC), staff=staff,
                protocols=ProtocolSource(settings.protocol), now=clock.now(),
            )  # fmt: skip
            # These tests are about reminders: the booking's notice to the patient is told
            # apart in tests/notifications/test_visit_notices.py.
            session.execute(delete(OutboxMessage).where(col(OutboxMessage.kind).in_(VISIT_NOTICES)))

    def device(self, key_id: str | None = None) -> FakeSubscription:
        subscription = self.push.subscribe()
        self.ids.add(subscription.id)
        with transaction(self.factory) as session:
            subscribe(
                session,
                owner=Owner(patient_id=self.patient.id),
                data=PushSubscriptionIn.model_validate(subscription.to_json()),
                key_id=key_id or self.keys.key_id,
                now=self.clock.now(),
                settings=self.settings,
            )
        return subscription

    def row(self, key: str) -> OutboxMessage:
        with self.factory() as session:
            found = session.exec(
                select(OutboxMessage)
                .join(Occurrence, col(Occurrence.id) == OutboxMessage.occurrence_id)
                .where(Occurrence.key == key)
            ).one()
        return found

    def occurrence(self, key: str) -> Occurrence:
        with self.factory() as session:
            return session.exec(select(Occurrence).where(Occurrence.key == key)).one()

    def at_due(self, key: str, later: timedelta = timedelta(0)) -> OutboxMessage:
        row = self.row(key)
        self.clock.set(row.next_attempt_at + later)
        return row

    def received(self, key: str) -> list[Delivery]:
        """What the push service took for this occurrence (its Topic), from this test only."""
        topic = self.occurrence(key).id.hex
        return [
            d for d in self.push.deliveries() if d.topic == topic and d.subscription_id in self.ids
        ]

    def devices(self) -> list[PushSubscription]:
        with self.factory() as session:
            return list(session.exec(select(PushSubscription)).all())


@pytest.fixture
def world(
    factory: sessionmaker[Session],
    clock: FixedClock,
    settings: Settings,
    push: FakePushService,
    keys: VapidKeys,
) -> World:
    return World(factory, clock, settings, push, keys)


class TestDelivery:
    def test_a_due_reminder_arrives_encrypted_with_ttl_urgency_and_topic(
        self, world: World, dispatcher: Dispatcher, push: FakePushService
    ) -> None:
        phone = world.device()
        row = world.at_due("stockings_on/2026-03-28")
        dispatcher.run_once()
        [delivery] = world.received("stockings_on/2026-03-28")
        occurrence = world.occurrence("stockings_on/2026-03-28")
        assert delivery.subscription_id == phone.id
        assert delivery.json()["task_id"] == str(occurrence.id)
        assert delivery.json()["notification"]["body"] == "Time for your aftercare task"
        assert delivery.topic == occurrence.id.hex
        assert delivery.urgency == "normal"
        assert delivery.ttl == int((occurrence.window_end - world.clock.now()).total_seconds())
        assert delivery.vapid_sub == world.settings.vapid_subject
        token = delivery.json()["action_token"]  # "Done" from the notification, for this task
        assert check_token(action_secret(world.keys), occurrence.id, token, world.clock.now())
        sent = world.row("stockings_on/2026-03-28")
        assert sent.status == OutboxStatus.SENT
        assert sent.sent_at == row.due_at
        assert world.devices()[0].last_success_at == world.clock.now()

    def test_nothing_is_sent_before_it_is_due(
        self, world: World, dispatcher: Dispatcher, push: FakePushService
    ) -> None:
        world.device()
        world.at_due("stockings_on/2026-03-28", later=-timedelta(seconds=1))
        dispatcher.run_once()
        assert world.received("stockings_on/2026-03-28") == []
        assert world.row("stockings_on/2026-03-28").status == OutboxStatus.PENDING

    def test_every_device_of_the_patient_gets_it(
        self, world: World, dispatcher: Dispatcher, push: FakePushService
    ) -> None:
        phones = {world.device().id, world.device().id}
        world.at_due("stockings_on/2026-03-28")
        dispatcher.run_once()
        assert {d.subscription_id for d in world.received("stockings_on/2026-03-28")} == phones

    def test_a_completed_task_is_not_reminded(
        self, world: World, dispatcher: Dispatcher, push: FakePushService
    ) -> None:
        world.device()
        occurrence = world.occurrence("stockings_on/2026-03-28")
        world.at_due("stockings_on/2026-03-28", later=-timedelta(minutes=30))
        with transaction(world.factory) as session:
            patient = session.get(Patient, world.patient.id)
            assert patient is not None
            tasks.complete(
                session, patient=patient, occurrence_id=occurrence.id, now=world.clock.now()
            )
        world.at_due("stockings_on/2026-03-28")
        dispatcher.run_once()
        row = world.row("stockings_on/2026-03-28")
        assert row.status == OutboxStatus.CANCELLED
        assert row.last_error == "task already done"
        assert world.received("stockings_on/2026-03-28") == []

    def test_without_a_device_the_reminder_fails_visibly(
        self, world: World, dispatcher: Dispatcher
    ) -> None:
        world.at_due("stockings_on/2026-03-28")
        dispatcher.run_once()
        row = world.row("stockings_on/2026-03-28")
        assert row.status == OutboxStatus.FAILED
        assert "no device" in row.last_error

    def test_a_late_row_is_still_sent_while_useful_then_dropped(
        self, world: World, dispatcher: Dispatcher, push: FakePushService
    ) -> None:
        world.device()
        world.at_due("stockings_on/2026-03-28", later=timedelta(hours=1, minutes=59))
        dispatcher.run_once()
        assert world.row("stockings_on/2026-03-28").status == OutboxStatus.SENT
        world.at_due("stockings_on/2026-03-29", later=timedelta(hours=2))  # window is 2 h
        dispatcher.run_once()
        dropped = world.row("stockings_on/2026-03-29")
        assert dropped.status == OutboxStatus.DROPPED
        assert "too late" in dropped.last_error
        assert len(world.received("stockings_on/2026-03-28")) == 1
        assert world.received("stockings_on/2026-03-29") == []

    def test_a_device_made_with_an_old_key_is_forgotten_not_used(
        self, world: World, dispatcher: Dispatcher, push: FakePushService
    ) -> None:
        world.device(key_id="0ld0ld0ld0ld0ld0")
        world.at_due("stockings_on/2026-03-28")
        dispatcher.run_once()
        assert world.devices() == []
        assert world.row("stockings_on/2026-03-28").status == OutboxStatus.FAILED


class TestPushServiceAnswers:
    @pytest.mark.parametrize("status", [404, 410])
    def test_gone_subscription_is_deleted(
        self, world: World, dispatcher: Dispatcher, push: FakePushService, status: int
    ) -> None:
        phone = world.device()
        push.respond_with(status, endpoint_id=phone.id)
        world.at_due("stockings_on/2026-03-29")
        dispatcher.run_once()
        assert world.devices() == []
        assert world.row("stockings_on/2026-03-29").status == OutboxStatus.FAILED

    def test_one_gone_device_does_not_stop_the_other(
        self, world: World, dispatcher: Dispatcher, push: FakePushService
    ) -> None:
        old, new = world.device(), world.device()
        push.respond_with(410, endpoint_id=old.id)
        world.at_due("stockings_on/2026-03-29")
        dispatcher.run_once()
        assert [d.subscription_id for d in world.received("stockings_on/2026-03-29")] == [new.id]
        assert [d.endpoint for d in world.devices()] == [new.endpoint]
        assert world.row("stockings_on/2026-03-29").status == OutboxStatus.SENT

    def test_429_waits_for_retry_after_then_sends(
        self, world: World, dispatcher: Dispatcher, push: FakePushService
    ) -> None:
        world.device()
        push.respond_with(429, retry_after=120, times=1)
        row = world.at_due("stockings_on/2026-03-29")
        dispatcher.run_once()
        waiting = world.row("stockings_on/2026-03-29")
        assert waiting.status == OutboxStatus.PENDING
        assert waiting.next_attempt_at == row.due_at + timedelta(seconds=120)
        world.clock.advance(timedelta(seconds=119))
        dispatcher.run_once()
        assert world.row("stockings_on/2026-03-29").status == OutboxStatus.PENDING
        world.clock.advance(timedelta(seconds=1))
        dispatcher.run_once()
        assert world.row("stockings_on/2026-03-29").status == OutboxStatus.SENT
        assert world.row("stockings_on/2026-03-29").attempts == 2

    def test_server_error_backs_off_with_jitter(
        self, world: World, dispatcher: Dispatcher, push: FakePushService
    ) -> None:
        world.device()
        push.respond_with(500, times=1)
        row = world.at_due("stockings_on/2026-03-29")
        dispatcher.run_once()
        waiting = world.row("stockings_on/2026-03-29")
        assert waiting.status == OutboxStatus.PENDING
        wait = (waiting.next_attempt_at - row.due_at).total_seconds()
        assert 24 <= wait <= 36  # 30 s ± 20 %
        world.clock.set(waiting.next_attempt_at)
        dispatcher.run_once()
        assert world.row("stockings_on/2026-03-29").status == OutboxStatus.SENT

    @pytest.mark.parametrize("status", [400, 413])
    def test_our_bug_is_not_retried_and_the_device_is_kept(
        self, world: World, dispatcher: Dispatcher, push: FakePushService, status: int
    ) -> None:
        world.device()
        push.respond_with(status)
        world.at_due("stockings_on/2026-03-29")
        dispatcher.run_once()
        assert world.row("stockings_on/2026-03-29").status == OutboxStatus.FAILED
        assert len(world.devices()) == 1

    def test_a_hanging_push_service_times_out_and_is_retried(
        self, world: World, push: FakePushService, make_dispatcher: MakeDispatcher
    ) -> None:
        dispatcher = make_dispatcher(push_timeout_seconds=0.5)
        world.device()
        push.hang(times=1)
        world.at_due("stockings_on/2026-03-29")
        dispatcher.run_once()
        waiting = world.row("stockings_on/2026-03-29")
        assert waiting.status == OutboxStatus.PENDING
        assert "timeout" in waiting.last_error
        push.release()
        world.clock.set(waiting.next_attempt_at)
        dispatcher.run_once()
        assert world.row("stockings_on/2026-03-29").status == OutboxStatus.SENT

    def test_gives_up_after_the_last_attempt(
        self, world: World, push: FakePushService, make_dispatcher: MakeDispatcher
    ) -> None:
        dispatcher = make_dispatcher(push_max_attempts=3)
        world.device()
        push.respond_with(503)
        world.at_due("follow_up/1")  # a long window: only attempts can stop it
        for _ in range(3):
            dispatcher.run_once()
            world.clock.set(world.row("follow_up/1").next_attempt_at)
        row = world.row("follow_up/1")
        assert row.status == OutboxStatus.FAILED
        assert row.attempts == 3
        assert "gave up after 3 tries" in row.last_error


class TestTime:
    @pytest.mark.parametrize(
        ("key", "utc"),
        [
            ("stockings_on/2026-03-28", datetime(2026, 3, 28, 7, 30, tzinfo=UTC)),  # GMT
            ("stockings_on/2026-03-30", datetime(2026, 3, 30, 6, 30, tzinfo=UTC)),  # BST
        ],
    )
    def test_a_0730_reminder_arrives_at_0730_local_on_both_sides_of_the_change(
        self,
        world: World,
        dispatcher: Dispatcher,
        push: FakePushService,
        key: str,
        utc: datetime,
    ) -> None:
        world.device()
        world.clock.set(utc - timedelta(seconds=1))
        dispatcher.run_once()
        assert world.row(key).status == OutboxStatus.PENDING
        world.clock.set(utc)
        dispatcher.run_once()
        sent = world.row(key)
        assert sent.status == OutboxStatus.SENT
        assert sent.sent_at is not None
        assert sent.sent_at.astimezone(LONDON).strftime("%H:%M") == "07:30"
        [delivery] = world.received(key)
        assert delivery.json()["task_id"] == str(world.occurrence(key).id)

    def test_a_retry_that_would_land_in_the_night_waits_for_morning(
        self, world: World, dispatcher: Dispatcher, push: FakePushService
    ) -> None:
        world.device()
        push.respond_with(429, retry_after=14 * 3600, times=1)  # 10:00 + 14 h = 23:00 BST
        world.at_due("follow_up/1")  # visit Wed 8 Apr 10:00 BST, reminder the day before
        dispatcher.run_once()
        waiting = world.row("follow_up/1")
        assert waiting.status == OutboxStatus.PENDING
        assert waiting.next_attempt_at.astimezone(LONDON) == datetime(
            2026, 4, 8, 7, 30, tzinfo=LONDON
        )

    def test_a_retry_that_could_only_come_after_the_window_is_dropped(
        self, world: World, dispatcher: Dispatcher, push: FakePushService
    ) -> None:
        world.device()
        push.respond_with(429, retry_after=3 * 3600, times=1)
        world.at_due("symptom_check/2026-03-28")  # 20:00, open until midnight
        dispatcher.run_once()
        row = world.row("symptom_check/2026-03-28")
        assert row.status == OutboxStatus.DROPPED
        assert "too late to retry" in row.last_error


class TestLeases:
    def test_rows_of_a_dispatcher_that_died_are_claimed_again_after_the_lease(
        self,
        world: World,
        dispatcher: Dispatcher,
        make_dispatcher: MakeDispatcher,
        settings: Settings,
        clock: FixedClock,
    ) -> None:
        world.device()
        world.at_due("stockings_on/2026-03-28")
        claimed = make_dispatcher()._claim(clock.now())  # claims, then "dies" before sending
        target = world.row("stockings_on/2026-03-28")
        assert target.id in {c.row_id for c in claimed}
        assert target.status == OutboxStatus.SENDING
        dispatcher.run_once()
        assert world.row("stockings_on/2026-03-28").status == OutboxStatus.SENDING  # leased
        clock.advance(timedelta(seconds=settings.dispatch_lease_seconds + 1))
        dispatcher.run_once()
        assert world.row("stockings_on/2026-03-28").status == OutboxStatus.SENT
        assert len(world.received("stockings_on/2026-03-28")) == 1

    def test_a_batch_is_the_first_due_and_lapsed_rows_in_one_order(
        self, world: World, make_dispatcher: MakeDispatcher, clock: FixedClock
    ) -> None:
        # Due and lapsed rows are found apart (each along the index), then merged: the batch
        # must still be the earliest of both, ties by id, and a live lease is never taken.
        now = clock.now()
        with transaction(world.factory) as session:
            ids = sorted(session.exec(select(OutboxMessage.id)).all())
            session.execute(update(OutboxMessage).values(next_attempt_at=now + timedelta(days=30)))
            plan = [  # id, status, minutes before now, lease end in minutes from now
                (ids[0], OutboxStatus.SENDING, 5, -1),
                (ids[1], OutboxStatus.PENDING, 4, None),
                (ids[2], OutboxStatus.SENDING, 3, -1),
                (ids[3], OutboxStatus.PENDING, 3, None),  # a tie: after ids[2]
                (ids[4], OutboxStatus.SENDING, 6, 1),  # still leased: not claimable
                (ids[5], OutboxStatus.PENDING, 1, None),
                (ids[6], OutboxStatus.SENDING, 1, -1),
            ]
            for row_id, status, before, lease in plan:
                session.execute(
                    update(OutboxMessage)
                    .where(col(OutboxMessage.id) == row_id)
                    .values(
                        status=status,
                        next_attempt_at=now - timedelta(minutes=before),
                        lease_until=None if lease is None else now + timedelta(minutes=lease),
                    )
                )
        dispatcher = make_dispatcher(dispatch_batch_size=3)
        assert {c.row_id for c in dispatcher._claim(now)} == {ids[0], ids[1], ids[2]}
        assert {c.row_id for c in dispatcher._claim(now)} == {ids[3], ids[5], ids[6]}
        assert dispatcher._claim(now) == []
        with world.factory() as session:
            leased = session.get(OutboxMessage, ids[4])
        assert leased is not None and leased.attempts == 0

    def test_a_late_outcome_never_overwrites_a_later_claim_of_its_row(
        self, world: World, make_dispatcher: MakeDispatcher, clock: FixedClock, settings: Settings
    ) -> None:
        world.device()
        row = world.at_due("stockings_on/2026-03-28")
        dispatcher = make_dispatcher()
        [first] = [c for c in dispatcher._claim(clock.now()) if c.row_id == row.id]
        clock.advance(timedelta(seconds=settings.dispatch_lease_seconds + 1))
        [second] = [c for c in dispatcher._claim(clock.now()) if c.row_id == row.id]
        assert second.attempts == first.attempts + 1

        def settle(attempt: int) -> None:
            outcome = Outcome(row.id, OutboxStatus.SENT, sent_at=clock.now())
            record(world.factory, [Settled(outcome, attempt, time.monotonic())], clock.now())

        settle(first.attempts)  # the first claim's answer, come after its lease
        assert world.row("stockings_on/2026-03-28").status == OutboxStatus.SENDING
        settle(second.attempts)
        assert world.row("stockings_on/2026-03-28").status == OutboxStatus.SENT

    def test_a_send_is_cut_off_before_its_lease_ends(
        self, world: World, push: FakePushService, make_dispatcher: MakeDispatcher
    ) -> None:
        # A timeout longer than the lease: the row must not still be in flight here once
        # another dispatcher may claim it again.
        dispatcher = make_dispatcher(push_timeout_seconds=60, dispatch_lease_seconds=5)
        world.device()
        push.hang()
        world.at_due("stockings_on/2026-03-28")
        started = time.monotonic()
        dispatcher.run_once()
        assert time.monotonic() - started < 5
        waiting = world.row("stockings_on/2026-03-28")
        assert waiting.status == OutboxStatus.PENDING
        assert LEASE_RAN_OUT in waiting.last_error


class TestPipeline:
    KEYS = ("stockings_on/2026-03-28", "hydrocortisone/t1/d3/morning")  # due at one instant

    def test_each_outcome_is_recorded_as_its_send_completes(
        self, world: World, push: FakePushService, make_dispatcher: MakeDispatcher
    ) -> None:
        dispatcher = make_dispatcher(push_timeout_seconds=3)
        world.device()
        world.at_due(self.KEYS[0])
        push.hang(times=1)  # the first push hangs, the second is answered at once
        run = threading.Thread(target=dispatcher.run_once)
        run.start()
        try:
            deadline = time.monotonic() + 2.5
            while OutboxStatus.SENT not in {world.row(key).status for key in self.KEYS}:
                assert time.monotonic() < deadline, "nothing recorded while one send hangs"
                time.sleep(0.02)
            assert run.is_alive()  # recorded while the other was still in flight
        finally:
            run.join(timeout=10)
        assert {world.row(key).status for key in self.KEYS} == {
            OutboxStatus.SENT,
            OutboxStatus.PENDING,  # the hanging one timed out: tried again later
        }

    def test_no_more_rows_are_in_flight_than_connections(
        self, world: World, push: FakePushService, make_dispatcher: MakeDispatcher
    ) -> None:
        dispatcher = make_dispatcher(dispatch_concurrency=1, push_timeout_seconds=1)
        world.device()
        world.at_due(self.KEYS[0])
        push.hang(times=1)
        started = time.monotonic()
        dispatcher.run_once()
        # One at a time: the second row went out only once the first had timed out.
        assert push.request_count == 2
        [answered] = world.received(self.KEYS[0]) + world.received(self.KEYS[1])
        assert answered.received_at - started >= 1

    def test_a_run_claims_rows_that_fall_due_while_a_send_hangs(
        self, world: World, push: FakePushService, make_dispatcher: MakeDispatcher
    ) -> None:
        dispatcher = make_dispatcher(push_timeout_seconds=3, dispatch_interval_seconds=0.1)
        world.device()
        now = world.at_due(self.KEYS[0]).next_attempt_at
        push.hang(times=2)  # both rows due at that instant hang
        run = threading.Thread(target=dispatcher.run_once)
        run.start()
        try:
            deadline = time.monotonic() + 2
            while push.request_count < 2:
                assert time.monotonic() < deadline, "the first rows were never sent"
                time.sleep(0.02)
            # Another row falls due while both hang (the next dose, brought forward to now).
            later = world.row("hydrocortisone/t1/d3/evening")
            with transaction(world.factory) as session:
                session.execute(
                    update(OutboxMessage)
                    .where(col(OutboxMessage.id) == later.id)
                    .values(next_attempt_at=now)
                )
            deadline = time.monotonic() + 2
            while world.row("hydrocortisone/t1/d3/evening").status != OutboxStatus.SENT:
                assert time.monotonic() < deadline, "the run waited for the hanging sends"
                time.sleep(0.02)
            assert run.is_alive()
        finally:
            run.join(timeout=10)


def test_claims_are_exclusive_between_dispatchers(
    world: World, make_dispatcher: MakeDispatcher, clock: FixedClock
) -> None:
    world.device()
    clock.set(datetime(2026, 4, 20, 12, 0, tzinfo=UTC))  # many rows due at once
    first = {c.row_id for c in make_dispatcher()._claim(clock.now())}
    second = {c.row_id for c in make_dispatcher()._claim(clock.now())}
    assert first and not (first & second)


def test_outcome_logs_carry_no_personal_data(
    world: World, dispatcher: Dispatcher, caplog: pytest.LogCaptureFixture
) -> None:
    phone = world.device()
    world.at_due("stockings_on/2026-03-28")
    with caplog.at_level("INFO", logger="aftercare.dispatch"):
        dispatcher.run_once()
    text = caplog.text
    assert "outcome=sent" in text
    for secret in (world.patient.name, "stockings", phone.endpoint, phone.p256dh, "Europe/London"):
        assert secret not in text


def test_the_app_runs_the_dispatcher_in_process_when_enabled(
    world: World, settings: Settings, engine: Any, clock: FixedClock
) -> None:
    from fastapi.testclient import TestClient

    from app.main import create_app

    world.device()
    world.at_due("stockings_on/2026-03-28")
    app = create_app(
        settings.model_copy(update={"dispatcher_enabled": True, "dispatch_interval_seconds": 0.1}),
        clock=clock,
        engine=engine,
    )
    with TestClient(app):
        deadline = time.monotonic() + 10
        while world.row("stockings_on/2026-03-28").status != OutboxStatus.SENT:
            assert time.monotonic() < deadline, "the in-process dispatcher never sent it"
            time.sleep(0.05)
    assert len(world.received("stockings_on/2026-03-28")) == 1


def test_one_broken_row_fails_alone_and_does_not_hold_the_batch(
    world: World, dispatcher: Dispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.device()
    world.at_due("stockings_on/2026-03-28")  # the day-3 cream dose is due at the same instant
    broken = world.occurrence("stockings_on/2026-03-28").id
    real = payload_module.reminder_payload

    def flaky(**kwargs: Any) -> bytes:
        if kwargs["occurrence_id"] == broken:
            raise RuntimeError("a bug in building this one payload")
        return real(**kwargs)

    monkeypatch.setattr("app.notifications.build.reminder_payload", flaky)
    dispatcher.run_once()
    failed = world.row("stockings_on/2026-03-28")
    assert failed.status == OutboxStatus.FAILED
    assert failed.last_error == "internal error (see logs)"
    assert world.row("hydrocortisone/t1/d3/morning").status == OutboxStatus.SENT


class TestAlertsAndRemindersTogether:
    def test_a_staff_alert_and_a_patient_reminder_go_out_in_one_run(
        self, world: World, dispatcher: Dispatcher, push: FakePushService
    ) -> None:
        phone = world.device()
        world.at_due("stockings_on/2026-03-28")
        with transaction(world.factory) as session:
            patient = session.get(Patient, world.patient.id)
            assert patient is not None
            clinic = session.get(Clinic, patient.clinic_id)
            nurse = session.exec(
                select(StaffUser).where(StaffUser.clinic_id == patient.clinic_id)
            ).one()
            assert clinic is not None
            console = push.subscribe()
            subscribe(
                session, owner=Owner(staff_id=nurse.id),
                data=PushSubscriptionIn.model_validate(console.to_json()),
                key_id=world.keys.key_id, now=world.clock.now(), settings=world.settings,
            )  # fmt: skip
            data = ReportCreate(client_id=uuid.uuid4(), pain=9)
            submit(session, patient=patient, clinic=clinic, data=data, now=world.clock.now())
        dispatcher.run_once()
        [reminder] = world.received("stockings_on/2026-03-28")
        assert reminder.subscription_id == phone.id
        [alert] = push.deliveries(console.id)
        assert alert.json()["kind"] == "alert"
        # Neither device gets the other's message.
        assert {d.json()["kind"] for d in push.deliveries(phone.id)} == {"task"}

    def test_escalation_runs_first_so_its_push_goes_in_the_same_run(
        self, world: World, dispatcher: Dispatcher, push: FakePushService
    ) -> None:
        with transaction(world.factory) as session:
            patient = session.get(Patient, world.patient.id)
            assert patient is not None
            clinic = session.get(Clinic, patient.clinic_id)
            assert clinic is not None
            data = ReportCreate(client_id=uuid.uuid4(), pain=9)
            submit(session, patient=patient, clinic=clinic, data=data, now=world.clock.now())
        dispatcher.run_once()  # the first push: nobody subscribed, it fails
        world.clock.advance(timedelta(minutes=15))
        report = dispatcher.run_once()
        assert report.claimed == 1
        with world.factory() as session:
            [row] = session.exec(
                select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.ALERT_ESCALATION)
            ).all()
        assert row.status == OutboxStatus.FAILED  # no staff device: visible, not silent
        assert row.attempts == 1
