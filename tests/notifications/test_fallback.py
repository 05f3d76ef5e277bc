"""Reminders by e-mail and SMS when a push cannot go or is not shown: the dispatcher against a
real SMTP server and a real SMS gateway on loopback, on the test database and pinned clock."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy import update
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.clinics.models import Clinic
from app.clock import FixedClock
from app.config import Settings
from app.db import transaction
from app.notifications import receipts
from app.notifications.dispatcher import Dispatcher
from app.notifications.models import (
    Channel,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    PushSubscriptionIn,
    ReceiptEvent,
)
from app.notifications.snooze import snooze
from app.notifications.subscriptions import Owner, subscribe
from app.notifications.vapid import VapidKeys
from app.patients.models import Patient
from app.patients.reminder_channel import ReminderChannelChoice, choose_channel
from app.tasks import service as tasks
from app.tasks.models import Occurrence
from tests.notifications.conftest import MakeDispatcher
from tests.support.factories import make_clinic_with_staff, make_patient
from tests.support.push_service import FakePushService
from tests.support.sms_gateway import LoopbackSmsGateway, Text
from tests.support.smtp_server import LoopbackSmtp, Mail

STOCKING = "remove_stocking/t1"  # due 10:00 Sat 28 Mar 2026 (GMT), 24 h after the treatment


class Patient1:
    """Ada, treated 10:00 Fri 27 Mar 2026 in London, with an address and a mobile number."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        clock: FixedClock,
        settings: Settings,
        push: FakePushService,
        keys: VapidKeys,
        channel: str,
    ) -> None:
        self.factory, self.clock, self.settings, self.push, self.keys = (
            factory, clock, settings, push, keys,
        )  # fmt: skip
        self.ids: set[str] = set()
        clinic, staff = make_clinic_with_staff(factory, now=clock.now())
        self.clinic = clinic
        self.patient, _ = make_patient(
            factory, clinic=clinic, staff=staff, now=clock.now(), settings=settings,
            treatment={"performed_at": "2026-03-27T10:00:00+00:00"},
            email="ada@example.org", phone="+44 7700 900123",
        )  # fmt: skip
        if channel:
            with transaction(factory) as session:
                patient = session.get(Patient, self.patient.id)
                assert patient is not None
                choose_channel(
                    session,
                    patient=patient,
                    choice=ReminderChannelChoice(channel=channel, consent=True),  # type: ignore[arg-type]
                    by="patient",
                    offered=frozenset({"email", "sms"}),
                    now=clock.now(),
                )

    def device(self) -> None:
        subscription = self.push.subscribe()
        self.ids.add(subscription.id)
        with transaction(self.factory) as session:
            subscribe(
                session,
                owner=Owner(patient_id=self.patient.id),
                data=PushSubscriptionIn.model_validate(subscription.to_json()),
                key_id=self.keys.key_id,
                now=self.clock.now(),
                settings=self.settings,
            )

    def occurrence(self, key: str = STOCKING) -> Occurrence:
        with self.factory() as session:
            return session.exec(
                select(Occurrence).where(
                    Occurrence.patient_id == self.patient.id, Occurrence.key == key
                )
            ).one()

    def rows(self, key: str = STOCKING) -> dict[str, OutboxMessage]:
        """The reminder's rows by channel."""
        occurrence = self.occurrence(key)
        with self.factory() as session:
            found = session.exec(
                select(OutboxMessage).where(
                    OutboxMessage.occurrence_id == occurrence.id,
                    OutboxMessage.kind == OutboxKind.REMINDER,
                )
            ).all()
        return {row.channel: row for row in found}

    def mails(self, smtp: LoopbackSmtp, key: str = STOCKING) -> list[Mail]:
        """The e-mails about this reminder (others of the patient's may be due at once)."""
        link = f"?task={self.occurrence(key).id}"
        return [mail for mail in smtp.received() if link in mail.text]

    def texts(self, sms: LoopbackSmsGateway, key: str = STOCKING) -> list[Text]:
        link = f"?task={self.occurrence(key).id}"
        return [text for text in sms.received() if link in text.body]

    def pushes(self) -> int:
        topic = self.occurrence().id.hex
        return sum(
            1 for d in self.push.deliveries() if d.topic == topic and d.subscription_id in self.ids
        )

    def at_due(self, later: timedelta = timedelta(0)) -> datetime:
        self.clock.set(self.rows()[Channel.PUSH].next_attempt_at + later)
        return self.clock.now()


