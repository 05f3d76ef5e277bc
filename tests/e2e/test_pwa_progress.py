"""Your progress on Today: the server's words first, a row of days named by the same words,
the week's count after a tick and its undo, and the section fitting each way a phone is held."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.layout_support import check_screen, layout_shift, open_sized
from tests.e2e.pwa_support import (
    SCREENS,
    Enrolled,
    Live,
    open_page,
    screenshot,
    scroll_into_view,
    unexpected,
    wait_for_offline_copy,
)

CLS_LIMIT = 0.1  # Lighthouse's "good" cumulative layout shift, for Today with the section
# Layout shifts whose moved elements include the progress section or anything in it. The
# section is drawn with the plan (fetched together) and last on Today, so nothing below it
# can move when it comes or changes.
PROGRESS_SHIFTS = """() => new Promise((resolve) => {
    new PerformanceObserver((list, observer) => {
        observer.disconnect();
        resolve(list.getEntries()
            .filter((e) => !e.hadRecentInput)
            .filter((e) => e.sources.some((s) => s.node && s.node.closest
                && s.node.closest("#progress")))
            .reduce((sum, e) => sum + e.value, 0));
    }).observe({ type: "layout-shift", buffered: true });
    setTimeout(() => resolve(0), 500);
})"""

# What is wrong inside the section: an element past the screen's edge, or a word broken over
# two lines (as layout_support.LAYOUT measures the whole page).
SECTION_PROBLEMS = """() => {
    const width = document.documentElement.clientWidth;
    const section = document.getElementById("progress");
    const found = [];
    for (const e of [section, ...section.querySelectorAll("*")]) {
        if (e.getBoundingClientRect().right > width + 1) found.push(["sticks out", e.className]);
    }
    const walker = document.createTreeWalker(section, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (const match of node.data.matchAll(/[^\\s\\-\\/]+/g)) {
            const range = document.createRange();
            range.setStart(node, match.index);
            range.setEnd(node, match.index + match[0].length);
            const rects = [...range.getClientRects()].filter((r) => r.width > 0);
            if (new Set(rects.map((r) => Math.round(r.top))).size > 1) {
                found.push(["broken word", match[0]]);
            }
        }
    }
    return found;
}"""


def test_words_first_with_a_named_visual_and_a_count_after_a_tick(
    live: Live, enrolled: Enrolled, handset: Any
) -> None:
    page, problems = open_page(handset, live.clock.now())
    page.goto(enrolled.link.url)
    section = page.get_by_role("region", name="Your progress")
    expect(section).to_be_visible()
    aspirin = section.locator(".plan-progress-span")
    expect(aspirin.get_by_role("heading", level=3)).to_have_text("No aspirin for six weeks")
    expect(aspirin).to_contain_text("Day 0 of 42: the day of your treatment.")
    expect(aspirin).to_contain_text("42 more days after today: until and including Friday 8 May.")
    visual = aspirin.get_by_role("img")
    expect(visual).to_have_attribute(
        "aria-label", "No aspirin for six weeks: Day 0 of 42: the day of your treatment."
    )
    expect(visual.locator(".plan-progress-day")).to_have_count(42)
    expect(visual.locator(".plan-progress-day").first).to_have_attribute("aria-hidden", "true")
    expect(section.locator(".plan-progress-course")).to_contain_text("Starts on Sunday 29 March.")
    expect(section.locator(".plan-progress-visit")).to_contain_text(
        "Your next visit is in 14 days, on Friday 10 April."
    )
    week = section.locator(".plan-progress-tasks")
    expect(week).to_contain_text("Tasks you tick off are counted here.")
    assert "%" not in section.inner_text()
    screenshot(page, "progress-day0.png", full_page=True)

    page.get_by_role("button", name="Mark as done: Raise your legs").first.click()
    expect(week).to_contain_text("You ticked off 1 of 1 task in the last 7 days.")
    page.get_by_role("button", name="Undo: Raise your legs").first.click()
    expect(week).to_contain_text("Tasks you tick off are counted here.")
    assert unexpected(problems) == []


def test_offline_the_saved_words_of_the_same_day_only(
    live: Live, enrolled: Enrolled, handset: Any
) -> None:
    page, problems = open_page(handset, live.clock.now())
    page.goto(enrolled.link.url)
    expect(page.get_by_role("region", name="Your progress")).to_be_visible()
    wait_for_offline_copy(page, including=("/api/me/progress",))
    handset.set_offline(True)
    live.unplug()
    page.reload()
    expect(page.locator("#connection")).to_contain_text("You are offline.")
    section = page.get_by_role("region", name="Your progress")
    expect(section).to_contain_text("Day 0 of 42: the day of your treatment.")
    # The next day, still offline: the saved words are the day before's, so none are shown
    # (never "Day 0" on day 1); the plan's own advice above still says the last day.
    page.clock.set_fixed_time(live.clock.now() + timedelta(days=1))
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Saturday 28 March")
    expect(page.locator(".advice-list")).to_contain_text("No aspirin for six weeks")
    expect(page.locator("#progress")).to_have_count(0)
    assert unexpected(problems, offline=True) == []


@pytest.mark.parametrize("size", ["phone", "narrow", "text200"])
def test_mid_plan_progress_fits_and_does_not_shift_today(
    live: Live, enrolled: Enrolled, browser: Any, size: str
) -> None:
    later = live.clock.now() + timedelta(days=9)  # Sunday 5 April, noon; the link still works
    live.clock.set(later)
    context, page, problems = open_sized(browser, live, size)
    try:
        page.goto(enrolled.link.url)
        section = page.get_by_role("region", name="Your progress")
        aspirin = section.locator(".plan-progress-span")
        expect(aspirin).to_contain_text("Day 9 of 42.")
        expect(aspirin).to_contain_text("33 more days after today")
        expect(aspirin.get_by_role("img")).to_have_accessible_name(
            "No aspirin for six weeks: Day 9 of 42."
        )
        expect(aspirin.locator(".plan-progress-day.is-passed")).to_have_count(9)
        expect(section.locator(".plan-progress-course")).to_contain_text("Day 8 of 20.")
        page.wait_for_timeout(1500)  # the plan, progress, form and reports have all arrived
        shift = page.evaluate(PROGRESS_SHIFTS)
        assert shift == 0, f"{size}: the progress section moved by {shift:.3f}"
        today = layout_shift(page)
        assert today < CLS_LIMIT, f"{size}: Today shifted by {today:.3f}"
        scroll_into_view(section)
        # Measured before any screenshot: a whole-page screenshot can lose the large text.
        assert page.evaluate(SECTION_PROBLEMS) == [], size
        section.screenshot(path=str(SCREENS / f"{size}-progress-section.png"))
        check_screen(page, f"{size}-progress")
        assert unexpected(problems) == []
    finally:
        context.close()
