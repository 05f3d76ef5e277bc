"""On-call alerts by text and e-mail as well as push: the dispatcher against a real SMTP server
and a real SMS gateway on loopback, on the test database (SQLite, or PostgreSQL with
AFTERCARE_TEST_DATABASE_URL) and the pinned clock. Hazard H33 (docs/safety/hazard-log.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.clinics.models import Clinic
from app.clinics.service import is_open
from app.clock import FixedClock
from app.config import Settings
from app.db import transaction
from app.notifications.dispatcher import Dispatcher
from app.notifications.models import Channel, OutboxKind, OutboxMessage, OutboxStatus
from app.notifications.vapid import VapidKeys
from app.reports.models import Alert
from app.staff import accounts
from app.staff.models import AlertChannel, StaffUpdate, StaffUser
from tests.notifications.conftest import MakeDispatcher
from tests.notifications.test_staff_push import NO_NAMES, Staffed
from tests.support.push_service import FakePushService
from tests.support.sms_gateway import LoopbackSmsGateway, Text
from tests.support.smtp_server import LoopbackSmtp, Mail

# Friday 27 March 2026, 23:30 in London (GMT): the clinic is closed.
NIGHT = datetime(2026, 3, 27, 23, 30, tzinfo=UTC)
SAM_MOBILE = "+447700900111"
OLIVE_MOBILE = "+447700900222"
# What an alert's words must never carry: the patient, their report, the staff's own domain.
NOTHING_PERSONAL = (*NO_NAMES, "pain", "Pain", "awful")
CONSOLE_ALERTS = "http://testserver/console/#/alerts"


class OnCall(Staffed):
    """Riverside at night: Sam on call by text, Erin on call by e-mail, Olive off call (texts
    chosen), and Pat on call by push only."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.clock.set(NIGHT)
        self.sam = self.member("sam@riverside.example", on_call=True)
        self.erin = self.member("erin@riverside.example", on_call=True)
        self.olive = self.member("olive@riverside.example")
        self.pat = self.member("pat@riverside.example", on_call=True)
        self.choose(self.sam, AlertChannel.SMS, phone="+44 7700 900111")
        self.choose(self.erin, AlertChannel.EMAIL)
        self.choose(self.olive, AlertChannel.SMS, phone="+44 (7700) 900-222")

    def choose(self, user: StaffUser, channel: AlertChannel, *, phone: str | None = None) -> None:
        """What the admin sets on the Staff page (the number as typed, validated and stored)."""
        change = StaffUpdate.model_validate({"alert_channel": channel, "phone": phone})
        with transaction(self.factory) as session:
            admin, target = session.get(StaffUser, self.admin.id), session.get(StaffUser, user.id)
            assert admin is not None and target is not None
            accounts.update(
                session, admin=admin, target=target, data=change, now=self.clock.now(),
                offered=frozenset({"email", "sms"}),
            )  # fmt: skip

    def letters(self) -> list[OutboxMessage]:
        return [row for row in self.rows(OutboxKind.ALERT) if row.channel != Channel.PUSH]


@pytest.fixture
def on_call(
    factory: sessionmaker[Session],
    clock: FixedClock,
    settings: Settings,
    push: FakePushService,
    keys: VapidKeys,
) -> OnCall:
    return OnCall(factory, clock, settings, push, keys)


@pytest.fixture
def letters_settings(smtp: LoopbackSmtp, sms: LoopbackSmsGateway) -> dict[str, object]:
    return {
        "smtp_url": SecretStr(smtp.url),
        "mail_from": "Riverside Vein Clinic <alerts@clinic.example>",
        "sms_url": SecretStr(sms.twilio_url),
        "push_timeout_seconds": 2.0,
    }


@pytest.fixture
def dispatcher(make_dispatcher: MakeDispatcher, letters_settings: dict[str, object]) -> Dispatcher:
    return make_dispatcher(**letters_settings)


def tick(dispatcher: Dispatcher, clock: FixedClock, seconds: float = 1.0) -> None:
    dispatcher.run_once()
    clock.advance(timedelta(seconds=seconds))


def texts_to(sms: LoopbackSmsGateway, number: str) -> list[Text]:
    return [text for text in sms.received() if text.to == number]


