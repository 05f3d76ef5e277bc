"""The patient's language in the console: chosen when enrolling (Polski), shown on the patient
page ("Language: Polski"), and changed in Edit details; the server texts follow it."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from sqlmodel import select

from app.patients.models import Patient
from tests.e2e.console_support import (
    NURSE_EMAIL,
    desk,
    no_problems,
    open_console,
    riverside,
    sign_in,
)
from tests.e2e.pwa_support import Live, screenshot

__all__ = ["desk"]  # the fixture, used by name


def stored(live: Live, name: str) -> Patient:
    with live.factory() as session:
        return session.exec(select(Patient).where(Patient.name == name)).one()


def test_enrol_in_polish_see_it_and_change_it_back(live: Live, desk: Any) -> None:
    riverside(live)
    page, problems = open_console(desk, live)
    sign_in(page, NURSE_EMAIL)
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Enrol").click()
    expect(page.get_by_label("Language")).to_have_value("en")  # English unless chosen
    page.get_by_label("Full name").fill("Zofia Nowak")
    page.get_by_label("Time zone").select_option("Europe/Warsaw")
    page.get_by_label("Language").select_option(label="Polski")
    page.get_by_label("Duplex ultrasound (Doppler) done").check()
    page.get_by_role("button", name="Enrol and create link").click()
    result = page.get_by_role("region", name="Zofia Nowak is enrolled")
    expect(result).to_be_visible()
    assert stored(live, "Zofia Nowak").language == "pl"

    page.goto(f"/console/#/patients/{stored(live, 'Zofia Nowak').id}")
    details = page.get_by_role("region", name="Details")
    language = details.locator("dt", has_text="Language").locator("xpath=following-sibling::dd[1]")
    expect(language).to_have_text("Polski")
    expect(language).to_have_attribute("lang", "pl")
    screenshot(page, "console-patient-language.png")

    details.get_by_role("button", name="Edit details").click()
    form = page.get_by_role("form", name="Edit details")
    expect(form.get_by_label("Language")).to_have_value("pl")
    form.get_by_label("Language").select_option(label="English")
    form.get_by_role("button", name="Save changes").click()
    expect(page.locator("#view .message-ok")).to_contain_text("Saved.")
    expect(language).to_have_text("English")
    assert stored(live, "Zofia Nowak").language == "en"
    no_problems(problems)
