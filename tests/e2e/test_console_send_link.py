"""Sending the enrolment link by e-mail or text from the patient page, in Chromium, to the real
SMTP server and SMS gateway on loopback; the card fits a phone, 320 px and 200 % text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from pydantic import SecretStr

from app.config import Settings
from app.patients.models import Patient
from tests.e2e import console_support as console
from tests.e2e.pwa_support import Live, screenshot_part, scroll_into_view
from tests.support.sms_gateway import LoopbackSmsGateway
from tests.support.smtp_server import LoopbackSmtp


@pytest.fixture
def settings(
    database_url: str, tmp_path: Path, smtp: LoopbackSmtp, sms: LoopbackSmsGateway
) -> Settings:
    return Settings(  # type: ignore[call-arg]
        database_url=database_url,
        public_url="http://testserver",
        vapid_private_key_file=tmp_path / "vapid.pem",
        dispatcher_enabled=False,
        smtp_url=SecretStr(smtp.url),
        mail_from="Riverside Vein Clinic <reminders@clinic.example>",
        sms_url=SecretStr(sms.twilio_url),
        push_timeout_seconds=2.0,
        _env_file=None,
    )


def ada(live: Live) -> Patient:
    return console.ada(live, email="ada@example.org", phone="+44 7700 900123")


def test_send_the_link_by_email_then_by_text(
    live: Live, desk: Any, smtp: LoopbackSmtp, sms: LoopbackSmsGateway
) -> None:
    patient = ada(live)
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.NURSE_EMAIL)
    page.goto(f"/console/#/patients/{patient.id}")
    card = page.get_by_role("region", name="Enrolment link")
    card.get_by_role("button", name="Send by e-mail").click()
    expect(card).to_contain_text("A new link was sent to ada@example.org.")
    assert [m.recipients for m in smtp.received()] == [["ada@example.org"]]
    card.get_by_role("button", name="Send by text").click()
    expect(card).to_contain_text("A new link was sent to +447700900123.")
    assert [t.to for t in sms.received()] == ["+447700900123"]
    console.no_problems(problems)


def test_a_refused_address_is_said_next_to_the_buttons(
    live: Live, desk: Any, smtp: LoopbackSmtp
) -> None:
    patient = ada(live)
    with live.factory() as session:
        stored = session.get(Patient, patient.id)
        assert stored is not None
        stored.email = "bounce@example.org"
        session.add(stored)
        session.commit()
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.NURSE_EMAIL)
    page.goto(f"/console/#/patients/{patient.id}")
    card = page.get_by_role("region", name="Enrolment link")
    card.get_by_role("button", name="Send by e-mail").click()
    expect(card.get_by_role("alert")).to_contain_text("The previous link still works.")
    console.no_problems(problems, 502)


@pytest.mark.parametrize("size", list(console.SIZES))
def test_the_card_fits_small_screens_and_large_text(
    live: Live, browser: Any, size: str, smtp: LoopbackSmtp
) -> None:
    patient = ada(live)
    with console.at_size(browser, live, size) as (page, problems):
        console.sign_in(page, console.NURSE_EMAIL)
        page.goto(f"/console/#/patients/{patient.id}")
        card = page.get_by_role("region", name="Enrolment link")
        card.get_by_role("button", name="Send by e-mail").click()
        expect(card).to_contain_text("A new link was sent")
        scroll_into_view(card)
        page.wait_for_timeout(100)
        screenshot_part(card, f"{size}-console-send-link.png")
        assert card.evaluate(console.LAYOUT) == [], size
        console.no_problems(problems)


def test_staff_record_that_the_patient_wants_texts(live: Live, desk: Any) -> None:
    patient = ada(live)
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.NURSE_EMAIL)
    page.goto(f"/console/#/patients/{patient.id}")
    details = page.get_by_role("region", name="Details")
    expect(details).to_contain_text("push only")
    details.get_by_role("button", name="Change").click()
    form = page.get_by_role("form", name="Reminded also by")
    form.get_by_label("Also remind by").select_option("sms")
    form.get_by_role("button", name="Save").click()
    expect(form.get_by_role("alert")).to_contain_text("agreement")
    form.get_by_label("The patient agreed to be reminded this way").check()
    form.get_by_role("button", name="Save").click()
    expect(details).to_contain_text("push, then text message")
    with live.factory() as session:
        stored = session.get(Patient, patient.id)
        assert stored is not None
        assert (stored.reminder_channel, stored.reminder_consent_by) == ("sms", "staff")
    console.no_problems(problems, 422)
