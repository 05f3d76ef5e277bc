"""A half-filled form survives a session that ended: after signing in again the nurse is back
on the form with what she typed, kept only in that tab (sessionStorage), never a password;
signing out on purpose keeps nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from playwright.sync_api import expect

from app.patients.models import Patient
from tests.e2e import console_support as console
from tests.e2e.pwa_support import Live
from tests.support.factories import STAFF_PASSWORD, make_patient


def sign_in_again(page: Any) -> None:
    expect(
        page.locator("#view").get_by_text("Your session has ended. Please sign in again.")
    ).to_be_visible()
    page.get_by_label("E-mail").fill(console.NURSE_EMAIL)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_the_enrolment_form_comes_back_after_signing_in_again(live: Live, desk: Any) -> None:
    console.riverside(live)
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.NURSE_EMAIL)
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Enrol").click()
    page.get_by_label("Full name").fill("Edith Cavell")
    page.get_by_label("Mobile phone (optional)").fill("+44 7700 900456")
    page.get_by_label("Compression stockings advised").uncheck()
    page.get_by_label("Duplex ultrasound (Doppler) done at the consultation", exact=False).check()
    page.context.clear_cookies()  # the session ends (idle too long, or signed out elsewhere)
    page.get_by_role("button", name="Enrol and create link").click()
    sign_in_again(page)
    expect(page.get_by_role("heading", name="Enrol a patient")).to_be_visible()
    expect(page.get_by_label("Full name")).to_have_value("Edith Cavell")
    expect(page.get_by_label("Mobile phone (optional)")).to_have_value("+44 7700 900456")
    expect(page.get_by_label("Compression stockings advised")).not_to_be_checked()
    kept = page.evaluate("JSON.stringify(sessionStorage)")
    assert STAFF_PASSWORD not in kept
    assert page.evaluate("localStorage.getItem('console.drafts')") is None  # this tab only
    console.no_problems(problems, 401)


def test_the_patients_edit_form_opens_again_with_what_was_typed(live: Live, desk: Any) -> None:
    clinic = console.riverside(live)
    now = live.clock.now()
    patient, _ = make_patient(
        live.factory, clinic=clinic.clinic, staff=clinic.nurse, now=now, settings=live.settings,
        treatment={"performed_at": (now - timedelta(hours=2)).isoformat()},
    )  # fmt: skip
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.NURSE_EMAIL)
    page.goto(f"/console/#/patients/{patient.id}")
    page.get_by_role("button", name="Edit details").click()
    form = page.get_by_role("form", name="Edit details")
    form.get_by_label("Full name").fill("Ada King-Lovelace")
    page.context.clear_cookies()
    form.get_by_role("button", name="Save changes").click()
    sign_in_again(page)
    form = page.get_by_role("form", name="Edit details")
    expect(form.get_by_label("Full name")).to_have_value("Ada King-Lovelace")
    form.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", name="Ada King-Lovelace", level=1)).to_be_visible()
    with live.factory() as session:
        saved = session.get(Patient, patient.id)
        assert saved is not None and saved.name == "Ada King-Lovelace"
    console.no_problems(problems, 401)


def test_signing_out_on_purpose_keeps_nothing(live: Live, desk: Any) -> None:
    console.riverside(live)
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.NURSE_EMAIL)
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Enrol").click()
    page.get_by_label("Full name").fill("Edith Cavell")
    page.get_by_role("button", name="Sign out").click()
    console.sign_in(page, console.NURSE_EMAIL)
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Enrol").click()
    expect(page.get_by_label("Full name")).to_have_value("")
    assert page.evaluate("sessionStorage.getItem('console.drafts')") is None
    console.no_problems(problems)