@pytest.fixture
def letters_settings(
    settings: Settings, smtp: LoopbackSmtp, sms: LoopbackSmsGateway
) -> dict[str, object]:
    return {
        "smtp_url": SecretStr(smtp.url),
        "mail_from": "Riverside Vein Clinic <reminders@clinic.example>",
        "sms_url": SecretStr(sms.twilio_url),
        "push_timeout_seconds": 2.0,
    }


@pytest.fixture
def dispatcher(make_dispatcher: MakeDispatcher, letters_settings: dict[str, object]) -> Dispatcher:
    return make_dispatcher(**letters_settings)


def make(
    factory: sessionmaker[Session],
    clock: FixedClock,
    settings: Settings,
    push: FakePushService,
    keys: VapidKeys,
    channel: str,
) -> Patient1:
    return Patient1(factory, clock, settings, push, keys, channel)


@pytest.fixture
def by_email(
    factory: sessionmaker[Session],
    clock: FixedClock,
    settings: Settings,
    push: FakePushService,
    keys: VapidKeys,
) -> Patient1:
    return make(factory, clock, settings, push, keys, "email")


@pytest.fixture
def by_sms(
    factory: sessionmaker[Session],
    clock: FixedClock,
    settings: Settings,
    push: FakePushService,
    keys: VapidKeys,
) -> Patient1:
    return make(factory, clock, settings, push, keys, "sms")


def only_the_stocking_reminder(patient: Patient1) -> None:
    """The cream's first dose is due at the same time: leave it to push alone."""
    with transaction(patient.factory) as session:
        session.execute(update(Clinic).values(fallback_tasks=["remove_stocking"]))


def tick(dispatcher: Dispatcher, clock: FixedClock, seconds: float = 1.0) -> None:
    """One dispatch tick, then the clock moves on as the scheduler's interval would."""
    dispatcher.run_once()
    clock.advance(timedelta(seconds=seconds))


