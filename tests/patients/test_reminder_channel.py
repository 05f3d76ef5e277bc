"""Choosing a second way to be reminded (e-mail or SMS): by the patient or by staff, with
consent, only where the record can be reached and the server can send; the clinic's rules."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.clock import FixedClock
from app.config import Settings
from app.main import create_app
from app.shared.phone import sms_number
from app.staff.models import AuditEvent, StaffRole
from tests.support.api import enrol, pair_phone, sign_in_staff

CHANNELS = {
    "smtp_url": SecretStr("smtp://127.0.0.1:2525"),
    "mail_from": "Riverside <reminders@clinic.example>",
    "sms_url": SecretStr("webhook+http://127.0.0.1:9/sms"),
}


@pytest.fixture
def app(settings: Settings, clock: FixedClock, engine: Engine) -> FastAPI:
    """A server set up to send e-mail and SMS (nothing is sent by these tests)."""
    return create_app(settings.model_copy(update=CHANNELS), clock=clock, engine=engine)


@pytest.fixture
def ada(staff: TestClient, phone: TestClient) -> tuple[str, TestClient]:
    """Ada with an e-mail address and a mobile number in international form, paired."""
    created = enrol(staff, email="ada@example.org", phone="+44 7700 900123")
    pair_phone(phone, created["enrolment"]["code"])
    return created["id"], phone


def test_the_phone_offers_what_the_server_can_send(ada: tuple[str, TestClient]) -> None:
    _, phone = ada
    shown = phone.get("/api/me").json()["reminders_by"]
    assert shown == {
        "channel": "",
        "consent_at": None,
        "consent_by": "",
        "offered": ["email", "sms"],
        "email": "ada@example.org",
        "sms_number": "+447700900123",
        "problem": None,
        "problem_at": None,
    }


def test_the_patient_chooses_email_with_consent_recorded(
    ada: tuple[str, TestClient], clock: FixedClock
) -> None:
    _, phone = ada
    answer = phone.put("/api/me/reminder-channel", json={"channel": "email", "consent": True})
    assert answer.status_code == 200, answer.text
    shown = answer.json()["reminders_by"]
    assert shown["channel"] == "email"
    assert shown["consent_by"] == "patient"
    assert shown["consent_at"] == clock.now().isoformat().replace("+00:00", "Z")
    stopped = phone.put("/api/me/reminder-channel", json={"channel": ""}).json()["reminders_by"]
    assert (stopped["channel"], stopped["consent_at"], stopped["consent_by"]) == ("", None, "")


def test_without_consent_nothing_changes(ada: tuple[str, TestClient]) -> None:
    _, phone = ada
    answer = phone.put("/api/me/reminder-channel", json={"channel": "sms"})
    assert answer.status_code == 422
    assert answer.json()["code"] == "channel_needs_consent"
    assert "agreement" in answer.json()["detail"]
    assert phone.get("/api/me").json()["reminders_by"]["channel"] == ""


@pytest.mark.parametrize(
    ("fields", "channel"),
    [({"phone": "07700 900123"}, "sms"), ({}, "email"), ({"phone": None}, "sms")],
)
def test_a_record_without_a_reachable_address_is_refused_in_plain_words(
    staff: TestClient, phone: TestClient, fields: dict[str, Any], channel: str
) -> None:
    pair_phone(phone, enrol(staff, **fields)["enrolment"]["code"])
    answer = phone.put("/api/me/reminder-channel", json={"channel": channel, "consent": True})
    assert answer.status_code == 422
    assert answer.json()["code"] == "channel_needs_address"
    assert phone.get("/api/me").json()["reminders_by"]["channel"] == ""


def test_an_unknown_channel_is_refused(ada: tuple[str, TestClient]) -> None:
    _, phone = ada
    answer = phone.put("/api/me/reminder-channel", json={"channel": "fax", "consent": True})
    assert answer.status_code == 422
    assert answer.json()["code"] == "invalid_input"


def test_staff_record_the_choice_and_it_is_audited(
    ada: tuple[str, TestClient], staff: TestClient, factory: sessionmaker[Session]
) -> None:
    patient_id, phone = ada
    answer = staff.put(
        f"/api/patients/{patient_id}/reminder-channel", json={"channel": "sms", "consent": True}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["reminders_by"]["consent_by"] == "staff"
    assert phone.get("/api/me").json()["reminders_by"]["channel"] == "sms"
    with factory() as session:
        event = session.exec(
            select(AuditEvent).where(AuditEvent.action == "patient.reminder_channel")
        ).one()
    assert event.detail == {"channel": "sms", "changed": True}


def test_a_server_without_a_mail_server_does_not_offer_email(
    settings: Settings,
    clock: FixedClock,
    engine: Engine,
    factory: sessionmaker[Session],
) -> None:
    plain = create_app(settings, clock=clock, engine=engine)
    with TestClient(plain) as browser, TestClient(plain) as handset:
        sign_in_staff(browser, factory, now=clock.now())
        pair_phone(handset, enrol(browser, email="ada@example.org")["enrolment"]["code"])
        assert handset.get("/api/me").json()["reminders_by"]["offered"] == []
        answer = handset.put("/api/me/reminder-channel", json={"channel": "email", "consent": True})
        assert answer.status_code == 422
        assert answer.json()["code"] == "channel_not_offered"


class TestClinicRules:
    @pytest.fixture
    def admin(
        self, client: TestClient, factory: sessionmaker[Session], clock: FixedClock
    ) -> TestClient:
        sign_in_staff(
            client, factory, now=clock.now(), email="admin@riverside.example", role=StaffRole.ADMIN
        )
        return client

    def test_the_defaults_are_the_leaflets_must_not_miss_steps(self, admin: TestClient) -> None:
        shown = admin.get("/api/clinic").json()
        assert shown["fallback_tasks"] == ["remove_stocking", "hydrocortisone", "follow_up"]
        assert (shown["fallback_after_minutes"], shown["sms_per_day"]) == (10, 4)

    def test_an_admin_changes_them(self, admin: TestClient) -> None:
        answer = admin.patch(
            "/api/clinic",
            json={"fallback_tasks": ["remove_stocking"], "fallback_after_minutes": 20},
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["fallback_tasks"] == ["remove_stocking"]

    @pytest.mark.parametrize(
        "change",
        [
            {"fallback_tasks": ["remove_stockings"]},
            {"fallback_after_minutes": 0},
            {"sms_per_day": 51},
            {"fallback_tasks": ["Remove Stocking"]},
        ],
    )
    def test_a_bad_value_is_refused_and_changes_nothing(
        self, admin: TestClient, change: dict[str, Any]
    ) -> None:
        before = admin.get("/api/clinic").json()
        answer = admin.patch("/api/clinic", json=change)
        assert answer.status_code == 422
        assert answer.json()["detail"]
        assert admin.get("/api/clinic").json() == before


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("+44 7700 900123", "+447700900123"),
        ("+1 (555) 000-1111", "+15550001111"),
        ("07700 900123", None),
        ("+0 123", None),
        (None, None),
    ],
)
def test_a_textable_number_has_the_country_code(typed: str | None, number: str | None) -> None:
    assert sms_number(typed) == number
