"""Sending the enrolment link by e-mail or SMS from the patient page: the real SMTP server and
SMS gateway on loopback; who it is from, the limit, failures that change nothing, the audit."""

from __future__ import annotations

import re
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
from app.staff.models import AuditEvent
from tests.support.api import enrol, pair_phone
from tests.support.sms_gateway import LoopbackSmsGateway
from tests.support.smtp_server import LoopbackSmtp


@pytest.fixture
def app(
    settings: Settings,
    clock: FixedClock,
    engine: Engine,
    smtp: LoopbackSmtp,
    sms: LoopbackSmsGateway,
) -> FastAPI:
    update = {
        "smtp_url": SecretStr(smtp.url),
        "mail_from": "Riverside Vein Clinic <reminders@clinic.example>",
        "sms_url": SecretStr(sms.twilio_url),
        "push_timeout_seconds": 2.0,
    }
    return create_app(settings.model_copy(update=update), clock=clock, engine=engine)


@pytest.fixture
def ada(staff: TestClient) -> dict[str, Any]:
    return enrol(staff, email="ada@example.org", phone="+44 7700 900123")


def _send(staff: TestClient, patient_id: str, channel: str) -> Any:
    return staff.post(f"/api/patients/{patient_id}/enrolment/send", json={"channel": channel})


def _link(text: str) -> str:
    found = re.search(r"http://testserver/\S+", text)
    assert found is not None, text
    return found.group(0)


def test_the_link_goes_by_email_from_the_clinic_and_pairs_a_phone(
    staff: TestClient, phone: TestClient, ada: dict[str, Any], smtp: LoopbackSmtp
) -> None:
    answer = _send(staff, ada["id"], "email")
    assert answer.status_code == 200, answer.text
    assert answer.json()["to"] == "ada@example.org"
    [mail] = smtp.received()
    assert mail.recipients == ["ada@example.org"]
    assert mail.message["Subject"] == "Your Aftercare link from Riverside Vein Clinic"
    assert "at Riverside Vein Clinic has sent you your Aftercare link" in mail.text
    # The link in the e-mail is the new one; the one from enrolment no longer works.
    code = _link(mail.text).split("/enrol#")[-1]
    old = phone.post("/api/enrol", json={"code": ada["enrolment"]["code"]})
    assert old.status_code == 410
    assert pair_phone(phone, code)["name"]


def test_the_link_goes_by_text_with_who_sent_it(
    staff: TestClient, ada: dict[str, Any], sms: LoopbackSmsGateway
) -> None:
    answer = _send(staff, ada["id"], "sms")
    assert answer.status_code == 200, answer.text
    [text] = sms.received()
    assert text.to == "+447700900123"
    assert text.body.startswith("Riverside Vein Clinic: here is your Aftercare link")
    assert "Sent by " in text.body


def test_sending_is_audited_and_limited(
    staff: TestClient, ada: dict[str, Any], factory: sessionmaker[Session]
) -> None:
    for _ in range(3):
        assert _send(staff, ada["id"], "sms").status_code == 200
    refused = _send(staff, ada["id"], "email")
    assert refused.status_code == 429
    assert refused.json()["code"] == "too_many_sends"
    assert int(refused.headers["Retry-After"]) > 0
    with factory() as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "enrolment.send")).all()
    assert [e.detail for e in events] == [{"channel": "sms"}] * 3


def test_a_refused_address_changes_nothing(
    staff: TestClient, phone: TestClient, ada: dict[str, Any], smtp: LoopbackSmtp
) -> None:
    staff.patch(f"/api/patients/{ada['id']}", json={"email": "bounce@example.org"})
    answer = _send(staff, ada["id"], "email")
    assert answer.status_code == 502
    assert answer.json()["code"] == "send_failed"
    assert "previous link still works" in answer.json()["detail"]
    assert pair_phone(phone, ada["enrolment"]["code"])["name"]


def test_a_gateway_down_changes_nothing(
    staff: TestClient, phone: TestClient, ada: dict[str, Any], sms: LoopbackSmsGateway
) -> None:
    sms.answers.append((503, {}, "{}"))
    answer = _send(staff, ada["id"], "sms")
    assert answer.status_code == 502
    assert "Try again in a few minutes" in answer.json()["detail"]
    assert pair_phone(phone, ada["enrolment"]["code"])["name"]


def test_a_record_without_a_textable_number_is_refused(staff: TestClient) -> None:
    patient = enrol(staff, phone="07700 900123")
    answer = _send(staff, patient["id"], "sms")
    assert answer.status_code == 422
    assert answer.json()["code"] == "channel_needs_address"


def test_a_polish_patient_gets_the_link_in_polish_with_a_polish_date(
    staff: TestClient, sms: LoopbackSmsGateway, smtp: LoopbackSmtp
) -> None:
    zofia = enrol(
        staff, email="zofia@example.org", phone="+44 7700 900124", language="pl",
        time_zone="Europe/Warsaw",
    )  # fmt: skip
    assert _send(staff, zofia["id"], "sms").status_code == 200
    [text] = sms.received()
    assert text.body.startswith("Riverside Vein Clinic: oto Twój link do Aftercare")
    # The link lasts 14 days from the pinned Friday 27 March 2026: Friday 10 April, in Polish.
    assert re.search(r"Działa jeden raz, do pt\., 10 kwi o \d\d:\d\d\.", text.body), text.body
    assert _send(staff, zofia["id"], "email").status_code == 200
    [mail] = smtp.received()
    assert mail.message["Subject"] == "Twój link do Aftercare od: Riverside Vein Clinic"
    assert mail.text.startswith("Dzień dobry, ")