class TestWithoutPush:
    def test_the_stocking_reminder_arrives_by_email_within_seconds_of_its_time(
        self, by_email: Patient1, dispatcher: Dispatcher, smtp: LoopbackSmtp, clock: FixedClock
    ) -> None:
        due = by_email.at_due()
        for _ in range(3):
            tick(dispatcher, clock)
        mails = by_email.mails(smtp)
        assert len(mails) == 1
        mail = mails[0]
        assert mail.recipients == ["ada@example.org"]
        assert mail.message["From"] == "Riverside Vein Clinic <reminders@clinic.example>"
        assert mail.message["List-Unsubscribe"] == "<http://testserver/#settings>"
        # Lock-screen safe: the generic words, the link to the task, nothing about veins.
        task = by_email.occurrence()
        assert f"http://testserver/?task={task.id}" in mail.text
        # The generic words (the patient did not choose to see titles), never the task's own.
        assert mail.text.splitlines()[0] == "Time for your aftercare task."
        assert task.title not in mail.text and task.title not in mail.html
        assert "Open it in the app" in mail.html
        row = by_email.rows()[Channel.EMAIL]
        assert row.status == OutboxStatus.SENT
        assert row.sent_at is not None and row.sent_at - due <= timedelta(seconds=10)
        push_row = by_email.rows()[Channel.PUSH]
        assert push_row.status == OutboxStatus.FAILED  # no device: the push itself failed

    def test_the_stocking_reminder_arrives_by_sms_within_seconds_of_its_time(
        self, by_sms: Patient1, dispatcher: Dispatcher, sms: LoopbackSmsGateway, clock: FixedClock
    ) -> None:
        due = by_sms.at_due()
        for _ in range(3):
            tick(dispatcher, clock)
        texts = by_sms.texts(sms)
        assert [t.to for t in texts] == ["+447700900123"]
        assert texts[0].api == "twilio"
        task = by_sms.occurrence()
        assert texts[0].body.startswith(f"{by_sms.clinic.name}: Time for your aftercare task.")
        assert f"http://testserver/?task={task.id}" in texts[0].body
        row = by_sms.rows()[Channel.SMS]
        assert row.status == OutboxStatus.SENT
        assert row.sent_at is not None and row.sent_at - due <= timedelta(seconds=10)

    def test_a_reminder_goes_by_email_once_however_often_the_dispatcher_runs(
        self, by_email: Patient1, dispatcher: Dispatcher, smtp: LoopbackSmtp, clock: FixedClock
    ) -> None:
        by_email.at_due()
        for _ in range(5):
            tick(dispatcher, clock, seconds=60)
        assert len(by_email.mails(smtp)) == 1

    def test_a_task_not_on_the_clinics_list_does_not_fall_back(
        self, by_email: Patient1, dispatcher: Dispatcher, smtp: LoopbackSmtp, clock: FixedClock
    ) -> None:
        with transaction(by_email.factory) as session:
            session.execute(update(Clinic).values(fallback_tasks=["follow_up"]))
        by_email.at_due()
        for _ in range(3):
            tick(dispatcher, clock)
        assert by_email.mails(smtp) == []
        assert Channel.EMAIL not in by_email.rows()

    def test_a_patient_who_chose_nothing_gets_no_email(
        self,
        factory: sessionmaker[Session],
        clock: FixedClock,
        settings: Settings,
        push: FakePushService,
        keys: VapidKeys,
        dispatcher: Dispatcher,
        smtp: LoopbackSmtp,
    ) -> None:
        nobody = make(factory, clock, settings, push, keys, "")
        nobody.at_due()
        for _ in range(3):
            tick(dispatcher, clock)
        assert nobody.mails(smtp) == []

    def test_a_server_without_mail_set_up_queues_no_email(
        self, by_email: Patient1, make_dispatcher: MakeDispatcher, smtp: LoopbackSmtp,
        clock: FixedClock,
    ) -> None:  # fmt: skip
        plain = make_dispatcher()
        by_email.at_due()
        for _ in range(3):
            tick(plain, clock)
        assert by_email.mails(smtp) == []
        assert Channel.EMAIL not in by_email.rows()


