"""Today, another day's page, Settings and the enrolment pages at each size a patient holds the
phone (layout_support.SIZES): measured for sideways scrolling, broken words, a fixed bar over
15 % of the screen and tap targets under 24 px, and checked by axe; Today measured for layout
shift; the words patients misread (midnight, "tomorrow" on another day's page, the last day of
the aspirin restriction) checked in the running app."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.axe_support import axe_violations
from tests.e2e.layout_support import SIZES, check_screen, layout_shift, open_sized
from tests.e2e.pwa_support import Enrolled, Live, unexpected

# Lighthouse's "good" cumulative layout shift (issue 18: it measured 0.22 before).
CLS_LIMIT = 0.1


@pytest.mark.parametrize("size", list(SIZES))
def test_today_another_day_and_settings_fit(
    live: Live, enrolled: Enrolled, browser: Any, size: str
) -> None:
    context, page, problems = open_sized(browser, live, size)
    try:
        page.goto(enrolled.link.url)
        expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
        expect(page.locator(".task").first).to_be_visible()
        check_screen(page, f"{size}-today")

        page.locator("#day-2026-03-28").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Saturday 28 March")
        check_screen(page, f"{size}-another-day")

        page.get_by_role("link", name="Settings").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Settings")
        check_screen(page, f"{size}-settings")
        assert unexpected(problems) == []
    finally:
        context.close()


@pytest.mark.parametrize("size", ["phone", "text200"])
def test_today_does_not_jump_after_it_opens(
    live: Live, enrolled: Enrolled, browser: Any, size: str
) -> None:
    context, page, problems = open_sized(browser, live, size)
    try:
        page.goto(enrolled.link.url)
        expect(page.locator(".task").first).to_be_visible()
        page.wait_for_timeout(1500)  # the plan, the form and the reports all arrive
        # Opened again (the usual visit): from the service worker's copy, then the network's.
        page.goto("/")
        expect(page.locator(".task").first).to_be_visible()
        page.wait_for_timeout(1500)
        shift = layout_shift(page)
        assert shift < CLS_LIMIT, f"{size}: Today shifted by {shift:.3f}"
        assert unexpected(problems) == []
    finally:
        context.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_the_enrolment_pages_fit(live: Live, enrolled: Enrolled, browser: Any, size: str) -> None:
    context, page, problems = open_sized(browser, live, size)
    try:
        page.goto("/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Open the link from your clinic")
        check_screen(page, f"{size}-not-set-up")

        page.goto("/enrol#code=not-a-real-code")
        expect(page.get_by_role("heading", level=1)).to_have_text("This link cannot be used")
        check_screen(page, f"{size}-link-refused")

        # The page loaded, then the phone lost its connection before the code was sent.
        page.route("**/api/enrol", lambda route: route.abort("internetdisconnected"))
        page.goto(enrolled.link.url)
        expect(page.get_by_role("heading", level=1)).to_have_text("You are offline")
        check_screen(page, f"{size}-enrol-offline")
        assert unexpected(problems, 401, 404, 410, offline=True) == []
    finally:
        context.close()


def test_times_and_last_days_read_as_people_say_them(
    live: Live, enrolled: Enrolled, browser: Any
) -> None:
    context, page, problems = open_sized(browser, live, "phone")
    try:
        page.goto(enrolled.link.url)
        expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
        # Aspirin ends at the midnight after Friday 8 May: that Friday is its last day.
        aspirin = page.locator(".advice").filter(has_text="aspirin")
        expect(aspirin.locator(".advice-until")).to_have_text("Until and including Friday 8 May")
        time_of = "([at, zone]) => import('/js/time.js').then((m) => m.timeOf(at, zone))"
        assert page.evaluate(time_of, ["2026-03-28T00:00:00Z", "Europe/London"]) == "midnight"
        assert page.evaluate(time_of, ["2026-03-28T00:30:00Z", "Europe/London"]) == "12:30 am"
        # On Saturday's page an end on Sunday is "Sunday", not "tomorrow" (read as Sunday's
        # page's tomorrow); on today's page it is "tomorrow".
        until = (
            "([end, today]) => import('/js/time.js')"
            ".then((m) => m.untilText(end, 'Europe/London', today))"
        )
        end = "2026-03-29T11:00:00Z"  # 12:00 pm on Sunday 29 March (BST from that morning)
        assert page.evaluate(until, [end, "2026-03-28"]) == "until 12:00 pm tomorrow"
        assert page.evaluate(until, [end, None]) == "until 12:00 pm on Sunday 29 March"
        page.locator("#day-2026-03-28").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Saturday 28 March")
        # (The heading says which day the page is: "Tomorrow, Saturday 28 March".)
        for part in (".tasks-section", ".advice-section"):
            expect(page.locator(part)).not_to_contain_text("omorrow")
        assert unexpected(problems) == []
    finally:
        context.close()


def test_the_accessibility_check_can_fail(live: Live, enrolled: Enrolled, browser: Any) -> None:
    """axe is really running: a button with no name is reported (and then taken away)."""
    context, page, _ = open_sized(browser, live, "phone")
    try:
        page.goto(enrolled.link.url)
        expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
        assert axe_violations(page) == []
        page.evaluate("document.querySelector('main').append(document.createElement('button'))")
        assert [v["id"] for v in axe_violations(page)] == ["button-name"]
    finally:
        context.close()


def test_the_advice_says_the_last_day_once_the_clock_moves_on(
    live: Live, enrolled: Enrolled, browser: Any
) -> None:
    """On the last day itself, the restriction lasts "until the end of today"."""
    context, page, problems = open_sized(browser, live, "phone")
    try:
        page.goto(enrolled.link.url)
        expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
        last = live.clock.now() + timedelta(days=42)  # Friday 8 May, 12:00 London
        live.clock.set(last)
        page.clock.set_fixed_time(last)
        page.reload()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Friday 8 May")
        aspirin = page.locator(".advice").filter(has_text="aspirin")
        expect(aspirin.locator(".advice-until")).to_have_text("Until the end of today")
        assert unexpected(problems) == []
    finally:
        context.close()
