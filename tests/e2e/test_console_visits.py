"""Console: visits still to book across the clinic, the protocol line, a second course."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import expect
from sqlmodel import select

from app.patients.models import Patient
from app.staff.models import AuditEvent
from tests.e2e import console_support as console
from tests.e2e.pwa_support import Live, screenshot
from tests.support.factories import make_patient


def test_visits_to_book_lead_to_the_patients_booking_form(live: Live, desk: Any) -> None:
    clinic = console.riverside(live)
    now = live.clock.now()  # Fri 27 Mar 2026 12:00 UTC
    ada, _ = make_patient(
        live.factory, clinic=clinic.clinic, staff=clinic.nurse, now=now, settings=live.settings,
        treatment={"performed_at": (now - timedelta(hours=2)).isoformat()},
    )  # fmt: skip
    # Treated on a Saturday: its first visit falls on a Saturday, the clinic is shut.
    make_patient(
        live.factory, clinic=clinic.clinic, staff=clinic.nurse, now=now, settings=live.settings,
        name="Bea Brown", treatment={"performed_at": "2026-03-21T10:00:00+00:00"},
    )  # fmt: skip
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.NURSE_EMAIL)
    page.get_by_role("navigation", name="Console").get_by_role(
        "link", name="Visits to book"
    ).click()
    expect(page.get_by_role("heading", name="Visits to book", level=1)).to_be_visible()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Saturday, 4 April 2026")
    expect(rows.nth(0)).to_contain_text("Bea Brown")
    expect(rows.nth(0)).to_contain_text("Mon, 6 Apr 2026, 08:00")  # Monday's opening
    expect(rows.nth(1)).to_contain_text("Ada Lovelace")
    expect(rows.nth(1)).to_contain_text("Fri, 10 Apr 2026, 10:00")
    screenshot(page, "console-visits-to-book.png")

    rows.nth(1).get_by_role(
        "link", name="Book Check-up and possible top-up treatment for Ada Lovelace"
    ).click()
    expect(page.get_by_role("heading", name="Ada Lovelace", level=1)).to_be_visible()
    booking = page.locator('input[data-key="follow_up/1"]')
    expect(booking).to_be_focused()
    visits = page.locator("section[aria-labelledby=visits-h]")
    expect(visits).to_contain_text("to book")
    booking.fill("2026-04-10T14:30")
    visits.get_by_role("button", name="Book").first.click()
    expect(visits).to_contain_text("booked")
    with live.factory() as session:
        assert session.get(Patient, ada.id) is not None
    page.get_by_role("navigation", name="Console").get_by_role(
        "link", name="Visits to book"
    ).click()
    expect(page.locator("tbody tr")).to_have_count(1)
    console.no_problems(problems)


def test_the_protocol_line_offers_the_newer_version_and_asks_why(live: Live, desk: Any) -> None:
    clinic = console.riverside(live)
    now = live.clock.now()
    patient, _ = make_patient(
        live.factory, clinic=clinic.clinic, staff=clinic.nurse, now=now, settings=live.settings,
        protocol_version=1, treatment={"performed_at": (now - timedelta(hours=2)).isoformat()},
    )  # fmt: skip
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.NURSE_EMAIL)
    page.goto(f"/console/#/patients/{patient.id}")
    line = page.locator("#protocol-line")
    expect(line).to_have_text("microsclerotherapy v1 (v2 available) Move to v2…")
    screenshot(page, "console-patient-protocol.png")
    line.get_by_role("button", name="Move to v2…").click()
    dialog = page.get_by_role("dialog", name="Move Ada Lovelace to microsclerotherapy v2?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Move to v2").click()  # no reason yet
    expect(dialog.get_by_role("alert")).to_have_text("Please give the reason for the move.")
    dialog.get_by_label("Reason for the move (required)").fill("Clinical lead approved v2")
    screenshot(page, "console-patient-protocol-dialog.png")
    dialog.get_by_role("button", name="Move to v2").click()
    expect(dialog).to_be_hidden()
    expect(line).to_have_text("microsclerotherapy v2")
    with live.factory() as session:
        details = session.exec(
            select(AuditEvent.detail).where(AuditEvent.action == "patient.protocol")
        ).all()
    # Free text stays out of the trail (it outlives erasure): its length only.
    assert [d["reason_length"] for d in details] == [len("Clinical lead approved v2")]
    console.no_problems(problems)


def test_a_second_course_shows_on_the_timeline_with_its_visits(live: Live, desk: Any) -> None:
    clinic = console.riverside(live)
    first = datetime(2026, 1, 30, 10, 0, tzinfo=UTC)  # 56 days before now: the final review
    live.clock.set(first + timedelta(hours=1))
    patient, _ = make_patient(
        live.factory, clinic=clinic.clinic, staff=clinic.nurse, now=live.clock.now(),
        settings=live.settings, treatment={"performed_at": first.isoformat()},
    )  # fmt: skip
    live.clock.set(datetime(2026, 3, 27, 12, 0, tzinfo=UTC))
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.NURSE_EMAIL)
    page.goto(f"/console/#/patients/{patient.id}")
    form = page.locator("section[aria-labelledby=retreat-h]")
    expect(form.get_by_label("Method")).to_have_value("sclerotherapy")
    form.get_by_label("Date and time (Europe/London)").fill("2026-03-27T11:00")
    form.get_by_label("Method").select_option("laser")
    form.get_by_role("button", name="Record treatment").click()
    expect(form).to_contain_text("Treatment recorded")
    visits = page.locator("section[aria-labelledby=visits-h]")
    expect(visits).to_contain_text("Check-up and possible top-up treatment")
    expect(visits.locator('input[data-key="follow_up/c2/1"]')).to_have_count(1)
    plan = page.locator("section[aria-labelledby=plan-h]")
    # Course 2's check-up is to book; course 1's (13 Feb) is past, never booked.
    expect(plan.get_by_text("Check-up and possible top-up treatment · to book")).to_have_count(1)
    expect(plan.get_by_text("Check-up and possible top-up treatment · not booked")).to_have_count(1)
    expect(plan.locator("tr", has_text="10 April")).to_contain_text("Check-up")
    screenshot(page, "console-patient-second-course.png", full_page=True)
    console.no_problems(problems)
