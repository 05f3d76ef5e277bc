"""The patient's language in the console: chosen when enrolling (Polski), shown on the patient
page ("Language: Polski"), and changed in Edit details; the server texts follow it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from app.patients.models import Patient
from tests.e2e import console_support as console
from tests.e2e.pwa_support import Live, screenshot, screenshot_part, scroll_into_view
from tests.support.factories import make_patient


def stored(live: Live, name: str) -> Patient:
    with live.factory() as session:
        return session.exec(select(Patient).where(Patient.name == name)).one()


def test_enrol_in_polish_see_it_and_change_it_back(live: Live, desk: Any) -> None:
    console.riverside(live)
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.NURSE_EMAIL)
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
    console.no_problems(problems)


@pytest.mark.parametrize("size", list(console.SIZES))
def test_the_language_fits_small_screens_and_large_text(
    live: Live, browser: Any, size: str
) -> None:
    clinic = console.riverside(live)
    now = live.clock.now()
    patient, _ = make_patient(
        live.factory, clinic=clinic.clinic, staff=clinic.nurse, now=now, settings=live.settings,
        treatment={"performed_at": (now - timedelta(hours=2)).isoformat()}, language="pl",
    )  # fmt: skip
    with console.at_size(browser, live, size) as (page, problems):
        console.sign_in(page, console.NURSE_EMAIL)
        page.goto(f"/console/#/patients/{patient.id}")
        details = page.get_by_role("region", name="Details")
        expect(details.get_by_text("Polski")).to_be_visible()
        page.wait_for_timeout(100)  # fonts and layout settle
        screenshot_part(details, f"{size}-console-patient-language.png")
        # The language's own line (the card's other facts are measured with their own pages).
        shown = details.locator("dt", has_text="Language").locator("xpath=following-sibling::dd[1]")
        assert shown.evaluate(console.LAYOUT) == [], size
        page.goto("/console/#/enrol")
        form = page.locator("form.enrol-form")
        expect(form.get_by_label("Language")).to_be_visible()
        scroll_into_view(form.get_by_label("Language"))
        screenshot_part(form, f"{size}-console-enrol-language.png")
        assert form.evaluate(console.LAYOUT) == [], size
        console.no_problems(problems)
