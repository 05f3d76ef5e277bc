"""Enrolment from the clinic's link, the day view, ticking and undoing, the day strip."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from playwright.sync_api import expect
from sqlmodel import select

from app.appointments.bookings import book
from app.db import transaction
from app.patients.models import Patient
from app.patients.protocols import ProtocolSource
from app.staff.models import StaffUser
from tests.e2e.pwa_support import (
    Enrolled,
    Live,
    assert_requests,
    assert_status,
    open_page,
    screenshot,
    scroll_into_view,
    unexpected,
)


def test_enrol_then_tick_and_undo_a_task(live: Live, enrolled: Enrolled, handset: Any) -> None:
    page, problems = open_page(handset, live.clock.now())
    page.goto(enrolled.link.url)

    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
    # The code is redeemed by POST and gone from the address bar and the history.
    assert page.url == f"{live.base_url}/"
    assert live.requests_to("POST", "/api/enrol") == [("POST", "/api/enrol", 200)]
    assert not [r for r in live.requests if enrolled.link.code in r[1]]

    expect(page.get_by_text("Good afternoon, Ada.")).to_be_visible()
    expect(page.locator("#clinic-name")).to_have_text("Riverside Vein Clinic")
    expect(page.locator("#call-clinic")).to_have_attribute("href", "tel:+442079460001")
    expect(page.locator("#notice")).to_contain_text("Your phone is set up.")

    first = live.occurrence("elevate_legs/t1/1")
    task = page.locator(f"#task-{first.id}")
    expect(task).to_contain_text("2:00 pm")
    expect(task).to_contain_text("Raise your legs")
    expect(task).to_contain_text("Coming up soon")
    # Later ones cannot be ticked yet (the server takes a tick up to 2 hours early).
    later = live.occurrence("elevate_legs/t1/3")
    expect(page.locator(f"#task-{later.id}")).to_contain_text("You can tick it off from 4:00 pm")
    expect(page.locator(f"#task-{later.id} button")).to_have_count(0)
    # Advice with its end, and the next visit.
    # (In the advice: "Your progress" further down says them in its own words.)
    advice = page.locator(".advice-list")
    expect(advice.get_by_text("No aspirin for six weeks")).to_be_visible()
    expect(advice.get_by_text("Until and including Friday 8 May")).to_be_visible()
    # Not booked yet: the day only (tests/e2e/test_pwa_today.py::test_a_visit_shows...).
    expect(page.locator(".visit")).to_contain_text(
        "Around Friday 10 April — the clinic will confirm the time"
    )
    expect(page.get_by_role("link", name="Add visits to my calendar").first).to_have_attribute(
        "href", "/api/me/calendar.ics"
    )
    screenshot(page, "today.png")
    screenshot(page, "today-full.png", full_page=True)

    tick = page.get_by_role("button", name="Mark as done: Raise your legs").first
    tick.click()
    expect(task).to_contain_text("Done at 12:00 pm")
    undo = task.get_by_role("button", name="Undo: Raise your legs")
    expect(undo).to_be_visible()
    expect(undo).to_be_focused()  # focus stays on the control the patient used
    assert_status(live, "elevate_legs/t1/1", "done")
    expect(page.locator("#announce")).to_have_text("Done: Raise your legs.")
    screenshot(page, "today-ticked.png")

    undo.click()
    expect(task.get_by_role("button", name="Mark as done: Raise your legs")).to_be_visible()
    assert_status(live, "elevate_legs/t1/1", "pending")
    assert_requests(live, "POST", f"/api/me/tasks/{first.id}/complete", 1)
    assert_requests(live, "DELETE", f"/api/me/tasks/{first.id}/complete", 1)
    assert problems == []


def test_day_strip_looks_back_and_ahead(live: Live, enrolled: Enrolled, handset: Any) -> None:
    page, problems = open_page(handset, live.clock.now())
    page.goto(enrolled.link.url)
    strip = page.get_by_role("navigation", name="Days of your plan")
    today = strip.get_by_role("button", name="Today, Friday 27 March", exact=False)
    expect(today).to_have_attribute("aria-pressed", "true")
    expect(today).to_have_attribute("aria-current", "date")
    # The plan reaches the last visit on 22 May.
    expect(
        strip.get_by_role("button", name="Friday 22 May: nothing to do, clinic visit")
    ).to_have_count(1)

    strip.get_by_role("button", name="Tomorrow, Saturday 28 March", exact=False).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Saturday 28 March")
    expect(page.get_by_text("Take off the stocking from the clinic")).to_be_visible()
    expect(page.get_by_text("Put on the cream").first).to_be_visible()
    screenshot(page, "day-tomorrow.png")

    page.get_by_role("button", name="Back to today").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
    assert problems == []


def test_a_used_link_gets_a_friendly_page(
    live: Live, enrolled: Enrolled, browser: Any, handset: Any
) -> None:
    first, _ = open_page(handset, live.clock.now())
    first.goto(enrolled.link.url)
    expect(first.get_by_role("heading", level=1)).to_contain_text("Today")

    other = browser.new_context(viewport={"width": 390, "height": 844}, base_url=live.base_url)
    try:
        page, problems = open_page(other, live.clock.now())
        page.goto(enrolled.link.url)
        expect(page.get_by_role("heading", level=1)).to_have_text("This link cannot be used")
        expect(page.get_by_text("has already been used or has expired")).to_be_visible()
        assert page.url == f"{live.base_url}/"
        expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
        screenshot(page, "link-used.png")
        # The refused code is an expected 410, not a page error.
        assert unexpected(problems, 410, 401) == []
    finally:
        other.close()


def test_a_phone_without_a_session_is_asked_to_open_the_clinic_link(
    live: Live, handset: Any
) -> None:
    page, problems = open_page(handset, live.clock.now())
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Open the link from your clinic")
    screenshot(page, "not-set-up.png")
    assert unexpected(problems, 401) == []


# Elements that end right of the viewport, except inside the day strip (it scrolls sideways).
STICKING_OUT = """() => {
    const width = document.documentElement.clientWidth;
    return [...document.querySelectorAll("body *")]
        .filter((e) => e.getBoundingClientRect().right > width + 1 && !e.closest(".strip-days"))
        .map((e) => `${e.tagName.toLowerCase()}.${e.className}#${e.id}`);
}"""
AROUND = "Around Friday 10 April — the clinic will confirm the time"


def _book_first_visit(live: Live, enrolled: Enrolled, booked_at: datetime) -> None:
    with transaction(live.factory) as session:
        patient = session.get(Patient, enrolled.patient.id)
        assert patient is not None
        staff = session.exec(
            select(StaffUser).where(StaffUser.clinic_id == patient.clinic_id)
        ).one()
        book(
            session, patient=patient, key="follow_up/1", booked_at=booked_at, staff=staff,
            protocols=ProtocolSource(live.settings.protocol), now=live.clock.now(),
        )  # fmt: skip


def test_a_visit_shows_its_day_until_booked_then_its_time(
    live: Live, enrolled: Enrolled, handset: Any, browser: Any
) -> None:
    page, problems = open_page(handset, live.clock.now())
    page.goto(enrolled.link.url)
    card = page.locator(".visit")
    expect(card).to_contain_text(AROUND)
    expect(card).not_to_contain_text(" pm")  # no guessed time of day
    screenshot(page, "visit-tentative-today.png", full_page=True)
    # On the visit's own day, the plan says the same.
    strip = page.get_by_role("navigation", name="Days of your plan")
    strip.get_by_role("button", name="Friday 10 April:", exact=False).click()
    visit = page.locator(f"#task-{live.occurrence('follow_up/1').id}")
    expect(visit).to_contain_text(AROUND)
    screenshot(page, "visit-tentative-day.png")

    # 320 px wide with the text at 200%: nothing sticks out sideways.
    narrow = browser.new_context(
        viewport={"width": 320, "height": 700}, base_url=live.base_url, locale="en-GB",
        timezone_id="Europe/London",
    )  # fmt: skip
    try:
        small, small_problems = open_page(narrow, live.clock.now())
        small.context.add_cookies(handset.cookies())
        small.goto("/")
        # The phone's text size at 200% (the page's own 112.5%, doubled); CSSOM, not a style
        # tag, which the page's Content Security Policy refuses.
        small.evaluate("document.documentElement.style.fontSize = '225%'")
        expect(small.locator(".visit")).to_contain_text(AROUND)
        assert small.evaluate(STICKING_OUT) == []
        scroll_into_view(small.locator(".visit"))
        screenshot(small, "visit-tentative-320-text200.png")
        assert unexpected(small_problems) == []
    finally:
        narrow.close()

    _book_first_visit(live, enrolled, datetime(2026, 4, 10, 14, 30, tzinfo=UTC))  # 3:30 pm BST
    page.get_by_role("button", name="Back to today").click()
    page.reload()
    expect(card).to_contain_text("Friday 10 April at 3:30 pm")
    expect(card).not_to_contain_text("Around")
    screenshot(page, "visit-booked-today.png", full_page=True)
    assert unexpected(problems) == []
