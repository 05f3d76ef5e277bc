"""A nurse who forgot her password: the admin makes a set-password link on the Staff page and
hands it over; the nurse opens it, sets a password and signs in with it; the link then says it
was used. The admin resets a lost phone's two-step sign-in. The link's page fits a 390 x 844
phone, a 320 px one and 200 % text. Screenshots go to test-artifacts/screens/."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from app.staff.models import StaffUser
from tests.e2e import console_support as console
from tests.e2e.pwa_support import Live, screenshot
from tests.support.factories import STAFF_PASSWORD

NEW_PASSWORD = "marmalade on the windowsill"


def issue_link(page: Any, name: str, shot: str = "") -> str:
    """On the Staff page: the link the dialog shows for `name`, then the dialog closed."""
    page.goto("/console/#/staff")
    row = page.get_by_role("row").filter(has_text=name)
    row.get_by_role("button", name=f"Reset password of {name}").click()
    dialog = page.get_by_role("dialog", name=f"Set-password link for {name}")
    expect(dialog).to_contain_text("It works once")
    if shot:
        screenshot(page, shot)
    url: str = dialog.get_by_role("textbox").input_value()
    dialog.get_by_role("button", name="Done").click()
    expect(dialog).to_have_count(0)
    return url


def test_a_forgotten_password_set_again_with_a_link(live: Live, desk: Any, browser: Any) -> None:
    console.riverside(live)
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.ADMIN_EMAIL)
    url = issue_link(page, "nurse@riverside.example", shot="console-staff-reset-link.png")
    assert "/console/#/set-password?token=" in url
    screenshot(page, "console-staff-reset.png")

    nurses = browser.new_context(base_url=live.base_url, locale="en-GB")
    try:
        nurse, nurse_problems = console.open_console(nurses, live)
        nurse.goto(url)
        expect(nurse.get_by_role("heading", name="For nurse@riverside.example")).to_be_visible()
        assert "token" not in nurse.url  # out of the address bar (and the history) at once
        nurse.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        nurse.get_by_label("New password again").fill("marmalade on the windowsil")
        nurse.get_by_role("button", name="Set password").click()
        expect(
            nurse.get_by_role("alert").filter(has_text="The two passwords differ.")
        ).to_be_visible()
        nurse.get_by_label("New password again").fill(NEW_PASSWORD)
        nurse.get_by_role("button", name="Set password").click()
        expect(nurse.get_by_role("heading", name="Your password is set")).to_be_visible()
        nurse.get_by_role("link", name="Sign in").click()
        console.sign_in(nurse, console.NURSE_EMAIL, NEW_PASSWORD)
        expect(nurse.get_by_role("heading", name="Patients", level=1)).to_be_visible()

        nurse.goto(url)  # the same link again
        expect(nurse.get_by_role("heading", name="This link cannot be used")).to_be_visible()
        expect(nurse.locator("#view").get_by_role("alert")).to_have_text(
            "This set-password link was already used: ask a clinic admin for a new one."
        )
        console.no_problems(nurse_problems, 410)
    finally:
        nurses.close()
    console.no_problems(problems)


def test_a_lost_phones_two_step_sign_in_is_reset(live: Live, desk: Any) -> None:
    clinic = console.riverside(live)
    with live.factory() as session:  # the nurse has a second factor on
        nurse = session.get(StaffUser, clinic.nurse.id)
        assert nurse is not None
        nurse.totp_enabled_at = live.clock.now()
        session.add(nurse)
        session.commit()
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.ADMIN_EMAIL)
    page.goto("/console/#/staff")
    row = page.get_by_role("row").filter(has_text=console.NURSE_EMAIL)
    row.get_by_role("button", name=f"Reset two-step sign-in of {console.NURSE_EMAIL}").click()
    dialog = page.get_by_role("dialog", name="Reset two-step sign-in for nurse@riverside.example?")
    expect(dialog).to_contain_text("lost the phone")
    dialog.get_by_role("button", name="Reset two-step sign-in").click()
    # In the view (the screen readers' own copy in #announce may come 50 ms later, or not yet).
    view = page.locator("#view")
    expect(view.get_by_role("status").filter(has_text="two-step sign-in is reset")).to_have_count(1)
    expect(
        row.get_by_role("button", name=f"Reset two-step sign-in of {console.NURSE_EMAIL}")
    ).to_have_count(0)
    assert console.staff_by_email(live, console.NURSE_EMAIL).totp_enabled_at is None
    console.no_problems(problems)


@pytest.mark.parametrize("size", list(console.SIZES))
def test_the_link_page_fits_small_screens_and_large_text(
    live: Live, browser: Any, desk: Any, size: str
) -> None:
    console.riverside(live)
    admin, _ = console.open_console(desk, live)
    console.sign_in(admin, console.ADMIN_EMAIL)
    url = issue_link(admin, "nurse@riverside.example")
    with console.at_size(browser, live, size) as (page, problems):
        page.goto(url)
        expect(page.get_by_label("New password", exact=True)).to_be_visible()
        page.wait_for_timeout(100)  # fonts and layout settle
        screenshot(page, f"{size}-console-set-password.png", full_page=True)
        assert page.locator("body").evaluate(console.LAYOUT) == [], size
        console.no_problems(problems)


def test_changing_ones_own_password_in_settings(live: Live, desk: Any) -> None:
    console.riverside(live)
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.NURSE_EMAIL)
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Settings").click()
    card = page.get_by_role("form", name="Your password")
    card.get_by_label("Current password").fill(STAFF_PASSWORD)
    card.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    card.get_by_label("New password again").fill(NEW_PASSWORD + "!")
    card.get_by_role("button", name="Change password").click()
    expect(card.get_by_role("alert")).to_have_text("The two passwords differ.")
    card.get_by_label("New password again").fill(NEW_PASSWORD)
    card.get_by_role("button", name="Change password").click()
    expect(card.get_by_role("status")).to_have_text(
        "Password changed. Your other sessions were signed out."
    )
    page.get_by_role("button", name="Sign out").click()
    console.sign_in(page, console.NURSE_EMAIL, NEW_PASSWORD)
    console.no_problems(problems)
