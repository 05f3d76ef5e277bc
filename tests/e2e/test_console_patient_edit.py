"""Correcting a record on the patient page: a typo in the name saved at once; a move to New
York asks first, saying how many future tasks move, and the plan follows; a bad time is
refused next to the form and nothing changes. The form fits a 390 x 844 phone, a 320 px one and
200 % text. Screenshots go to test-artifacts/screens/."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from app.careplan.daytime import last_day
from app.patients.models import Patient
from app.tasks.models import Occurrence
from tests.e2e import console_support as console
from tests.e2e.pwa_support import Live, screenshot, screenshot_part, scroll_into_view


def ada(live: Live) -> Patient:
    return console.ada(live, treated_hours_ago=2)


def restriction_last_day(live: Live, patient: Patient, task: str) -> date:
    with live.factory() as session:
        row = session.exec(
            select(Occurrence).where(Occurrence.patient_id == patient.id, Occurrence.task == task)
        ).one()
        return last_day(row.window_end, ZoneInfo(patient.time_zone))


def stored(live: Live, patient: Patient) -> Patient:
    with live.factory() as session:
        found = session.get(Patient, patient.id)
        assert found is not None
        return found


def test_a_typo_then_a_move_to_new_york(live: Live, desk: Any) -> None:
    patient = ada(live)
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.NURSE_EMAIL)
    page.goto(f"/console/#/patients/{patient.id}")
    # The restriction's last day is the server's, the day the patient's app names too.
    # (Chromium's en-GB data may put a comma after the weekday.)
    ends = restriction_last_day(live, patient, "avoid_aspirin")
    said = rf"No aspirin for six weeks until and including {ends:%a},? {ends.day} {ends:%b %Y}"
    expect(page.get_by_text(re.compile(said))).to_be_visible()
    details = page.get_by_role("region", name="Details")
    details.get_by_role("button", name="Edit details").click()
    form = page.get_by_role("form", name="Edit details")
    form.get_by_label("Full name").fill("Ada King-Lovelace")
    form.get_by_label("E-mail (optional)").fill("ada@example.org")
    form.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", name="Ada King-Lovelace", level=1)).to_be_visible()
    expect(page.locator("#view .message-ok")).to_have_text("Saved. The plan does not change.")
    assert (stored(live, patient).name, stored(live, patient).email) == (
        "Ada King-Lovelace",
        "ada@example.org",
    )

    page.get_by_role("region", name="Details").get_by_role("button", name="Edit details").click()
    form = page.get_by_role("form", name="Edit details")
    form.get_by_label("Time zone").select_option("America/New_York")
    form.get_by_role("button", name="Save changes").click()
    dialog = page.get_by_role("dialog", name="Save the changes to Ada King-Lovelace?")
    expect(dialog).to_contain_text(re.compile(r"\d+ future tasks move to New York time"))
    screenshot(page, "console-patient-edit-preview.png")
    assert stored(live, patient).time_zone == "Europe/London"  # the preview saved nothing
    dialog.get_by_role("button", name="Save changes").click()
    expect(page.locator("#view .message-ok")).to_contain_text("move to New York time")
    expect(page.get_by_role("region", name="Details")).to_contain_text("America/New_York")
    assert stored(live, patient).time_zone == "America/New_York"
    console.no_problems(problems)


def test_a_bad_day_is_refused_beside_the_form(live: Live, desk: Any) -> None:
    patient = ada(live)
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.NURSE_EMAIL)
    page.goto(f"/console/#/patients/{patient.id}")
    page.get_by_role("button", name="Edit details").click()
    form = page.get_by_role("form", name="Edit details")
    email = form.get_by_label("E-mail (optional)")
    email.fill("ada at example")
    form.get_by_role("button", name="Save changes").click()
    # The refused field is marked, with what is wrong beside it (and the focus on it).
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description(re.compile("like name@example.org"))
    expect(email).to_be_focused()
    expect(form.locator(".field-error")).to_have_count(1)
    screenshot(page, "console-patient-edit-error.png")
    email.fill("")
    form.get_by_label("Usually gets up at").fill("21:30")
    form.get_by_role("button", name="Save changes").click()
    expect(form.get_by_role("alert")).to_contain_text("hours after")
    expect(form.locator(".field-error")).to_have_count(0)  # the earlier mark is gone
    assert str(stored(live, patient).wake_time) == "07:30:00"
    form.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("region", name="Details")).to_contain_text("up 07:30")
    console.no_problems(problems, 422)


@pytest.mark.parametrize("size", list(console.SIZES))
def test_the_form_fits_small_screens_and_large_text(live: Live, browser: Any, size: str) -> None:
    patient = ada(live)
    with console.at_size(browser, live, size) as (page, problems):
        console.sign_in(page, console.NURSE_EMAIL)
        page.goto(f"/console/#/patients/{patient.id}")
        page.get_by_role("button", name="Edit details").click()
        form = page.get_by_role("form", name="Edit details")
        expect(form.get_by_label("Full name")).to_be_focused()
        scroll_into_view(form)
        page.wait_for_timeout(100)  # fonts and layout settle
        screenshot_part(form, f"{size}-console-patient-edit.png")
        assert form.evaluate(console.LAYOUT) == [], size
        console.no_problems(problems)
