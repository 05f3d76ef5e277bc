"""Two-step sign-in required of admins (as deployed): a new admin signs in, is kept on the set-up
page until the code is on, then lands where she was going; it cannot be turned off; a nurse made
admin mid-session is sent to the set-up page by her next click. The page fits a 390 x 844
phone, a 320 px one and 200 % text. Screenshots go to test-artifacts/screens/."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from app.config import Settings
from app.staff.totp import code_at
from tests.e2e import console_support as console
from tests.e2e.pwa_support import Live, screenshot
from tests.support.factories import STAFF_PASSWORD


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """As deployed: admins must sign in with a second factor (the suite turns that off)."""
    return settings.model_copy(update={"totp_required_roles": frozenset({"admin"})})


def sign_in_with_password(page: Any, email: str) -> None:
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def set_up_the_code(page: Any, live: Live) -> None:
    card = page.get_by_role("region", name="Two-step sign-in")
    card.get_by_label("Your password").fill(STAFF_PASSWORD)
    card.get_by_role("button", name="Set up").click()
    secret = card.locator("code.secret").inner_text()
    card.get_by_label("Code from the app").fill(code_at(secret, live.clock.now()))
    card.get_by_role("button", name="Turn on").click()


def test_a_new_admin_sets_up_the_code_before_anything_else(live: Live, desk: Any) -> None:
    console.riverside(live)
    page, problems = console.open_console(desk, live)
    page.goto("/console/#/staff")  # where she was going
    sign_in_with_password(page, console.ADMIN_EMAIL)

    heading = page.get_by_role("heading", name="Set up two-step sign-in", level=1)
    expect(heading).to_be_visible()
    expect(page.get_by_text("everyone with the admin role")).to_be_visible()
    expect(page.get_by_role("navigation", name="Console")).to_be_hidden()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.goto("/console/#/patients")  # typed into the address bar: still the set-up page
    expect(heading).to_be_visible()

    set_up_the_code(page, live)
    expect(page.get_by_role("heading", name="Staff", level=1)).to_be_visible()
    expect(page.get_by_role("navigation", name="Console")).to_be_visible()
    assert console.staff_by_email(live, console.ADMIN_EMAIL).totp_enabled_at == live.clock.now()

    page.get_by_role("navigation", name="Console").get_by_role("link", name="Settings").click()
    card = page.get_by_role("region", name="Two-step sign-in")
    expect(card).to_contain_text("Your clinic requires it for your role, so it stays on.")
    expect(card.get_by_role("button", name="Turn off two-step sign-in")).to_have_count(0)
    console.no_problems(problems)  # not one call was refused on the way: the page asked for none


def test_a_nurse_made_admin_is_sent_to_set_it_up(live: Live, desk: Any) -> None:
    nurse = console.riverside(live).nurse
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.NURSE_EMAIL)
    expect(page.get_by_role("heading", name="Patients", level=1)).to_be_visible()

    with httpx.Client(base_url=live.base_url, timeout=10) as admin:
        admin.post(
            "/api/auth/login", json={"email": console.ADMIN_EMAIL, "password": STAFF_PASSWORD}
        )
        secret = admin.post("/api/auth/totp/setup", json={"password": STAFF_PASSWORD}).json()
        code = code_at(secret["secret"], live.clock.now())
        assert admin.post("/api/auth/totp/enable", json={"code": code}).status_code == 204
        promoted = admin.patch(f"/api/staff/{nurse.id}", json={"role": "admin"})
        assert promoted.status_code == 200, promoted.text

    page.get_by_role("navigation", name="Console").get_by_role("link", name="Alerts").click()
    expect(page.get_by_role("heading", name="Set up two-step sign-in", level=1)).to_be_visible()
    expect(page.get_by_role("navigation", name="Console")).to_be_hidden()
    set_up_the_code(page, live)
    expect(page.get_by_role("heading", name="Alerts", level=1)).to_be_visible()
    console.no_problems(problems, 403)  # the click that found the role changed


@pytest.mark.parametrize("size", list(console.SIZES))
def test_the_set_up_page_fits_small_screens_and_large_text(
    live: Live, browser: Any, size: str
) -> None:
    console.riverside(live)
    with console.at_size(browser, live, size) as (page, problems):
        page.goto("/console/")
        sign_in_with_password(page, console.ADMIN_EMAIL)
        view = page.locator("#view")
        expect(view.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
        page.wait_for_timeout(100)  # fonts and layout settle
        screenshot(page, f"{size}-console-two-step.png", full_page=True)
        assert page.locator("body").evaluate(console.LAYOUT) == [], size

        card = page.get_by_role("region", name="Two-step sign-in")
        card.get_by_label("Your password").fill(STAFF_PASSWORD)
        card.get_by_role("button", name="Set up").click()
        expect(card.locator("code.secret")).to_be_visible()
        page.wait_for_timeout(100)
        screenshot(page, f"{size}-console-two-step-code.png", full_page=True)
        assert page.locator("body").evaluate(console.LAYOUT) == [], size
        console.no_problems(problems)
