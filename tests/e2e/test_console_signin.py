"""Signing in to the console: two-step sign-in set up and used, too many attempts, signing out."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from playwright.sync_api import expect

from app.staff.totp import code_at
from tests.e2e import console_support as console
from tests.e2e.pwa_support import Live
from tests.support.factories import STAFF_PASSWORD


def test_two_step_sign_in_is_set_up_then_asked_for(live: Live, desk: Any) -> None:
    console.riverside(live)
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.NURSE_EMAIL)
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Settings").click()
    totp = page.get_by_role("region", name="Two-step sign-in")
    expect(totp).to_contain_text("off")
    totp.get_by_label("Your password").fill(STAFF_PASSWORD)
    totp.get_by_role("button", name="Set up").click()
    expect(
        totp.get_by_role("figure", name="QR code for the authenticator app").locator("svg")
    ).to_be_visible()
    secret = totp.locator("code.secret").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret)
    totp.get_by_label("Code from the app").fill(code_at(secret, live.clock.now()))
    totp.get_by_role("button", name="Turn on").click()
    expect(totp.get_by_role("button", name="Turn off two-step sign-in")).to_be_visible()
    assert console.staff_by_email(live, console.NURSE_EMAIL).totp_enabled_at == live.clock.now()

    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("#view").get_by_text("You have signed out.")).to_be_visible()
    expect(page.get_by_role("navigation", name="Console")).to_be_hidden()

    # A minute later: the password is not enough any more.
    live.clock.advance(timedelta(minutes=1))
    page.get_by_label("E-mail").fill(console.NURSE_EMAIL)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Enter your sign-in code")).to_be_visible()
    expect(page.get_by_role("navigation", name="Console")).to_be_hidden()
    code = code_at(secret, live.clock.now())
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    page.get_by_label("6-digit code").fill(wrong)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("alert").filter(has_text="That code is not right")).to_be_visible()
    expect(page.get_by_label("6-digit code")).to_be_focused()
    page.get_by_label("6-digit code").fill(code)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Patients", level=1)).to_be_visible()
    expect(page.locator("#who-name")).to_contain_text("nurse@riverside.example")
    console.no_problems(problems)


def test_too_many_wrong_passwords_say_when_to_try_again(live: Live, desk: Any) -> None:
    console.riverside(live)
    page, problems = console.open_console(desk, live)
    page.goto("/console/")
    email, password = page.get_by_label("E-mail"), page.get_by_label("Password")
    button = page.get_by_role("button", name="Sign in")
    for _ in range(live.settings.login_failures_per_account_client):
        email.fill(console.NURSE_EMAIL)
        password.fill("wrong horse battery staple")
        button.click()
        expect(page.get_by_role("alert").filter(has_text="do not match")).to_be_visible()
        expect(button).to_be_enabled()
    password.fill(STAFF_PASSWORD)  # even the right password waits now
    button.click()
    expect(page.locator(".message-error")).to_have_text(
        re.compile(r"Too many attempts\. Please try again in \d+ minutes?\.")
    )
    expect(page.get_by_role("navigation", name="Console")).to_be_hidden()
    console.no_problems(problems, 429)


def test_a_lapsed_session_returns_to_the_page_after_signing_in(live: Live, desk: Any) -> None:
    console.riverside(live)
    page, problems = console.open_console(desk, live)
    page.goto("/console/#/settings")
    expect(page.get_by_role("heading", name="Sign in to the clinic console")).to_be_visible()
    page.get_by_label("E-mail").fill(console.NURSE_EMAIL)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Settings", level=1)).to_be_visible()

    # The server ends the session (here: signed out elsewhere); the next call says so.
    page.context.clear_cookies()
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Patients").click()
    expect(
        page.locator("#view").get_by_text("Your session has ended. Please sign in again.")
    ).to_be_visible()
    console.no_problems(problems)


def test_going_elsewhere_while_a_page_loads_lands_there(live: Live, desk: Any) -> None:
    """The Patients page's script is on its way when the staff member goes to Alerts (a click
    in the navigation at once after signing in, as in the CI run that found this). The page
    that was overtaken must neither show nor put its own address back."""
    console.riverside(live)
    page, problems = console.open_console(desk, live)
    page.goto("/console/#/settings")  # signed in, the console opens here: no Patients yet
    page.get_by_label("E-mail").fill(console.NURSE_EMAIL)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Settings", level=1)).to_be_visible()

    def arrives_as_the_address_changes(route: Any) -> None:
        # The address changes while the script runs, so the router goes on with this page
        # before it has seen the change: the moment a real click can fall into.
        script = route.fetch().text() + '\nlocation.hash = "#/alerts";\n'
        route.fulfill(body=script, content_type="text/javascript")

    page.route("**/console/js/patients.js", arrives_as_the_address_changes)
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Patients").click()
    expect(page.get_by_role("heading", name="Alerts", level=1)).to_be_visible()
    expect(page).to_have_url(re.compile(r"#/alerts$"))
    expect(page.get_by_role("heading", name="Patients", level=1)).to_have_count(0)
    console.no_problems(problems)
