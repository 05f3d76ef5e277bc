"""Enrolled at the consultation, before the treatment: the nurse ticks "booked" on the enrol
form; the patient pairs their phone and sees "Your treatment is on Thursday 2 April at 10:00"
with what to prepare, and no tasks; on the day the console shows the booking as "to confirm",
the nurse confirms it done at the time it really happened, and the plan starts from it. The
phone's card fits a 390 x 844 phone, a 320 px one and 200 % text. Screenshots go to
test-artifacts/screens/."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from app.patients.models import Patient, Treatment
from tests.e2e import console_support as console
from tests.e2e.pwa_support import (
    Live,
    open_page,
    screenshot,
    screenshot_part,
    scroll_into_view,
    unexpected,
)
from tests.support.factories import make_patient

ON_THE_DAY = datetime.fromisoformat("2026-04-02T13:00:00+01:00")


def test_enrol_ahead_pair_the_phone_then_confirm_the_treatment_done(
    live: Live, desk: Any, handset: Any
) -> None:
    clinic = console.riverside(live)
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.NURSE_EMAIL)
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Enrol").click()
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Date and time (Europe/London)").fill("2026-04-02T10:00")
    page.get_by_label(re.compile("^Not done yet: booked")).check()
    page.get_by_label(re.compile("^Duplex ultrasound")).check()
    page.get_by_role("button", name="Enrol and create link").click()
    result = page.get_by_role("region", name="Ada Lovelace is enrolled")
    url = result.get_by_role("textbox", name="Enrolment link").input_value()
    with live.factory() as session:
        ada = session.exec(select(Patient).where(Patient.clinic_id == clinic.clinic.id)).one()
        [treatment] = session.exec(select(Treatment).where(Treatment.patient_id == ada.id)).all()
    assert treatment.booked and treatment.performed_at.isoformat().startswith("2026-04-02T09:00")

    phone, phone_problems = open_page(handset, live.clock.now())
    phone.goto(url)
    booked = phone.get_by_role("region", name="Your treatment")
    expect(booked).to_contain_text("Your treatment is on Thursday 2 April at 10:00")
    expect(booked.get_by_role("listitem").first).to_be_visible()  # what to prepare
    expect(phone.get_by_text("Nothing to tick off on this day.")).to_be_visible()
    screenshot(phone, "pwa-booked-treatment.png")

    # On the day, after the treatment (done at 10:40, not 10:00): the console asks to confirm.
    live.clock.set(ON_THE_DAY)
    page.clock.set_fixed_time(ON_THE_DAY)
    page.goto("/console/#/patients")
    console.sign_in(page, console.NURSE_EMAIL)  # a new day: yesterday's session has ended
    expect(page.get_by_text(re.compile("^to confirm · 2 Apr"))).to_be_visible()
    page.goto(f"/console/#/patients/{ada.id}")
    expect(page.locator(".page-head").get_by_text("treatment to confirm")).to_be_visible()
    details = page.get_by_role("region", name="Details")
    details.get_by_role("button", name=re.compile("^Confirm the treatment of .* done$")).click()
    form = page.get_by_role("form", name="Confirm the treatment done")
    form.get_by_label("Done at (Europe/London)").fill("2026-04-02T10:40")
    screenshot(page, "console-treatment-confirm.png")
    form.get_by_role("button", name="Confirm done").click()
    expect(page.locator("#view .message-ok").first).to_contain_text("Treatment confirmed done")
    plan = page.get_by_role("region", name="Plan")
    expect(plan.locator(".chip").first).to_be_visible()
    with live.factory() as session:
        done = session.get(Treatment, treatment.id)
        assert done is not None and not done.booked
        assert done.performed_at.isoformat().startswith("2026-04-02T09:40")
    console.no_problems(problems)
    assert unexpected(phone_problems) == []


@pytest.mark.parametrize("size", list(console.SIZES))
def test_the_booked_card_fits_small_screens_and_large_text(
    live: Live, browser: Any, size: str
) -> None:
    clinic = console.riverside(live)
    _, link = make_patient(
        live.factory, clinic=clinic.clinic, staff=clinic.nurse, now=live.clock.now(),
        settings=live.settings,
        treatment={"performed_at": "2026-04-02T10:00:00+01:00", "booked": True},
    )  # fmt: skip
    with console.at_size(browser, live, size) as (page, problems):
        page.goto(link.url)
        card = page.get_by_role("region", name="Your treatment")
        expect(card).to_contain_text("Thursday 2 April")
        page.wait_for_load_state("networkidle")  # the first sync re-renders the day
        scroll_into_view(card)
        page.wait_for_timeout(100)  # fonts and layout settle
        screenshot_part(card, f"{size}-pwa-booked-treatment.png")
        assert card.evaluate(console.LAYOUT) == [], size
        assert unexpected(problems) == []