def mails_to(smtp: LoopbackSmtp, address: str) -> list[Mail]:
    return [mail for mail in smtp.received() if address in mail.recipients]


def assert_nothing_personal(words: str) -> None:
    for word in NOTHING_PERSONAL:
        assert word not in words, word


class TestOutOfHours:
    def test_the_on_call_clinicians_get_a_text_and_an_email_each_exactly_once(
        self,
        on_call: OnCall,
        dispatcher: Dispatcher,
        smtp: LoopbackSmtp,
        sms: LoopbackSmsGateway,
        clock: FixedClock,
    ) -> None:
        with on_call.factory() as session:
            clinic = session.get(Clinic, on_call.clinic.id)
            assert clinic is not None
            assert is_open(clinic, clock.now())[0] is False
        alert = on_call.raise_alert(pain=9)
        for _ in range(4):
            tick(dispatcher, clock)
        [text] = texts_to(sms, SAM_MOBILE)
        assert text.body == (
            f"Aftercare at Riverside Vein Clinic: new alert, needs a call. "
            f"Open the console: {CONSOLE_ALERTS}"
        )
        assert_nothing_personal(text.body)
        [mail] = mails_to(smtp, "erin@riverside.example")
        assert (
            mail.message["Subject"]
            == "Aftercare at Riverside Vein Clinic: a new alert (needs a call)"
        )
        assert CONSOLE_ALERTS in mail.text and "needs a call" in mail.text
        assert "Settings in the console" in mail.text
        for words in (mail.message["Subject"], mail.text, mail.html):
            assert_nothing_personal(words)
        # Olive is not on call; Pat is, by push only: nothing by text or e-mail to either.
        assert texts_to(sms, OLIVE_MOBILE) == []
        assert len(sms.received()) == 1 and len(smtp.received()) == 1
        letters = on_call.letters()
        assert {(row.staff_id, row.channel) for row in letters} == {
            (on_call.sam.id, Channel.SMS),
            (on_call.erin.id, Channel.EMAIL),
        }
        assert all(row.status == OutboxStatus.SENT for row in letters)
        assert all(row.alert_id == alert.id for row in letters)
        # Sent at once: the staff's alerts have no night rule.
        assert all(row.sent_at is not None and row.sent_at < NIGHT + timedelta(seconds=2)
                   for row in letters)  # fmt: skip

    def test_an_emergency_says_urgent(
        self, on_call: OnCall, dispatcher: Dispatcher, sms: LoopbackSmsGateway, clock: FixedClock
    ) -> None:
        on_call.raise_alert(signs=("chest_pain_breathless",))
        tick(dispatcher, clock)
        [text] = texts_to(sms, SAM_MOBILE)
        assert "new alert, urgent." in text.body
        assert_nothing_personal(text.body)

    def test_an_alert_acknowledged_first_sends_nothing(
        self,
        on_call: OnCall,
        dispatcher: Dispatcher,
        smtp: LoopbackSmtp,
        sms: LoopbackSmsGateway,
        clock: FixedClock,
    ) -> None:
        alert = on_call.raise_alert()
        on_call.acknowledge(alert)
        for _ in range(3):
            tick(dispatcher, clock)
        assert sms.received() == [] and smtp.received() == []
        letters = on_call.letters()
        assert len(letters) == 2
        assert {row.status for row in letters} == {OutboxStatus.CANCELLED}
        assert {row.last_error for row in letters} == {"alert already acknowledged"}

    def test_a_gateway_at_its_rate_limit_is_waited_out_and_delivers_once(
        self,
        on_call: OnCall,
        dispatcher: Dispatcher,
        sms: LoopbackSmsGateway,
        clock: FixedClock,
    ) -> None:
        sms.answers.append((429, {"Retry-After": "120"}, '{"code": 20429}'))
        on_call.raise_alert()
        tick(dispatcher, clock)
        assert texts_to(sms, SAM_MOBILE) == []
        [row] = [r for r in on_call.letters() if r.channel == Channel.SMS]
        assert row.status == OutboxStatus.PENDING
        assert row.next_attempt_at == NIGHT + timedelta(seconds=120)  # as the gateway asked
        clock.set(row.next_attempt_at - timedelta(seconds=1))
        tick(dispatcher, clock)
        assert texts_to(sms, SAM_MOBILE) == []
        for _ in range(3):
            tick(dispatcher, clock)
        assert len(texts_to(sms, SAM_MOBILE)) == 1
        [row] = [r for r in on_call.letters() if r.channel == Channel.SMS]
        assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)

    def test_an_invalid_number_fails_for_good_and_says_why(
        self,
        on_call: OnCall,
        dispatcher: Dispatcher,
        sms: LoopbackSmsGateway,
        clock: FixedClock,
    ) -> None:
        sms.answers.append((400, {}, '{"code": 21211, "message": "Invalid To"}'))
        on_call.raise_alert()
        for _ in range(3):
            tick(dispatcher, clock, seconds=600)
        [row] = [r for r in on_call.letters() if r.channel == Channel.SMS]
        assert row.status == OutboxStatus.FAILED
        assert row.last_error.startswith("refused:")
        assert texts_to(sms, SAM_MOBILE) == []


