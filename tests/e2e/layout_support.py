"""Measuring a patient screen as a person would hold it: the sizes, and what is wrong on each.

Four ways a phone is held: a 390 x 844 phone, a 320 x 640 one, 200 % browser zoom (half the CSS
pixels at twice the scale) and 200 % text size (the phone's own text setting: the same CSS
pixels, a default font twice as large). Each check measures; screenshots are only to look at.
"""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.pwa_support import SCREENS, Live, open_page, screenshot

SIZES: dict[str, dict[str, Any]] = {
    "phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1},
    "narrow": {"viewport": {"width": 320, "height": 640}, "device_scale_factor": 1},
    "zoom200": {"viewport": {"width": 195, "height": 422}, "device_scale_factor": 2},
    "text200": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1},
}
# The phone's text setting at 200 %: Chromium's default font size, which `rem` (and the
# stylesheet's rem media queries) follow, as the phone's setting does.
LARGE_TEXT = {"standard": 32, "fixed": 26}
# A bar fixed to the screen may take at most this share of its height (issue 18: "about 15 %").
BAR_SHARE = 0.15

# Everything wrong with the layout now: [kind, what] pairs.
LAYOUT = """(barShare) => {
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
    // Tap targets (WCAG 2.2 2.5.8): links and buttons outside running text, form controls
    // that are drawn (a radio drawn as its label is measured by its label).
    const targets = "a[href], button, .pain-option, label.sign, textarea, select, "
        + "input:not([type=radio]):not([type=checkbox]):not([type=hidden])";
    for (const e of document.querySelectorAll(targets)) {
        // A link inside a sentence is exempt (2.5.8's "inline" exception).
        if (!shown(e) || (e.matches("a") && e.closest("p"))) continue;
        const r = e.getBoundingClientRect();
        const size = `${Math.round(r.width)}x${Math.round(r.height)}`;
        if (r.width < 24 || r.height < 24) found.push(["small target", `${name(e)} ${size}`]);
    }
    // A bar that stays on screen while the page scrolls may take only so much of it.
    for (const e of document.querySelectorAll("nav, header, footer, .tabs")) {
        const position = getComputedStyle(e).position;
        if (!shown(e) || (position !== "fixed" && position !== "sticky")) continue;
        const share = e.getBoundingClientRect().height / innerHeight;
        if (share > barShare) found.push(["bar too tall", `${name(e)} ${share.toFixed(2)}`]);
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

# Cumulative layout shift so far, as Lighthouse counts it (shifts not caused by input; the
# largest 1 s session window of shifts at most 5 s long).
CLS = """() => new Promise((resolve) => {
    new PerformanceObserver((list, observer) => {
        observer.disconnect();
        let best = 0, current = 0, first = 0, last = 0;
        for (const e of list.getEntries()) {
            if (e.hadRecentInput) continue;
            if (current && e.startTime - last < 1000 && e.startTime - first < 5000) {
                current += e.value;
            } else {
                current = e.value;
                first = e.startTime;
            }
            last = e.startTime;
            best = Math.max(best, current);
        }
        resolve(best);
    }).observe({ type: "layout-shift", buffered: true });
    // No shift at all: the observer is never called back.
    setTimeout(() => resolve(0), 500);
})"""


# The figures a closing note quotes, per screen: the tallest fixed bar's share of the screen,
# the smallest tap target and the layout shift so far; one JSON line per screen checked.
MEASURES = """() => {
    let bar = 0;
    for (const e of document.querySelectorAll("nav, header, footer, .tabs")) {
        const position = getComputedStyle(e).position;
        if (position === "fixed" || position === "sticky") {
            bar = Math.max(bar, e.getBoundingClientRect().height / innerHeight);
        }
    }
    let smallest = null;
    const targets = "a[href], button, .pain-option, label.sign, select";
    for (const e of document.querySelectorAll(targets)) {
        const r = e.getBoundingClientRect();
        if (r.width === 0 || (e.matches("a") && e.closest("p"))) continue;
        const side = Math.min(r.width, r.height);
        if (smallest === null || side < smallest) smallest = side;
    }
    const target = smallest === null ? null : Math.round(smallest);
    return { bar_share: Number(bar.toFixed(3)), smallest_target: target };
}"""
MEASUREMENTS = SCREENS.parent / "measurements.jsonl"


def record_measures(page: Any, name: str) -> None:
    """Append the screen's figures to MEASUREMENTS (read by `python -m tests.e2e.measurements`)."""
    figures: dict[str, Any] = page.evaluate(MEASURES)
    figures["cls"] = round(layout_shift(page), 4)
    MEASUREMENTS.parent.mkdir(parents=True, exist_ok=True)
    with MEASUREMENTS.open("a", encoding="utf-8") as out:
        out.write(json.dumps({"screen": name, **figures}) + "\n")


def sized_context(browser: Any, live: Live, size: str, locale: str = "en-GB") -> Any:
    """A London phone context held as `size` says, its browser in `locale`."""
    return browser.new_context(
        **SIZES[size], base_url=live.base_url, locale=locale, timezone_id="Europe/London",
        has_touch=True,
    )  # fmt: skip


def open_sized(
    browser: Any, live: Live, size: str, locale: str = "en-GB"
) -> tuple[Any, Any, list[str]]:
    """(context, page, problems) for `size`, the page's clock pinned to the live clock's now."""
    context = sized_context(browser, live, size, locale)
    page, problems = open_page(context, live.clock.now())
    if size == "text200":
        cdp = context.new_cdp_session(page)
        cdp.send("Page.enable")
        cdp.send("Page.setFontSizes", {"fontSizes": LARGE_TEXT})
    return context, page, problems


def layout_problems(page: Any) -> list[list[str]]:
    """What is wrong with the layout now ([] when nothing is)."""
    found: list[list[str]] = page.evaluate(LAYOUT, BAR_SHARE)
    return found


def check_screen(page: Any, name: str) -> None:
    """Fail on anything the layout check (and axe) finds, and screenshot the page as `name`.png.

    Measured before the screenshot: Chromium's full-page capture resets the text size that
    `open_sized` set, so at 200 % text the screenshot is of the first screen only (as the
    patient sees it) and is taken last.
    """
    page.wait_for_timeout(100)  # fonts and layout settle
    found = layout_problems(page)
    record_measures(page, name)
    large = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") > 16
    screenshot(page, f"{name}.png", full_page=not large)
    assert found == [], f"{name}: {found}"


def layout_shift(page: Any) -> float:
    """The page's cumulative layout shift so far (Lighthouse's session-window count)."""
    shift: float = page.evaluate(CLS)
    return shift
