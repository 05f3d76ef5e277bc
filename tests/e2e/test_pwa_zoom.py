"""Readable at 200% zoom: a 390 px phone zoomed in is 195 CSS pixels wide; nothing may stick
out sideways (no reading left and right), and the bottom bar must not cover the page."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e.pwa_support import Enrolled, Live, open_page, screenshot

ZOOMED = {"width": 195, "height": 422}
# Elements that end right of the viewport, except inside the day strip (it scrolls sideways
# on purpose, as a whole).
STICKING_OUT = """() => {
    const width = document.documentElement.clientWidth;
    return [...document.querySelectorAll("body *")]
        .filter((e) => e.getBoundingClientRect().right > width + 1 && !e.closest(".strip-days"))
        .map((e) => `${e.tagName.toLowerCase()}.${e.className}#${e.id}`);
}"""


def test_every_screen_fits_at_200_percent(live: Live, enrolled: Enrolled, browser: Any) -> None:
    context = browser.new_context(
        viewport=ZOOMED, device_scale_factor=2, base_url=live.base_url, locale="en-GB"
    )
    try:
        page, problems = open_page(context, live.clock.now())
        page.goto(enrolled.link.url)
        expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
        assert page.evaluate(STICKING_OUT) == []
        tabs = page.get_by_role("navigation", name="Main")
        assert tabs.evaluate("e => getComputedStyle(e).position") == "static"
        screenshot(page, "zoom200-today.png")

        page.get_by_role("link", name="Report a problem").click()
        expect(page.get_by_role("group", name="Serious warning signs")).to_be_visible()
        assert page.evaluate(STICKING_OUT) == []
        screenshot(page, "zoom200-report.png")

        page.get_by_role("link", name="Settings").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Settings")
        assert page.evaluate(STICKING_OUT) == []
        screenshot(page, "zoom200-settings.png", full_page=True)
        assert problems == []
    finally:
        context.close()