class TestWhoGetsThem:
    def test_someone_taken_off_call_before_it_goes_gets_nothing(
        self,
        on_call: OnCall,
        dispatcher: Dispatcher,
        sms: LoopbackSmsGateway,
        clock: FixedClock,
    ) -> None:
        on_call.raise_alert()
        on_call.on_call(on_call.sam, False)
        tick(dispatcher, clock)
        assert sms.received() == []
        [row] = [r for r in on_call.letters() if r.channel == Channel.SMS]
        assert row.status == OutboxStatus.CANCELLED

    def test_nobody_on_call_means_no_texts_or_emails(
        self,
        on_call: OnCall,
        dispatcher: Dispatcher,
        smtp: LoopbackSmtp,
        sms: LoopbackSmsGateway,
        clock: FixedClock,
    ) -> None:
        for user in (on_call.sam, on_call.erin, on_call.pat):
            on_call.on_call(user, False)
        on_call.raise_alert()
        tick(dispatcher, clock)
        assert on_call.letters() == []
        assert sms.received() == [] and smtp.received() == []

    def test_an_escalation_sends_no_more_texts_or_emails(
        self,
        on_call: OnCall,
        dispatcher: Dispatcher,
        smtp: LoopbackSmtp,
        sms: LoopbackSmsGateway,
        clock: FixedClock,
    ) -> None:
        alert = on_call.raise_alert()
        tick(dispatcher, clock)
        assert alert.escalate_at is not None
        clock.set(alert.escalate_at)
        tick(dispatcher, clock)
        assert on_call.alert(alert.id).escalated_at is not None
        assert len(on_call.rows(OutboxKind.ALERT_ESCALATION)) == 1
        assert len(sms.received()) == 1 and len(smtp.received()) == 1

    def test_a_server_without_sms_set_up_fails_the_text_and_says_why(
        self,
        on_call: OnCall,
        make_dispatcher: MakeDispatcher,
        smtp: LoopbackSmtp,
        clock: FixedClock,
    ) -> None:
        dispatcher = make_dispatcher(
            smtp_url=SecretStr(smtp.url), mail_from="Riverside <alerts@clinic.example>",
            push_timeout_seconds=2.0,
        )  # fmt: skip
        on_call.raise_alert()
        tick(dispatcher, clock)
        by_channel = {row.channel: row for row in on_call.letters()}
        assert by_channel[Channel.EMAIL].status == OutboxStatus.SENT
        assert by_channel[Channel.SMS].status == OutboxStatus.FAILED
        assert by_channel[Channel.SMS].last_error == "this server is not set up to send by sms"

    def test_one_letter_per_alert_staff_and_channel_whatever_queues_it(
        self, on_call: OnCall, clock: FixedClock
    ) -> None:
        alert = on_call.raise_alert()
        with pytest.raises(IntegrityError), transaction(on_call.factory) as session:
            found = session.get(Alert, alert.id)
            assert found is not None
            session.add(
                OutboxMessage(
                    kind=OutboxKind.ALERT,
                    channel=Channel.SMS,
                    alert_id=alert.id,
                    patient_id=found.patient_id,
                    staff_id=on_call.sam.id,
                    due_at=clock.now(),
                    next_attempt_at=clock.now(),
                    expires_at=clock.now() + timedelta(hours=1),
                    created_at=clock.now(),
                )
            )
            session.flush()
