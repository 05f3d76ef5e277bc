"""Console: a visit booked at a time the clinic is closed is warned, and booked only with
"Book anyway"; a time that puts the visits out of order is refused beside the field."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlmodel import col, select

from app.patients.models import AppointmentBooking, Patient
from app.staff.models import AuditEvent
from tests.e2e import console_support as console
from tests.e2e.pwa_support import Live, screenshot, screenshot_part, scroll_into_view

CHECK_UP = "Check-up and possible top-up treatment"
CLOSED = "Riverside Vein Clinic is closed on Sundays."


def ada(live: Live) -> Patient:
    """Treated two hours ago (Fri 27 Mar 2026): the check-up is on Fri 10 Apr."""
    return console.ada(live, treated_hours_ago=2)


def bookings(live: Live) -> list[AppointmentBooking]:
    with live.factory() as session:
        return list(session.exec(select(AppointmentBooking)).all())


def test_book_outside_hours_is_warned_and_booked_only_anyway(live: Live, desk: Any) -> None:
    patient = ada(live)
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.NURSE_EMAIL)
    page.goto(f"/console/#/patients/{patient.id}")
    visits = page.get_by_role("region", name="Visits")
    check_up = visits.get_by_label(f"Book {CHECK_UP} at")
    check_up.fill("2026-04-12T10:00")  # a Sunday
    visits.get_by_role("button", name="Book").first.click()
    warning = visits.get_by_role("alert")
    expect(warning).to_have_text(CLOSED)
    anyway = visits.get_by_role("button", name="Book anyway")
    expect(anyway).to_be_focused()
    expect(check_up).to_have_attribute("aria-invalid", "true")
    assert bookings(live) == []  # warned: nothing booked
    screenshot(page, "console-booking-warned.png")

    anyway.click()
    expect(visits.get_by_text(f"{CHECK_UP} booked for Sun, 12 Apr 2026, 10:00.")).to_be_visible()
    expect(visits.get_by_role("button", name="Book anyway")).to_have_count(0)
    [booking] = bookings(live)
    assert booking.key == "follow_up/1"
    with live.factory() as session:
        detail = session.exec(
            select(AuditEvent.detail)
            .where(AuditEvent.action == "appointment.book")
            .order_by(col(AuditEvent.id).desc())
        ).first()
    assert detail is not None
    assert (detail["book_anyway"], detail["overridden"]) == (True, ["booking_outside_hours"])

    # The final review before the check-up: refused beside its field, with no way past it.
    review = visits.get_by_label("Book Final review at")
    review.fill("2026-04-11T10:00")
    visits.get_by_role("button", name="Book").nth(1).click()
    refusal = visits.get_by_role("alert")
    expect(refusal).to_contain_text(f"“Final review” must come after “{CHECK_UP}”")
    expect(visits.get_by_role("button", name="Book anyway")).to_have_count(0)
    expect(review).to_have_attribute("aria-invalid", "true")
    # Typing another time clears the refusal.
    review.fill("2026-05-22T11:00")
    expect(visits.get_by_role("alert")).to_have_count(0)
    assert [b.key for b in bookings(live)] == ["follow_up/1"]
    console.no_problems(problems, 409)


@pytest.mark.parametrize("size", list(console.SIZES))
def test_the_warning_fits_small_screens_and_large_text(live: Live, browser: Any, size: str) -> None:
    patient = ada(live)
    with console.at_size(browser, live, size) as (page, problems):
        console.sign_in(page, console.NURSE_EMAIL)
        page.goto(f"/console/#/patients/{patient.id}")
        visits = page.get_by_role("region", name="Visits")
        visits.get_by_label(f"Book {CHECK_UP} at").fill("2026-04-12T10:00")
        visits.get_by_role("button", name="Book").first.click()
        expect(visits.get_by_role("alert")).to_have_text(CLOSED)
        scroll_into_view(visits)
        page.wait_for_timeout(100)  # fonts and layout settle
        screenshot_part(visits, f"{size}-console-booking-warned.png")
        # On a phone each visit is a block: nothing is cut off, the warning and its button fit.
        found = visits.evaluate(console.LAYOUT)
        assert found == [], (size, found)
        console.no_problems(problems, 409)