class TestAfterAPush:
    def test_a_push_not_shown_falls_back_after_the_clinics_wait(
        self, by_email: Patient1, dispatcher: Dispatcher, smtp: LoopbackSmtp, clock: FixedClock
    ) -> None:
        by_email.device()
        due = by_email.at_due()
        tick(dispatcher, clock)
        tick(dispatcher, clock)
        assert by_email.pushes() == 1
        assert by_email.mails(smtp) == []
        waiting = by_email.rows()[Channel.EMAIL]
        assert waiting.status == OutboxStatus.PENDING
        assert waiting.next_attempt_at == due + timedelta(minutes=10)
        clock.set(due + timedelta(minutes=9, seconds=59))
        tick(dispatcher, clock)
        assert by_email.mails(smtp) == []
        clock.set(due + timedelta(minutes=10))
        tick(dispatcher, clock)
        assert len(by_email.mails(smtp)) == 1

    def test_a_push_shown_on_the_phone_is_not_sent_again_by_email(
        self, by_email: Patient1, dispatcher: Dispatcher, smtp: LoopbackSmtp, clock: FixedClock
    ) -> None:
        by_email.device()
        due = by_email.at_due()
        tick(dispatcher, clock)
        task_id = by_email.occurrence().id
        clock.set(due + timedelta(minutes=1))
        with transaction(by_email.factory) as session:
            receipts.record(
                session,
                patient_id=by_email.patient.id,
                occurrence_id=task_id,
                event=ReceiptEvent.SHOWN,
                endpoint=None,
                now=clock.now(),
            )
        clock.set(due + timedelta(minutes=10))
        for _ in range(3):
            tick(dispatcher, clock)
        assert by_email.mails(smtp) == []
        row = by_email.rows()[Channel.EMAIL]
        assert (row.status, row.last_error) == (
            OutboxStatus.CANCELLED,
            "the push was shown on a device",
        )

    def test_the_clinic_sets_the_wait(
        self, by_email: Patient1, dispatcher: Dispatcher, smtp: LoopbackSmtp, clock: FixedClock
    ) -> None:
        with transaction(by_email.factory) as session:
            session.execute(update(Clinic).values(fallback_after_minutes=30))
        by_email.device()
        due = by_email.at_due()
        tick(dispatcher, clock)
        assert by_email.rows()[Channel.EMAIL].next_attempt_at == due + timedelta(minutes=30)

    def test_a_task_done_meanwhile_is_not_sent_by_email(
        self, by_email: Patient1, dispatcher: Dispatcher, smtp: LoopbackSmtp, clock: FixedClock
    ) -> None:
        by_email.device()
        due = by_email.at_due()
        tick(dispatcher, clock)
        task = by_email.occurrence()
        with transaction(by_email.factory) as session:
            patient = session.get(Patient, by_email.patient.id)
            assert patient is not None
            tasks.complete(session, patient=patient, occurrence_id=task.id, now=clock.now())
        clock.set(due + timedelta(minutes=10))
        tick(dispatcher, clock)
        assert by_email.mails(smtp) == []
        assert by_email.rows()[Channel.EMAIL].status == OutboxStatus.CANCELLED

    def test_a_push_sent_again_after_a_crash_does_not_send_the_email_again(
        self, by_email: Patient1, dispatcher: Dispatcher, smtp: LoopbackSmtp, clock: FixedClock
    ) -> None:
        by_email.device()
        due = by_email.at_due()
        tick(dispatcher, clock)
        clock.set(due + timedelta(minutes=10))
        tick(dispatcher, clock)
        assert len(by_email.mails(smtp)) == 1
        # As if a dispatcher died after sending the push but before recording it.
        with transaction(by_email.factory) as session:
            session.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.id) == by_email.rows()[Channel.PUSH].id)
                .values(status=OutboxStatus.SENDING, lease_until=clock.now())
            )
        clock.advance(timedelta(seconds=1))
        for _ in range(3):
            tick(dispatcher, clock, seconds=700)
        assert by_email.pushes() == 2
        assert len(by_email.mails(smtp)) == 1


class TestNightAndLimits:
    def test_a_fallback_due_in_the_night_waits_for_the_morning(
        self, by_email: Patient1, dispatcher: Dispatcher, smtp: LoopbackSmtp, clock: FixedClock
    ) -> None:
        by_email.device()
        due = by_email.at_due()
        tick(dispatcher, clock)
        # A night nap, say: bed at 10:05, up at 10:30. The fallback at 10:10 waits till 10:30.
        with transaction(by_email.factory) as session:
            session.execute(
                update(Patient)
                .where(col(Patient.id) == by_email.patient.id)
                .values(
                    bed_time=(due + timedelta(minutes=5)).time(),
                    wake_time=(due + timedelta(minutes=30)).time(),
                )
            )
        clock.set(due + timedelta(minutes=10))
        tick(dispatcher, clock)
        assert by_email.mails(smtp) == []
        row = by_email.rows()[Channel.EMAIL]
        assert row.status == OutboxStatus.PENDING
        assert row.last_error == "patient's night"
        assert row.next_attempt_at == due + timedelta(minutes=30)
        clock.set(row.next_attempt_at)
        tick(dispatcher, clock)
        assert len(by_email.mails(smtp)) == 1

    def test_the_days_limit_stops_more_texts_and_says_so(
        self, by_sms: Patient1, dispatcher: Dispatcher, sms: LoopbackSmsGateway, clock: FixedClock
    ) -> None:
        with transaction(by_sms.factory) as session:
            session.execute(update(Clinic).values(sms_per_day=0))
        by_sms.at_due()
        for _ in range(3):
            tick(dispatcher, clock)
        assert by_sms.texts(sms) == []
        row = by_sms.rows()[Channel.SMS]
        assert row.status == OutboxStatus.FAILED
        assert "limit of 0 a day by sms" in row.last_error


