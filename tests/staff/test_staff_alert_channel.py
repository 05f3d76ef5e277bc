"""PATCH /api/auth/me and /api/staff/{id}: a staff member's mobile number and how they are also
alerted when on call (push only, e-mail or text), set by themselves or by their clinic's admin."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.audit_log.view import ACTION_LABELS
from app.clock import FixedClock
from app.config import Settings
from app.db import transaction
from app.main import create_app
from app.staff.models import AuditEvent, StaffRole, StaffUser
from tests.support.api import sign_in_staff
from tests.support.factories import make_clinic_with_staff

CHANNELS = {
    "smtp_url": SecretStr("smtp://127.0.0.1:2525"),
    "mail_from": "Riverside <alerts@clinic.example>",
    "sms_url": SecretStr("webhook+http://127.0.0.1:9/sms"),
}


@pytest.fixture
def app(settings: Settings, clock: FixedClock, engine: Engine) -> FastAPI:
    """A server set up to send e-mail and SMS (nothing is sent by these tests)."""
    return create_app(settings.model_copy(update=CHANNELS), clock=clock, engine=engine)


def audit_of(factory: sessionmaker[Session], action: str) -> list[dict[str, Any]]:
    with transaction(factory) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == action)).all()
        return [event.detail for event in events]


class TestOwn:
    def test_me_shows_the_number_the_choice_and_what_the_server_offers(
        self, staff: TestClient
    ) -> None:
        me = staff.get("/api/auth/me").json()
        assert (me["phone"], me["alert_channel"]) == ("", "push")
        assert me["alert_channels_offered"] == ["email", "sms"]

    def test_a_clinician_sets_their_number_and_texts_and_it_is_audited(
        self, staff: TestClient, factory: sessionmaker[Session]
    ) -> None:
        answer = staff.patch(
            "/api/auth/me", json={"phone": "+44 (7700) 900-123", "alert_channel": "sms"}
        )
        assert answer.status_code == 200, answer.text
        assert (answer.json()["phone"], answer.json()["alert_channel"]) == ("+447700900123", "sms")
        assert staff.get("/api/auth/me").json()["alert_channel"] == "sms"
        # The number is personal: that it changed, never what it is.
        assert audit_of(factory, "staff.alert_channel_change") == [
            {"changes": {"phone": True, "alert_channel": "sms"}}
        ]
        assert "staff.alert_channel_change" in ACTION_LABELS
        # Sent again unchanged: nothing more in the trail.
        staff.patch("/api/auth/me", json={"phone": "+447700900123", "alert_channel": "sms"})
        assert len(audit_of(factory, "staff.alert_channel_change")) == 1

    def test_email_needs_no_number_and_goes_to_the_sign_in_address(self, staff: TestClient) -> None:
        answer = staff.patch("/api/auth/me", json={"alert_channel": "email"})
        assert answer.status_code == 200
        assert answer.json()["alert_channel"] == "email"

    @pytest.mark.parametrize("number", ["07700 900123", "+0 7700 900123", "call me", "+44 12"])
    def test_a_number_without_the_country_code_is_one_plain_sentence(
        self, staff: TestClient, number: str
    ) -> None:
        answer = staff.patch("/api/auth/me", json={"phone": number})
        assert answer.status_code == 422
        assert answer.json()["detail"] == (
            "The phone number must start with the country code, like +44 7700 900123."
        )
        assert staff.get("/api/auth/me").json()["phone"] == ""

    def test_texts_without_a_number_are_refused(self, staff: TestClient) -> None:
        answer = staff.patch("/api/auth/me", json={"alert_channel": "sms"})
        assert answer.status_code == 422
        assert answer.json()["code"] == "channel_needs_address"
        assert answer.json()["detail"].startswith("Alerts by text message need a mobile number")
        assert staff.get("/api/auth/me").json()["alert_channel"] == "push"

    def test_removing_the_number_while_on_texts_is_refused(self, staff: TestClient) -> None:
        staff.patch("/api/auth/me", json={"phone": "+447700900123", "alert_channel": "sms"})
        answer = staff.patch("/api/auth/me", json={"phone": ""})
        assert (answer.status_code, answer.json()["code"]) == (422, "channel_needs_address")
        assert (
            staff.patch("/api/auth/me", json={"alert_channel": "push", "phone": ""}).json()["phone"]
            == ""
        )

    def test_an_unknown_channel_or_field_is_one_plain_sentence(self, staff: TestClient) -> None:
        answer = staff.patch("/api/auth/me", json={"alert_channel": "pager"})
        assert answer.status_code == 422
        assert answer.json()["detail"].startswith("The way to alert when on call must be")
        answer = staff.patch("/api/auth/me", json={"on_call": True})  # the admin's to set
        assert answer.status_code == 422

    def test_nobody_signed_in_gets_401(self, client: TestClient) -> None:
        assert client.patch("/api/auth/me", json={"alert_channel": "push"}).status_code == 401


class TestServerWithoutGateways:
    def test_a_channel_the_server_does_not_send_is_refused(
        self, settings: Settings, clock: FixedClock, engine: Engine, factory: sessionmaker[Session]
    ) -> None:
        with TestClient(create_app(settings, clock=clock, engine=engine)) as browser:
            sign_in_staff(browser, factory, now=clock.now())
            assert browser.get("/api/auth/me").json()["alert_channels_offered"] == []
            answer = browser.patch("/api/auth/me", json={"alert_channel": "email"})
            assert (answer.status_code, answer.json()["code"]) == (422, "channel_not_offered")
            assert answer.json()["detail"] == "This server does not send alerts by e-mail."


class TestAdmin:
    @pytest.fixture
    def admin(
        self, client: TestClient, factory: sessionmaker[Session], clock: FixedClock
    ) -> TestClient:
        sign_in_staff(
            client, factory, now=clock.now(), email="admin@riverside.example", role=StaffRole.ADMIN
        )
        return client

    def nurse(self, admin: TestClient) -> dict[str, Any]:
        answer = admin.post(
            "/api/staff",
            json={"email": "sam@riverside.example", "password": "a long enough passphrase"},
        )
        assert answer.status_code == 201, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def test_an_admin_sets_a_colleagues_number_and_choice_and_it_is_audited(
        self, admin: TestClient, factory: sessionmaker[Session]
    ) -> None:
        nurse = self.nurse(admin)
        assert (nurse["phone"], nurse["alert_channel"]) == ("", "push")
        answer = admin.patch(
            f"/api/staff/{nurse['id']}",
            json={"phone": "+44 7700 900111", "alert_channel": "sms", "on_call": True},
        )
        assert answer.status_code == 200, answer.text
        assert (answer.json()["phone"], answer.json()["alert_channel"]) == ("+447700900111", "sms")
        [listed] = [a for a in admin.get("/api/staff").json() if a["id"] == nurse["id"]]
        assert listed["alert_channel"] == "sms"
        [detail] = audit_of(factory, "staff.update")
        assert detail["changes"] == {"phone": True, "alert_channel": "sms", "on_call": True}

    def test_the_same_rules_as_for_ones_own(self, admin: TestClient) -> None:
        nurse = self.nurse(admin)
        answer = admin.patch(f"/api/staff/{nurse['id']}", json={"alert_channel": "sms"})
        assert (answer.status_code, answer.json()["code"]) == (422, "channel_needs_address")
        answer = admin.patch(f"/api/staff/{nurse['id']}", json={"phone": "0770"})
        assert answer.status_code == 422
        assert answer.json()["detail"].startswith("The phone number must start with")

    def test_another_clinics_staff_is_404(
        self, admin: TestClient, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        _, other = make_clinic_with_staff(
            factory, now=clock.now(), clinic_name="Hill", email="x@hill.example"
        )
        answer = admin.patch(f"/api/staff/{other.id}", json={"alert_channel": "email"})
        assert answer.status_code == 404
        with factory() as session:
            found = session.get(StaffUser, other.id)
            assert found is not None and found.alert_channel == "push"

    def test_a_clinician_cannot_set_a_colleagues(
        self, staff: TestClient, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        me = staff.get("/api/auth/me").json()
        answer = staff.patch(f"/api/staff/{me['id']}", json={"alert_channel": "email"})
        assert answer.status_code == 403
