"""The report form and every kind of answer, on a 390 x 844 phone, a 320 px one and at 200%
text size: nothing sticks out sideways, no word is broken across lines, every tap target is
at least 24 x 24 CSS px. Screenshots go to test-artifacts/screens/ (not committed) to be
looked at."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.pwa_support import Enrolled, Live, open_page, screenshot

SIZES = {
    "phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1},
    "narrow": {"viewport": {"width": 320, "height": 640}, "device_scale_factor": 1},
    # 200% text on a 390 px phone: 195 CSS px wide (as in test_pwa_zoom.py).
    "text200": {"viewport": {"width": 195, "height": 422}, "device_scale_factor": 2},
}

# Everything wrong with the layout now: [kind, what] pairs.
LAYOUT = """() => {
    const width = document.documentElement.clientWidth;
    const found = [];
    const name = (e) => `${e.tagName.toLowerCase()}.${e.className}#${e.id}`;
    const shown = (e) => {
        const r = e.getBoundingClientRect();
        return r.width > 0 && r.height > 0 && !e.closest(".visually-hidden, [hidden]")
            && getComputedStyle(e).visibility !== "hidden";
    };
    const scrolled = document.documentElement.scrollWidth;
    if (scrolled > width + 1) found.push(["sideways scroll", String(scrolled)]);
    for (const e of document.querySelectorAll("body *")) {
        if (!shown(e) || e.closest(".strip-days")) continue;
        if (e.getBoundingClientRect().right > width + 1) found.push(["sticks out", name(e)]);
    }
    // Tap targets: links, buttons, the pain numbers and the sign rows (their labels).
    const targets = "a[href], button, .pain-option, label.sign, textarea";
    for (const e of document.querySelectorAll(targets)) {
        if (!shown(e)) continue;
        const r = e.getBoundingClientRect();
        const size = `${Math.round(r.width)}x${Math.round(r.height)}`;
        if (r.width < 24 || r.height < 24) found.push(["small target", `${name(e)} ${size}`]);
    }
    // A word on two lines (broken or hyphenated), other than at a hyphen or slash it has.
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const parent = node.parentElement;
        if (!parent || !shown(parent) || parent.closest(".strip-days")) continue;
        for (const match of node.data.matchAll(/[^\\s\\-\\u2010\\u2013\\/]+/g)) {
            const range = document.createRange();
            range.setStart(node, match.index);
            range.setEnd(node, match.index + match[0].length);
            const rects = [...range.getClientRects()].filter((r) => r.width > 0);
            const tops = new Set(rects.map((r) => Math.round(r.top)));
            if (tops.size > 1) found.push(["broken word", match[0]]);
        }
    }
    return found;
}"""


def check(page: Any, name: str) -> None:
    page.wait_for_timeout(100)  # fonts and layout settle
    screenshot(page, f"{name}.png", full_page=True)
    found = page.evaluate(LAYOUT)
    assert found == [], f"{name}: {found}"


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
    context = browser.new_context(
        **SIZES[size], base_url=live.base_url, locale="en-GB", timezone_id="Europe/London",
        has_touch=True,
    )  # fmt: skip
    try:
        page, problems = open_page(context, live.clock.now())
        page.goto(enrolled.link.url)
        expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
        page.get_by_role("link", name="Report a problem").click()
        expect(page.get_by_role("group", name="Serious warning signs")).to_be_visible()
        check(page, f"{size}-report-form")

        # Nothing chosen: the message is by the pain numbers, on screen, focus on the first.
        page.get_by_role("button", name="Send to my clinic").click()
        error = page.locator("#pain-error")
        expect(error).to_be_visible()
        expect(error).to_be_in_viewport()
        expect(page.locator(".pain-input").first).to_be_focused()
        screenshot(page, f"{size}-pain-error.png")
        assert page.evaluate(LAYOUT) == []
        page.goto("/#today")

        # Each answer, in an order where no pain rule fires by accident.
        send(page, pain=5)
        expect(page.locator(".result-routine")).to_be_visible()
        check(page, f"{size}-answer-routine-moderate-pain")
        back(page)
        send(page, pain=4, signs=("Bruising",))
        expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, this is expected")
        check(page, f"{size}-answer-routine-expected")
        back(page)
        send(page, pain=3)
        expect(page.locator(".result-routine")).to_be_visible()
        check(page, f"{size}-answer-routine")
        back(page)
        send(page, pain=3, note="I have chest pain since this morning")
        expect(
            page.get_by_text("You wrote about: Chest pain or sudden breathlessness.")
        ).to_be_visible()
        check(page, f"{size}-note-confirm")
        page.get_by_role("button", name="No, send as it is").click()
        expect(page.locator(".result-urgent")).to_be_visible()
        expect(page.locator(".result-urgent a[href^='tel:']")).to_be_visible()
        check(page, f"{size}-answer-urgent")
        back(page)
        send(page, pain=3, signs=("Chest pain or sudden breathlessness",))
        expect(page.locator(".result-emergency")).to_be_visible()
        check(page, f"{size}-answer-emergency")
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
        check(page, f"{size}-answer-urgent-closed")
        assert problems == []
    finally:
        context.close()