class TestGatewayFaults:
    def test_a_bounced_address_fails_for_good_and_says_why(
        self, by_email: Patient1, dispatcher: Dispatcher, smtp: LoopbackSmtp, clock: FixedClock
    ) -> None:
        with transaction(by_email.factory) as session:
            session.execute(update(Patient).values(email="bounce@example.org"))
        by_email.at_due()
        for _ in range(3):
            tick(dispatcher, clock)
        row = by_email.rows()[Channel.EMAIL]
        assert row.status == OutboxStatus.FAILED
        assert row.last_error.startswith("refused: mail server 550")

    def test_a_mailbox_busy_for_now_is_tried_again_later(
        self, by_email: Patient1, dispatcher: Dispatcher, smtp: LoopbackSmtp, clock: FixedClock
    ) -> None:
        with transaction(by_email.factory) as session:
            session.execute(update(Patient).values(email="busy@example.org"))
        by_email.at_due()
        for _ in range(3):
            tick(dispatcher, clock)
        row = by_email.rows()[Channel.EMAIL]
        assert row.status == OutboxStatus.PENDING
        assert row.last_error.startswith("mail server 451")
        assert row.next_attempt_at > clock.now()

    def test_a_server_that_drops_the_connection_loses_nothing(
        self, by_email: Patient1, dispatcher: Dispatcher, smtp: LoopbackSmtp, clock: FixedClock
    ) -> None:
        smtp.drop_next = True
        by_email.at_due()
        for _ in range(3):
            tick(dispatcher, clock)
        row = by_email.rows()[Channel.EMAIL]
        assert row.status == OutboxStatus.PENDING and by_email.mails(smtp) == []
        clock.set(row.next_attempt_at)
        tick(dispatcher, clock)
        assert len(by_email.mails(smtp)) == 1
        assert by_email.rows()[Channel.EMAIL].status == OutboxStatus.SENT

    def test_a_hanging_mail_server_times_out_and_is_tried_again(
        self, by_email: Patient1, dispatcher: Dispatcher, smtp: LoopbackSmtp, clock: FixedClock
    ) -> None:
        smtp.hang = True
        by_email.at_due()
        for _ in range(3):
            tick(dispatcher, clock)
        row = by_email.rows()[Channel.EMAIL]
        assert row.status == OutboxStatus.PENDING
        smtp.hang = False
        clock.set(row.next_attempt_at)
        tick(dispatcher, clock)
        assert len(by_email.mails(smtp)) == 1

    def test_a_gateway_at_its_rate_limit_is_waited_out(
        self, by_sms: Patient1, dispatcher: Dispatcher, sms: LoopbackSmsGateway, clock: FixedClock
    ) -> None:
        only_the_stocking_reminder(by_sms)  # the gateway's scripted answers are for it alone
        sms.answers.append((429, {"Retry-After": "120"}, '{"code": 20429}'))
        by_sms.at_due()
        for _ in range(2):
            tick(dispatcher, clock)
        row = by_sms.rows()[Channel.SMS]
        assert row.status == OutboxStatus.PENDING and by_sms.texts(sms) == [], row.last_error
        assert row.next_attempt_at >= clock.now() + timedelta(seconds=110)
        clock.set(row.next_attempt_at)
        tick(dispatcher, clock)
        assert len(by_sms.texts(sms)) == 1

    def test_a_gateway_error_backs_off_and_an_invalid_number_fails_for_good(
        self, by_sms: Patient1, dispatcher: Dispatcher, sms: LoopbackSmsGateway, clock: FixedClock
    ) -> None:
        only_the_stocking_reminder(by_sms)
        sms.answers.append((500, {}, "{}"))
        sms.answers.append((400, {}, '{"code": 21211, "message": "Invalid To"}'))
        by_sms.at_due()
        for _ in range(2):
            tick(dispatcher, clock)
        row = by_sms.rows()[Channel.SMS]
        assert row.status == OutboxStatus.PENDING and row.last_error == "SMS gateway 500"
        clock.set(row.next_attempt_at)
        tick(dispatcher, clock)
        row = by_sms.rows()[Channel.SMS]
        assert row.status == OutboxStatus.FAILED
        assert row.last_error == "refused: SMS gateway 400 (code 21211)"
        assert by_sms.texts(sms) == []

    def test_the_json_webhook_gateway_carries_the_text_too(
        self,
        by_sms: Patient1,
        make_dispatcher: MakeDispatcher,
        letters_settings: dict[str, object],
        sms: LoopbackSmsGateway,
        clock: FixedClock,
    ) -> None:
        webhook = make_dispatcher(**(letters_settings | {"sms_url": SecretStr(sms.webhook_url)}))
        by_sms.at_due()
        for _ in range(3):
            tick(webhook, clock)
        assert [(t.api, t.to) for t in by_sms.texts(sms)] == [("webhook", "+447700900123")]


