"""Settings: choosing e-mail or text as a second way to be reminded, in Chromium, at phone
width, at 320 px and at 200 % text; the choice reaches the record with the consent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from pydantic import SecretStr

from app.config import Settings
from app.patients.models import Patient
from tests.e2e.pwa_support import Enrolled, Live, open_page, screenshot, scroll_into_view
from tests.e2e.test_pwa_zoom import STICKING_OUT
from tests.support.factories import make_clinic_with_staff, make_patient

SMALL = {"width": 320, "height": 640}
ZOOMED = {"width": 195, "height": 422}


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """A server set up to send e-mail and SMS (nothing is sent here)."""
    return Settings(  # type: ignore[call-arg]
        database_url=database_url,
        public_url="http://testserver",
        vapid_private_key_file=tmp_path / "vapid.pem",
        dispatcher_enabled=False,
        smtp_url=SecretStr("smtp://127.0.0.1:2525"),
        mail_from="Riverside <reminders@clinic.example>",
        sms_url=SecretStr("webhook+http://127.0.0.1:9/sms"),
        _env_file=None,
    )


@pytest.fixture
def enrolled(live: Live) -> Enrolled:
    """Ada with an e-mail address and a mobile number with its country code."""
    now = live.clock.now()
    clinic, staff = make_clinic_with_staff(live.factory, now=now)
    patient, link = make_patient(
        live.factory, clinic=clinic, staff=staff, now=now, settings=live.settings,
        email="ada@example.org", phone="+44 7700 900123",
    )  # fmt: skip
    return Enrolled(patient, link)


def _patient(live: Live, enrolled: Enrolled) -> Patient:
    with live.factory() as session:
        patient = session.get(Patient, enrolled.patient.id)
        assert patient is not None
        return patient


def _small_targets(page: Any) -> list[str]:
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll('#channel-heading ~ form label.check, '
                + '#save-channel')]
                .filter((e) => e.getBoundingClientRect().height < 44)
                .map((e) => e.textContent.trim().slice(0, 30))"""
        )
    )


def test_choose_email_with_consent(live: Live, enrolled: Enrolled, handset: Any) -> None:
    page, problems = open_page(handset, live.clock.now())
    page.goto(enrolled.link.url)
    page.get_by_role("link", name="Settings").click()
    card = page.get_by_role("region", name="If a reminder does not reach this phone")
    expect(card.get_by_label("By e-mail to ada@example.org")).to_be_visible()
    expect(card.get_by_label("By text message to +447700900123")).to_be_visible()
    card.get_by_label("By e-mail to ada@example.org").check()
    card.get_by_role("button", name="Save").click()
    # Without the box ticked nothing is saved, and the page says why.
    expect(page.locator("#channel-status")).to_contain_text("agreement")
    assert _patient(live, enrolled).reminder_channel == ""
    card.get_by_label("I agree to get these reminders", exact=False).check()
    card.get_by_role("button", name="Save").click()
    expect(page.locator("#channel-status")).to_have_text("Saved.")
    patient = _patient(live, enrolled)
    assert patient.reminder_channel == "email"
    assert patient.reminder_consent_by == "patient"
    assert _small_targets(page) == []
    scroll_into_view(card)
    screenshot(page, "settings-channel-390.png")
    assert problems == [] or all("422" in p for p in problems)


@pytest.mark.parametrize(("viewport", "name"), [(SMALL, "320"), (ZOOMED, "zoom200")])
def test_the_card_fits_narrow_screens_and_large_text(
    live: Live, enrolled: Enrolled, browser: Any, viewport: dict[str, int], name: str
) -> None:
    context = browser.new_context(
        viewport=viewport,
        device_scale_factor=2 if name == "zoom200" else 1,
        base_url=live.base_url,
        locale="en-GB",
    )
    try:
        page, problems = open_page(context, live.clock.now())
        page.goto(enrolled.link.url)
        page.get_by_role("link", name="Settings").click()
        card = page.get_by_role("region", name="If a reminder does not reach this phone")
        expect(card).to_be_visible()
        scroll_into_view(card)
        assert page.evaluate(STICKING_OUT) == []
        screenshot(page, f"settings-channel-{name}.png")
        assert problems == []
    finally:
        context.close()
