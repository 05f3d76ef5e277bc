"""Keeping a treatment right on the patient page: a wrong time corrected, with a reason, after
the console says how many tasks move; a re-treatment recorded for the wrong patient voided
(it stays in the list, struck through and marked); a correction without a reason is refused
beside its field. The form fits a 390 x 844 phone, a 320 px one and 200 % text. Screenshots
go to test-artifacts/screens/."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlmodel import col, select

from app.patients.models import Patient, Treatment
from tests.e2e import console_support as console
from tests.e2e.pwa_support import Live, screenshot, screenshot_part, scroll_into_view

LONDON = ZoneInfo("Europe/London")


def ada(live: Live) -> Patient:
    return console.ada(live, treated_hours_ago=3)


def treatments(live: Live, patient: Patient) -> list[Treatment]:
    with live.factory() as session:
        return list(
            session.exec(
                select(Treatment)
                .where(Treatment.patient_id == patient.id)
                .order_by(col(Treatment.number))
            ).all()
        )


def local_input(at: datetime) -> str:
    return at.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")


def test_a_wrong_time_is_corrected_after_saying_what_moves(live: Live, desk: Any) -> None:
    patient = ada(live)
    was = treatments(live, patient)[0].performed_at
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.NURSE_EMAIL)
    page.goto(f"/console/#/patients/{patient.id}")
    details = page.get_by_role("region", name="Details")
    details.get_by_role("button", name=re.compile("^Correct the treatment of")).click()
    form = page.get_by_role("form", name="Correct treatment 1")
    form.get_by_label(re.compile("Date and time")).fill(local_input(was - timedelta(hours=1)))
    form.get_by_role("button", name="Save correction").click()
    reason = form.get_by_label("Reason for the correction (required)")
    expect(form.get_by_role("alert")).to_have_text("Please say why the treatment is corrected.")
    expect(reason).to_be_focused()
    reason.fill("Typed the wrong hour")
    form.get_by_role("button", name="Save correction").click()
    dialog = page.get_by_role("dialog", name="Save the correction?")
    expect(dialog).to_contain_text(re.compile(r"\d+ tasks? moves? to new times"))
    expect(dialog).to_contain_text("Tasks already done stay done.")
    screenshot(page, "console-treatment-correct-preview.png")
    assert treatments(live, patient)[0].performed_at == was  # the preview saved nothing
    dialog.get_by_role("button", name="Save correction").click()
    expect(page.locator("#view .message-ok")).to_contain_text("Treatment corrected.")
    details = page.get_by_role("region", name="Details")
    expect(details.locator(".treatment-list .badge")).to_have_text("corrected")
    [treatment] = treatments(live, patient)
    assert treatment.performed_at == was - timedelta(hours=1)
    assert treatment.correction_reason == "Typed the wrong hour"
    console.no_problems(problems)


def test_a_treatment_for_the_wrong_patient_is_voided_and_stays_listed(
    live: Live, desk: Any
) -> None:
    patient = ada(live)
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.NURSE_EMAIL)
    page.goto(f"/console/#/patients/{patient.id}")
    details = page.get_by_role("region", name="Details")
    # One treatment: a plan needs it, so it can be corrected but not voided.
    expect(details.get_by_role("button", name=re.compile("^Void"))).to_have_count(0)
    retreat = page.get_by_role("region", name="Record a re-treatment")
    retreat.get_by_label(re.compile("Date and time")).fill(
        local_input(live.clock.now() - timedelta(hours=1))
    )
    retreat.get_by_role("button", name="Record treatment").click()
    expect(retreat.locator(".message-ok")).to_be_visible()
    details.get_by_role("button", name=re.compile("^Void the treatment of")).last.click()
    dialog = page.get_by_role("dialog", name=re.compile("^Void the treatment of"))
    expect(dialog).to_contain_text("stays in the record")
    dialog.get_by_role("button", name="Void treatment").click()
    expect(dialog.get_by_role("alert")).to_have_text("Please say why the treatment is voided.")
    dialog.get_by_label("Reason (required)").fill("Recorded for the wrong patient")
    screenshot(page, "console-treatment-void.png")
    dialog.get_by_role("button", name="Void treatment").click()
    # In the view: the screen readers' copy in #announce says it too, a moment later.
    expect(page.locator("#view").get_by_text(re.compile(r"^Treatment voided\."))).to_be_visible()
    voided = details.locator(".treatment-voided")
    expect(voided).to_contain_text("voided")
    expect(voided).to_contain_text("Recorded for the wrong patient")
    expect(details.get_by_role("button", name=re.compile("^Void"))).to_have_count(0)
    first, second = treatments(live, patient)
    assert first.voided_at is None and second.voided_at is not None
    screenshot(page, "console-treatment-voided.png")
    console.no_problems(problems)


@pytest.mark.parametrize("size", list(console.SIZES))
def test_the_form_fits_small_screens_and_large_text(live: Live, browser: Any, size: str) -> None:
    patient = ada(live)
    with console.at_size(browser, live, size) as (page, problems):
        console.sign_in(page, console.NURSE_EMAIL)
        page.goto(f"/console/#/patients/{patient.id}")
        page.get_by_role("button", name=re.compile("^Correct the treatment of")).click()
        form = page.get_by_role("form", name="Correct treatment 1")
        expect(form.get_by_label(re.compile("Date and time"))).to_be_focused()
        scroll_into_view(form)
        page.wait_for_timeout(100)  # fonts and layout settle
        screenshot_part(form, f"{size}-console-treatment-correct.png")
        assert form.evaluate(console.LAYOUT) == [], size
        console.no_problems(problems)