class TestSnooze:
    def test_a_snooze_sends_the_email_once_more_after_30_minutes(
        self, by_email: Patient1, dispatcher: Dispatcher, smtp: LoopbackSmtp, clock: FixedClock
    ) -> None:
        due = by_email.at_due()
        for _ in range(3):
            tick(dispatcher, clock)
        assert len(by_email.mails(smtp)) == 1
        clock.set(due + timedelta(minutes=5))
        task_id = by_email.occurrence().id
        with transaction(by_email.factory) as session:
            patient = session.get(Patient, by_email.patient.id)
            occurrence = session.get(Occurrence, task_id)
            assert patient is not None and occurrence is not None
            again = snooze(session, patient=patient, occurrence=occurrence, now=clock.now())
        assert again == due + timedelta(minutes=35)
        clock.set(again - timedelta(seconds=1))
        tick(dispatcher, clock)
        assert len(by_email.mails(smtp)) == 1
        clock.set(again)
        for _ in range(3):
            tick(dispatcher, clock)
        assert len(by_email.mails(smtp)) == 2
        clock.set(again + timedelta(minutes=30))
        for _ in range(3):
            tick(dispatcher, clock, seconds=60)
        assert len(by_email.mails(smtp)) == 2

    def test_a_snooze_cancels_the_fallback_waiting_on_the_push_it_answers(
        self, by_email: Patient1, dispatcher: Dispatcher, smtp: LoopbackSmtp, clock: FixedClock
    ) -> None:
        by_email.device()
        due = by_email.at_due()
        tick(dispatcher, clock)
        clock.set(due + timedelta(minutes=2))
        task_id = by_email.occurrence().id
        with transaction(by_email.factory) as session:
            patient = session.get(Patient, by_email.patient.id)
            occurrence = session.get(Occurrence, task_id)
            assert patient is not None and occurrence is not None
            snooze(session, patient=patient, occurrence=occurrence, now=clock.now())
        clock.set(due + timedelta(minutes=10))
        tick(dispatcher, clock)
        assert by_email.mails(smtp) == []  # the patient saw it: they snoozed it
        clock.set(due + timedelta(minutes=32))
        tick(dispatcher, clock)
        assert by_email.pushes() == 2
        waiting = by_email.rows()[Channel.EMAIL]
        assert waiting.status == OutboxStatus.PENDING
        assert waiting.next_attempt_at == due + timedelta(minutes=42)
