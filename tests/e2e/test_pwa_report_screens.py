"""The report form and every kind of answer at each size in layout_support.SIZES (a 390 x 844
phone, a 320 px one, 200 % zoom and 200 % text): nothing sticks out sideways, no word is broken
across lines, no fixed bar over 15 % of the screen, every tap target at least 24 x 24 CSS px,
and axe finds nothing. Screenshots go to test-artifacts/screens/ (not committed) to be looked at."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.layout_support import SIZES, check_screen, layout_problems, open_sized
from tests.e2e.pwa_support import Enrolled, Live, screenshot


def send(
    page: Any, *, pain: int | None = None, signs: tuple[str, ...] = (), note: str = ""
) -> None:
    page.get_by_role("link", name="Report a problem").click()
    expect(page.get_by_role("group", name="Serious warning signs")).to_be_visible()
    if pain is not None:
        page.get_by_role("radio", name=str(pain), exact=True).check()
    for sign in signs:
        page.get_by_role("checkbox", name=sign).check()
    if note:
        page.get_by_label("Anything else you want to tell the clinic?").fill(note)
    page.get_by_role("button", name="Send to my clinic").click()


def back(page: Any) -> None:
    page.get_by_role("button", name="Back to my plan").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")


@pytest.mark.parametrize("size", list(SIZES))
def test_the_form_and_every_answer_fit(
    live: Live, enrolled: Enrolled, browser: Any, size: str
) -> None:
    context, page, problems = open_sized(browser, live, size)
    try:
        page.goto(enrolled.link.url)
        expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
        page.get_by_role("link", name="Report a problem").click()
        expect(page.get_by_role("group", name="Serious warning signs")).to_be_visible()
        check_screen(page, f"{size}-report-form")

        # Nothing chosen: the message is by the pain numbers, on screen, focus on the first.
        page.get_by_role("button", name="Send to my clinic").click()
        error = page.locator("#pain-error")
        expect(error).to_be_visible()
        expect(error).to_be_in_viewport()
        expect(page.locator(".pain-input").first).to_be_focused()
        screenshot(page, f"{size}-pain-error.png")
        assert layout_problems(page) == []
        page.goto("/#today")

        # Each answer, in an order where no pain rule fires by accident.
        send(page, pain=5)
        expect(page.locator(".result-routine")).to_be_visible()
        check_screen(page, f"{size}-answer-routine-moderate-pain")
        back(page)
        send(page, pain=4, signs=("Bruising",))
        expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, this is expected")
        check_screen(page, f"{size}-answer-routine-expected")
        back(page)
        send(page, pain=3)
        expect(page.locator(".result-routine")).to_be_visible()
        check_screen(page, f"{size}-answer-routine")
        back(page)
        send(page, pain=3, note="I have chest pain since this morning")
        expect(
            page.get_by_text("You wrote about: Chest pain or sudden breathlessness.")
        ).to_be_visible()
        check_screen(page, f"{size}-note-confirm")
        page.get_by_role("button", name="No, send as it is").click()
        expect(page.locator(".result-urgent")).to_be_visible()
        expect(page.locator(".result-urgent a[href^='tel:']")).to_be_visible()
        check_screen(page, f"{size}-answer-urgent")
        back(page)
        send(page, pain=3, signs=("Chest pain or sudden breathlessness",))
        expect(page.locator(".result-emergency")).to_be_visible()
        check_screen(page, f"{size}-answer-emergency")
        back(page)

        # 8 pm on a Friday: the clinic is closed.
        evening = live.clock.now() + timedelta(hours=8)
        live.clock.set(evening)
        page.clock.set_fixed_time(evening)
        page.reload()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
        send(page, pain=3, signs=("Fever or chills",))
        expect(page.locator(".result-urgent")).to_be_visible()
        expect(page.get_by_text("The clinic is closed until")).to_be_visible()
        check_screen(page, f"{size}-answer-urgent-closed")
        assert problems == []
    finally:
        context.close()
