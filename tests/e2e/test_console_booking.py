"""Console: a visit booked at a time the clinic is closed is warned, and booked only with
"Book anyway"; a time that puts the visits out of order is refused beside the field."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlmodel import col, select

from app.patients.models import AppointmentBooking, Patient
from app.staff.models import AuditEvent
from tests.e2e.console_support import (
    LAYOUT,
    NURSE_EMAIL,
    SIZES,
    desk,
    no_problems,
    open_console,
    riverside,
    sign_in,
)
from tests.e2e.pwa_support import Live, screenshot, screenshot_part, scroll_into_view
from tests.support.factories import make_patient

__all__ = ["desk"]  # the fixture, used by name

CHECK_UP = "Check-up and possible top-up treatment"
CLOSED = "Riverside Vein Clinic is closed on Sundays."


def ada(live: Live) -> Patient:
    """Treated two hours ago (Fri 27 Mar 2026): the check-up is on Fri 10 Apr."""
    clinic = riverside(live)
    now = live.clock.now()
    patient, _ = make_patient(
        live.factory, clinic=clinic.clinic, staff=clinic.nurse, now=now, settings=live.settings,
        treatment={"performed_at": (now - timedelta(hours=2)).isoformat()},
    )  # fmt: skip
    return patient


def bookings(live: Live) -> list[AppointmentBooking]:
    with live.factory() as session:
        return list(session.exec(select(AppointmentBooking)).all())


def test_book_outside_hours_is_warned_and_booked_only_anyway(live: Live, desk: Any) -> None:
    patient = ada(live)
    page, problems = open_console(desk, live)
    sign_in(page, NURSE_EMAIL)
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
    no_problems(problems, 409)


@pytest.mark.parametrize("size", list(SIZES))
def test_the_warning_fits_small_screens_and_large_text(live: Live, browser: Any, size: str) -> None:
    patient = ada(live)
    context = browser.new_context(
        **SIZES[size], base_url=live.base_url, locale="en-GB", timezone_id="Europe/London",
        has_touch=True,
    )  # fmt: skip
    try:
        page, problems = open_console(context, live)
        sign_in(page, NURSE_EMAIL)
        page.goto(f"/console/#/patients/{patient.id}")
        visits = page.get_by_role("region", name="Visits")
        visits.get_by_label(f"Book {CHECK_UP} at").fill("2026-04-12T10:00")
        visits.get_by_role("button", name="Book").first.click()
        expect(visits.get_by_role("alert")).to_have_text(CLOSED)
        scroll_into_view(visits)
        page.wait_for_timeout(100)  # fonts and layout settle
        screenshot_part(visits, f"{size}-console-booking-warned.png")
        # On a phone each visit is a block: nothing is cut off, the warning and its button fit.
        found = visits.evaluate(LAYOUT)
        assert found == [], (size, found)
        no_problems(problems, 409)
    finally:
        context.close()
