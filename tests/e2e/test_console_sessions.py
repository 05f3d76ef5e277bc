"""Settings, "Your sessions": a nurse sees where she is signed in, signs one place out, and
after turning on two-step sign-in accepts the offer to sign out everywhere else. The card fits
a 390 x 844 phone, a 320 px one and 200% text: nothing sticks out, every button is at least
24 x 24 CSS px. Screenshots go to test-artifacts/screens/."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from sqlmodel import select

from app.staff.models import AuditEvent
from app.staff.totp import code_at
from tests.e2e import console_support as console
from tests.e2e.pwa_support import Live, screenshot, screenshot_part, scroll_into_view
from tests.support.factories import STAFF_PASSWORD

WARD_PC = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def other_browser(live: Live, user_agent: str) -> httpx.Client:
    """The nurse signed in elsewhere: a real HTTP client with its own cookie."""
    http = httpx.Client(base_url=live.base_url, headers={"User-Agent": user_agent}, timeout=10)
    live.at_teardown(http.close)
    login = http.post(
        "/api/auth/login", json={"email": console.NURSE_EMAIL, "password": STAFF_PASSWORD}
    )
    assert login.status_code == 200, login.text
    return http


def test_signing_out_one_place_and_then_everywhere_else_after_turning_on_the_code(
    live: Live, desk: Any
) -> None:
    console.riverside(live)
    ward_pc = other_browser(live, WARD_PC)
    iphone = other_browser(live, IPHONE)
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.NURSE_EMAIL)
    page.goto("/console/#/settings")
    card = page.get_by_role("region", name="Your sessions")
    items = card.get_by_role("listitem")
    expect(items).to_have_count(3)
    expect(items.first).to_contain_text("this browser")
    expect(card.get_by_text("Firefox on Windows")).to_be_visible()
    expect(card.get_by_text("Safari on iOS")).to_be_visible()
    screenshot(page, "console-sessions.png")

    card.get_by_role("button", name="Sign out Firefox on Windows").click()
    expect(items).to_have_count(2)
    assert ward_pc.get("/api/auth/me").status_code == 401
    assert iphone.get("/api/auth/me").status_code == 200

    totp = page.get_by_role("region", name="Two-step sign-in")
    totp.get_by_label("Your password").fill(STAFF_PASSWORD)
    totp.get_by_role("button", name="Set up").click()
    secret = totp.locator("code.secret").inner_text()
    totp.get_by_label("Code from the app").fill(code_at(secret, live.clock.now()))
    totp.get_by_role("button", name="Turn on").click()
    dialog = page.get_by_role("dialog", name="Sign out your other sessions?")
    expect(dialog).to_contain_text("also open somewhere else, without the code")
    screenshot(page, "console-sessions-offer.png")
    dialog.get_by_role("button", name="Sign out other sessions").click()
    expect(dialog).to_have_count(0)
    expect(items).to_have_count(1)
    expect(card).to_contain_text("You are signed in only here.")
    expect(card.get_by_role("button", name="Sign out everywhere else")).to_have_count(0)
    assert iphone.get("/api/auth/me").status_code == 401
    assert page.request.get("/api/auth/me").ok  # this browser stays signed in
    with live.factory() as session:
        actions = [e.action for e in session.exec(select(AuditEvent)).all()]
    assert actions.count("staff.session_end") == 1
    assert actions.count("staff.sessions_end_others") == 1
    console.no_problems(problems)


def test_keeping_the_other_sessions_keeps_them(live: Live, desk: Any) -> None:
    console.riverside(live)
    iphone = other_browser(live, IPHONE)
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.NURSE_EMAIL)
    page.goto("/console/#/settings")
    totp = page.get_by_role("region", name="Two-step sign-in")
    totp.get_by_label("Your password").fill(STAFF_PASSWORD)
    totp.get_by_role("button", name="Set up").click()
    secret = totp.locator("code.secret").inner_text()
    totp.get_by_label("Code from the app").fill(code_at(secret, live.clock.now()))
    totp.get_by_role("button", name="Turn on").click()
    page.get_by_role("dialog").get_by_role("button", name="Keep them").click()
    assert iphone.get("/api/auth/me").status_code == 200
    card = page.get_by_role("region", name="Your sessions")
    card.get_by_role("button", name="Sign out everywhere else").click()
    expect(card.get_by_role("listitem")).to_have_count(1)
    assert iphone.get("/api/auth/me").status_code == 401
    console.no_problems(problems)


@pytest.mark.parametrize("size", list(console.SIZES))
def test_the_sessions_card_fits_small_screens_and_large_text(
    live: Live, browser: Any, size: str
) -> None:
    console.riverside(live)
    other_browser(live, WARD_PC)
    other_browser(live, IPHONE)
    with console.at_size(browser, live, size) as (page, problems):
        console.sign_in(page, console.NURSE_EMAIL)
        page.goto("/console/#/settings")
        card = page.get_by_role("region", name="Your sessions")
        expect(card.get_by_role("listitem")).to_have_count(3)
        scroll_into_view(card)
        page.wait_for_timeout(100)  # fonts and layout settle
        screenshot_part(card, f"{size}-console-sessions.png")
        assert card.evaluate(console.LAYOUT) == [], size

        totp = page.get_by_role("region", name="Two-step sign-in")
        totp.get_by_label("Your password").fill(STAFF_PASSWORD)
        totp.get_by_role("button", name="Set up").click()
        secret = totp.locator("code.secret").inner_text()
        totp.get_by_label("Code from the app").fill(code_at(secret, live.clock.now()))
        totp.get_by_role("button", name="Turn on").click()
        dialog = page.get_by_role("dialog", name="Sign out your other sessions?")
        expect(dialog).to_contain_text("in 2 other places")
        page.wait_for_timeout(100)
        screenshot(page, f"{size}-console-sessions-offer.png")
        assert dialog.evaluate(console.LAYOUT) == [], size
        console.no_problems(problems)
