"""Settings: the patient's own day, signing out, and the iPhone guide to reminders."""

from __future__ import annotations

from datetime import time
from typing import Any

from playwright.sync_api import expect

from app.patients.models import Patient
from tests.e2e.pwa_support import PHONE, Enrolled, Live, open_page, screenshot, unexpected

IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)


def _patient(live: Live, enrolled: Enrolled) -> Patient:
    with live.factory() as session:
        patient = session.get(Patient, enrolled.patient.id)
        assert patient is not None
        return patient


def test_change_my_day_then_sign_out(live: Live, enrolled: Enrolled, handset: Any) -> None:
    page, problems = open_page(handset, live.clock.now())
    page.goto(enrolled.link.url)
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("I usually get up at").fill("07:00")
    page.get_by_label("I usually go to bed at").fill("22:30")
    page.get_by_label("Show what the task is on the lock screen").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#day-status")).to_have_text("Saved. Your plan has been updated.")
    patient = _patient(live, enrolled)
    assert (patient.wake_time, patient.bed_time) == (time(7, 0), time(22, 30))
    assert patient.show_task_titles is True

    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Sign out of this phone").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Open the link from your clinic")
    assert live.requests_to("POST", "/api/me/logout") == [("POST", "/api/me/logout", 204)]
    assert page.evaluate("caches.has('aftercare-data')") is False
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Open the link from your clinic")
    assert unexpected(problems, 401) == []


def test_iphone_safari_shows_how_to_add_to_the_home_screen_first(
    live: Live, enrolled: Enrolled, browser: Any
) -> None:
    context = browser.new_context(
        viewport=PHONE, base_url=live.base_url, user_agent=IPHONE_SAFARI, has_touch=True
    )
    try:
        page, problems = open_page(context, live.clock.now())
        page.goto(enrolled.link.url)
        prompt = page.locator("#reminders-slot")
        expect(prompt).to_contain_text("Add to Home Screen")
        expect(prompt.get_by_role("button", name="Turn on reminders")).to_have_count(0)
        assert page.evaluate("Notification.permission") == "default"  # nothing was asked
        screenshot(page, "iphone-add-to-home-screen.png")
        assert problems == []
    finally:
        context.close()


def test_a_cleared_time_is_refused_in_plain_words_by_its_field(
    live: Live, enrolled: Enrolled, handset: Any
) -> None:
    page, problems = open_page(handset, live.clock.now())
    page.goto(enrolled.link.url)
    page.get_by_role("link", name="Settings").click()
    wake = page.get_by_label("I usually get up at")
    wake.fill("")
    page.get_by_role("button", name="Save").click()
    error = page.locator("#wake-error")
    expect(error).to_have_text("The time of getting up must be a time like 07:30.")
    expect(wake).to_be_focused()
    expect(wake).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#day-status")).to_have_text(
        "Nothing was saved. Please check the time above."
    )
    # No field names, codes or validation text anywhere on the screen.
    for leak in ("wake_time", "Input should", "invalid_input", "422"):
        expect(page.locator("body")).not_to_contain_text(leak)
    screenshot(page, "settings-time-refused.png", full_page=True)
    assert _patient(live, enrolled).wake_time == time(7, 30)  # unchanged
    wake.fill("07:00")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#day-status")).to_have_text("Saved. Your plan has been updated.")
    expect(error).to_have_count(0)
    assert unexpected(problems, 422) == []
