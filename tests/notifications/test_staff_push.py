"""Alert pushes to staff browsers through the real push receiver: who gets them, what they say,
and escalation to every clinician exactly once."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.clinics.models import Clinic
from app.clock import FixedClock
from app.config import Settings
from app.db import transaction
from app.notifications.dispatcher import Dispatcher
from app.notifications.models import (
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    PushSubscription,
    PushSubscriptionIn,
)
from app.notifications.payload import ALERTS_PATH
from app.notifications.subscriptions import Owner, subscribe
from app.notifications.vapid import VapidKeys
from app.patients.models import Patient
from app.reports import alerts
from app.reports.models import Alert, ReportCreate
from app.reports.service import submit
from app.staff import accounts
from app.staff.models import StaffRole, StaffUpdate, StaffUser
from app.staff.service import create_staff
from tests.support.api import enrol, log_in, pair_phone
from tests.support.factories import STAFF_PASSWORD, make_clinic_with_staff, make_patient
from tests.support.push_service import Delivery, FakePushService, FakeSubscription

NO_NAMES = ("Ada", "Lovelace", "Grace", "Hopper", "riverside.example")


class Staffed:
    """Riverside (admin Alice) with patient Ada and a few more staff, each with their browser
    subscribed for alerts; Hill, another clinic, with a clinician of its own."""

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
        self.clinic, self.admin = make_clinic_with_staff(
            factory, now=clock.now(), email="alice@riverside.example", role=StaffRole.ADMIN
        )
        self.patient, _ = make_patient(
            factory, clinic=self.clinic, staff=self.admin, now=clock.now(), settings=settings
        )
        self.hill, self.hill_nurse = make_clinic_with_staff(
            factory, now=clock.now(), clinic_name="Hill", email="nurse@hill.example"
        )

    def member(self, email: str, *, on_call: bool = False, disabled: bool = False) -> StaffUser:
        """A clinician of Riverside, set on call or disabled by the admin."""
        with transaction(self.factory) as session:
            clinic = session.get(Clinic, self.clinic.id)
            admin = session.get(StaffUser, self.admin.id)
            assert clinic is not None and admin is not None
            user = create_staff(
                session, clinic=clinic, email=email, password=STAFF_PASSWORD, now=self.clock.now()
            )
            if on_call or disabled:
                change = StaffUpdate(on_call=on_call or None, disabled=disabled or None)
                accounts.update(
                    session, admin=admin, target=user, data=change, now=self.clock.now()
                )
            return user

    def on_call(self, user: StaffUser, value: bool = True) -> None:
        with transaction(self.factory) as session:
            admin, target = session.get(StaffUser, self.admin.id), session.get(StaffUser, user.id)
            assert admin is not None and target is not None
            change = StaffUpdate(on_call=value)
            accounts.update(session, admin=admin, target=target, data=change, now=self.clock.now())

    def device(self, user: StaffUser) -> FakeSubscription:
        browser = self.push.subscribe()
        with transaction(self.factory) as session:
            subscribe(
                session,
                owner=Owner(staff_id=user.id),
                data=PushSubscriptionIn.model_validate(browser.to_json()),
                key_id=self.keys.key_id,
                now=self.clock.now(),
                settings=self.settings,
            )
        return browser

    def raise_alert(self, *, pain: int = 9, signs: tuple[str, ...] = ()) -> Alert:
        data = ReportCreate(client_id=uuid.uuid4(), pain=pain, signs=list(signs))
        with transaction(self.factory) as session:
            patient = session.get(Patient, self.patient.id)
            clinic = session.get(Clinic, self.clinic.id)
            assert patient is not None and clinic is not None
            report, _ = submit(
                session, patient=patient, clinic=clinic, data=data, now=self.clock.now()
            )
            return session.exec(select(Alert).where(Alert.report_id == report.id)).one()

    def acknowledge(self, alert: Alert) -> None:
        with transaction(self.factory) as session:
            alerts.acknowledge(
                session, clinic_id=self.clinic.id, alert_id=alert.id, staff_id=self.admin.id,
                note="Called back.", now=self.clock.now(),
            )  # fmt: skip

    def alert(self, alert_id: uuid.UUID) -> Alert:
        with self.factory() as session:
            found = session.get(Alert, alert_id)
            assert found is not None
            return found

    def rows(self, kind: OutboxKind) -> list[OutboxMessage]:
        with self.factory() as session:
            query = select(OutboxMessage).where(OutboxMessage.kind == kind)
            return list(session.exec(query.order_by(col(OutboxMessage.id))).all())

    def received(self, *browsers: FakeSubscription) -> dict[str, list[Any]]:
        """Per browser: the `kind` of each push it got, in order."""
        return {b.id: [d.json()["kind"] for d in self.push.deliveries(b.id)] for b in browsers}


@pytest.fixture
def staffed(
    factory: sessionmaker[Session],
    clock: FixedClock,
    settings: Settings,
    push: FakePushService,
    keys: VapidKeys,
) -> Staffed:
    return Staffed(factory, clock, settings, push, keys)


def assert_says_nothing_personal(delivery: Delivery) -> None:
    text = delivery.payload.decode()
    for word in NO_NAMES:
        assert word not in text


class TestSubscribeRoute:
    def test_a_signed_in_staff_browser_receives_the_decrypted_alert(
        self,
        staff: TestClient,
        phone: TestClient,
        push: FakePushService,
        dispatcher: Dispatcher,
        clock: FixedClock,
    ) -> None:
        browser = push.subscribe()
        response = staff.post("/api/staff/push-subscriptions", json=browser.to_json())
        assert response.status_code == 201, response.text
        assert response.json()["current_key"] is True
        pair_phone(phone, enrol(staff)["enrolment"]["code"])
        body = {"client_id": str(uuid.uuid4()), "pain": 9, "signs": [], "note": "Ada: awful"}
        assert phone.post("/api/me/reports", json=body).status_code == 201
        [alert] = staff.get("/api/alerts").json()
        dispatcher.run_once()
        [delivery] = push.deliveries(browser.id)
        message = delivery.json()
        assert message["notification"] == {
            "title": "Aftercare",
            "body": "New urgent report — open the console",
            "navigate": "http://testserver/console/#/alerts",
            "tag": f"alert-{alert['id']}",
        }
        assert message["url"] == ALERTS_PATH == "/console/#/alerts"
        assert (message["kind"], message["level"]) == ("alert", "urgent")
        assert message["alert_id"] == alert["id"]
        assert_says_nothing_personal(delivery)
        assert delivery.urgency == "high"
        assert delivery.topic == uuid.UUID(alert["id"]).hex
        assert delivery.ttl == 24 * 60 * 60
        # The patient's own phone has no subscription: the alert is for the clinic only.
        assert len(push.deliveries()) == 1

    def test_subscribing_again_keeps_one_row_and_unsubscribing_stops_it(
        self, staff: TestClient, push: FakePushService, factory: sessionmaker[Session]
    ) -> None:
        browser = push.subscribe().to_json()
        assert staff.post("/api/staff/push-subscriptions", json=browser).status_code == 201
        assert staff.post("/api/staff/push-subscriptions", json=browser).status_code == 201
        with factory() as session:
            [row] = session.exec(select(PushSubscription)).all()
        assert row.staff_id is not None and row.patient_id is None
        ref = {"endpoint": browser["endpoint"]}
        for _ in range(2):  # idempotent
            response = staff.request("DELETE", "/api/staff/push-subscriptions", json=ref)
            assert response.status_code == 204
        with factory() as session:
            assert session.exec(select(PushSubscription)).all() == []

    def test_only_staff_may_subscribe_for_alerts(
        self, me: TestClient, app: FastAPI, push: FakePushService
    ) -> None:
        browser = push.subscribe().to_json()
        assert me.post("/api/staff/push-subscriptions", json=browser).status_code == 401
        with TestClient(app) as stranger:
            assert stranger.post("/api/staff/push-subscriptions", json=browser).status_code == 401
            ref = {"endpoint": browser["endpoint"]}
            response = stranger.request("DELETE", "/api/staff/push-subscriptions", json=ref)
            assert response.status_code == 401

    @pytest.mark.parametrize(
        "change",
        [
            {"endpoint": "http://push.example.com/abc"},  # not https, not loopback
            {"keys": {"p256dh": "x" * 87, "auth": "y" * 22}},
            {"keys": None},
        ],
    )
    def test_a_bad_subscription_is_refused(
        self, staff: TestClient, push: FakePushService, change: dict[str, Any]
    ) -> None:
        browser = push.subscribe().to_json() | change
        response = staff.post("/api/staff/push-subscriptions", json=browser)
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_input"

    def test_a_staff_member_cannot_unsubscribe_someone_elses_browser(
        self, staffed: Staffed, app: FastAPI, dispatcher: Dispatcher
    ) -> None:
        nurse_browser = staffed.device(staffed.member("nurse@riverside.example"))
        with TestClient(app) as admin:
            log_in(admin, "alice@riverside.example")
            ref = {"endpoint": nurse_browser.endpoint}
            response = admin.request("DELETE", "/api/staff/push-subscriptions", json=ref)
            assert response.status_code == 204  # as if unknown: nothing to tell
        staffed.raise_alert()
        dispatcher.run_once()
        assert staffed.received(nurse_browser) == {nurse_browser.id: ["alert"]}


class TestWhoGetsANewAlert:
    def test_the_on_call_clinician_only(self, staffed: Staffed, dispatcher: Dispatcher) -> None:
        on_call = staffed.device(staffed.member("oncall@riverside.example", on_call=True))
        off = staffed.device(staffed.member("off@riverside.example"))
        admin = staffed.device(staffed.admin)
        staffed.raise_alert()
        dispatcher.run_once()
        assert staffed.received(on_call, off, admin) == {
            on_call.id: ["alert"],
            off.id: [],
            admin.id: [],
        }
        [row] = staffed.rows(OutboxKind.ALERT)
        assert row.status == OutboxStatus.SENT

    def test_every_enabled_member_when_nobody_is_on_call(
        self, staffed: Staffed, dispatcher: Dispatcher
    ) -> None:
        nurse = staffed.device(staffed.member("nurse@riverside.example"))
        nurse_laptop = staffed.device(staffed.member("nurse2@riverside.example"))
        admin = staffed.device(staffed.admin)
        disabled = staffed.device(staffed.member("gone@riverside.example", disabled=True))
        other_clinic = staffed.device(staffed.hill_nurse)
        staffed.raise_alert(signs=("chest_pain_breathless",))
        dispatcher.run_once()
        assert staffed.received(nurse, nurse_laptop, admin, disabled, other_clinic) == {
            nurse.id: ["alert"],
            nurse_laptop.id: ["alert"],
            admin.id: ["alert"],
            disabled.id: [],
            other_clinic.id: [],
        }
        delivery = staffed.push.deliveries(nurse.id)[0]
        assert delivery.json()["notification"]["body"] == "New emergency report — open the console"
        assert delivery.json()["level"] == "emergency"

    def test_everyone_when_the_on_call_clinician_has_no_device(
        self, staffed: Staffed, dispatcher: Dispatcher
    ) -> None:
        staffed.member("oncall@riverside.example", on_call=True)  # no browser subscribed
        nurse = staffed.device(staffed.member("nurse@riverside.example"))
        staffed.raise_alert()
        dispatcher.run_once()
        assert staffed.received(nurse) == {nurse.id: ["alert"]}

    def test_nobody_reachable_fails_visibly_but_still_escalates_later(
        self, staffed: Staffed, dispatcher: Dispatcher
    ) -> None:
        alert = staffed.raise_alert()
        dispatcher.run_once()
        [row] = staffed.rows(OutboxKind.ALERT)
        assert row.status == OutboxStatus.FAILED
        assert "no staff device" in row.last_error
        assert alert.escalate_at is not None
        staffed.clock.set(alert.escalate_at)
        dispatcher.run_once()
        assert staffed.alert(alert.id).escalated_at == alert.escalate_at

    def test_an_alert_acknowledged_before_the_push_goes_is_not_pushed(
        self, staffed: Staffed, dispatcher: Dispatcher
    ) -> None:
        nurse = staffed.device(staffed.member("nurse@riverside.example"))
        staffed.acknowledge(staffed.raise_alert())
        dispatcher.run_once()
        assert staffed.received(nurse) == {nurse.id: []}
        [row] = staffed.rows(OutboxKind.ALERT)
        assert row.status == OutboxStatus.CANCELLED

    def test_a_gone_staff_browser_is_forgotten(
        self, staffed: Staffed, dispatcher: Dispatcher
    ) -> None:
        nurse = staffed.device(staffed.member("nurse@riverside.example"))
        staffed.push.forget(nurse.id)
        staffed.raise_alert()
        dispatcher.run_once()
        with staffed.factory() as session:
            assert session.exec(select(PushSubscription)).all() == []


class TestEscalation:
    def test_every_clinician_and_admin_gets_it_exactly_once(
        self, staffed: Staffed, dispatcher: Dispatcher
    ) -> None:
        on_call = staffed.device(staffed.member("oncall@riverside.example", on_call=True))
        nurse = staffed.device(staffed.member("nurse@riverside.example"))
        admin = staffed.device(staffed.admin)
        disabled = staffed.device(staffed.member("gone@riverside.example", disabled=True))
        other_clinic = staffed.device(staffed.hill_nurse)
        alert = staffed.raise_alert()
        dispatcher.run_once()
        assert alert.escalate_at == staffed.clock.now() + timedelta(minutes=15)
        staffed.clock.set(alert.escalate_at - timedelta(seconds=1))
        dispatcher.run_once()
        assert staffed.alert(alert.id).escalated_at is None
        staffed.clock.set(alert.escalate_at)
        dispatcher.run_once()
        dispatcher.run_once()  # a second run (or a second dispatcher) changes nothing
        staffed.clock.advance(timedelta(hours=1))
        dispatcher.run_once()
        assert staffed.received(on_call, nurse, admin, disabled, other_clinic) == {
            on_call.id: ["alert", "alert_escalation"],
            nurse.id: ["alert_escalation"],
            admin.id: ["alert_escalation"],
            disabled.id: [],
            other_clinic.id: [],
        }
        assert staffed.alert(alert.id).escalated_at == alert.escalate_at
        [row] = staffed.rows(OutboxKind.ALERT_ESCALATION)
        assert row.status == OutboxStatus.SENT
        delivery = staffed.push.deliveries(nurse.id)[0]
        message = delivery.json()
        assert message["notification"]["body"] == (
            "Urgent report still not acknowledged — open the console"
        )
        assert message["url"] == "/console/#/alerts"
        # Same Topic and tag as the first push: it replaces it rather than piling up.
        assert delivery.topic == alert.id.hex
        assert message["notification"]["tag"] == f"alert-{alert.id}"
        assert_says_nothing_personal(delivery)

    def test_two_dispatchers_escalate_once(
        self, staffed: Staffed, dispatcher: Dispatcher, make_dispatcher: Any
    ) -> None:
        nurse = staffed.device(staffed.member("nurse@riverside.example"))
        alert = staffed.raise_alert()
        assert alert.escalate_at is not None
        staffed.clock.set(alert.escalate_at)
        other = make_dispatcher()
        dispatcher.run_once()
        other.run_once()
        assert staffed.received(nurse) == {nurse.id: ["alert", "alert_escalation"]}

    def test_an_acknowledged_alert_never_escalates(
        self, staffed: Staffed, dispatcher: Dispatcher
    ) -> None:
        nurse = staffed.device(staffed.member("nurse@riverside.example"))
        alert = staffed.raise_alert()
        dispatcher.run_once()
        staffed.acknowledge(alert)
        staffed.clock.advance(timedelta(days=3))
        dispatcher.run_once()
        assert staffed.received(nurse) == {nurse.id: ["alert"]}
        assert staffed.alert(alert.id).escalated_at is None
        assert staffed.rows(OutboxKind.ALERT_ESCALATION) == []

    def test_an_escalation_acknowledged_before_it_is_sent_is_cancelled(
        self, staffed: Staffed, dispatcher: Dispatcher, push: FakePushService
    ) -> None:
        nurse = staffed.device(staffed.member("nurse@riverside.example"))
        alert = staffed.raise_alert()
        dispatcher.run_once()
        push.respond_with(503, times=1)  # the escalation's first try fails, to be retried
        assert alert.escalate_at is not None
        staffed.clock.set(alert.escalate_at)
        dispatcher.run_once()
        [row] = staffed.rows(OutboxKind.ALERT_ESCALATION)
        assert row.status == OutboxStatus.PENDING
        staffed.acknowledge(alert)
        staffed.clock.set(row.next_attempt_at)
        dispatcher.run_once()
        assert staffed.rows(OutboxKind.ALERT_ESCALATION)[0].status == OutboxStatus.CANCELLED
        assert staffed.received(nurse) == {nurse.id: ["alert"]}
