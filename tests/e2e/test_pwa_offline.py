"""Offline: the app opens from the service worker's copy, ticks and reports wait in IndexedDB
and are sent exactly once when the phone is back online."""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import expect
from sqlmodel import select

from app.reports.models import SymptomReport
from tests.e2e.pwa_support import (
    Enrolled,
    Live,
    assert_status,
    open_page,
    screenshot,
    unexpected,
    wait_for_offline_copy,
)


def test_a_tick_made_offline_is_sent_once_when_back_online(
    live: Live, enrolled: Enrolled, handset: Any
) -> None:
    page, problems = open_page(handset, live.clock.now())
    page.goto(enrolled.link.url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
    wait_for_offline_copy(page)
    task = live.occurrence("elevate_legs/t1/1")
    item = page.locator(f"#task-{task.id}")

    handset.set_offline(True)
    live.unplug()
    item.get_by_role("button", name="Mark as done: Raise your legs").click()
    expect(item).to_contain_text("Done. Waiting to send.")
    expect(page.locator("#sync")).to_have_text(
        "Waiting to send: 1 tick. It will be sent when your phone is back online."
    )
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "offline-waiting.png")

    # Closed and opened again while still offline: the plan and the waiting tick are there.
    page.reload()
    expect(page.locator("#connection")).to_contain_text("You are offline.")
    expect(item).to_contain_text("Done. Waiting to send.")
    expect(page.locator("#sync")).to_contain_text("Waiting to send: 1 tick.")
    screenshot(page, "offline-reopened.png")
    assert_status(live, "elevate_legs/t1/1", "pending")

    live.plug_in()
    handset.set_offline(False)
    # (The browser may say "online" a moment before requests get through: allow for a retry.)
    expect(page.locator("#sync")).to_be_hidden(timeout=10000)
    expect(item).to_contain_text("Done at 12:00 pm")
    expect(page.locator("#connection")).to_be_hidden(timeout=10000)
    assert_status(live, "elevate_legs/t1/1", "done")
    page.wait_for_timeout(300)  # nothing else goes out afterwards
    assert live.requests_to("POST", "/complete") == [
        ("POST", f"/api/me/tasks/{task.id}/complete", 200)
    ]
    assert unexpected(problems, offline=True) == []


def test_a_tick_and_undo_offline_cancel_out(live: Live, enrolled: Enrolled, handset: Any) -> None:
    page, problems = open_page(handset, live.clock.now())
    page.goto(enrolled.link.url)
    wait_for_offline_copy(page)
    task = live.occurrence("elevate_legs/t1/1")
    item = page.locator(f"#task-{task.id}")

    handset.set_offline(True)
    live.unplug()
    item.get_by_role("button", name="Mark as done: Raise your legs").click()
    item.get_by_role("button", name="Undo: Raise your legs").click()
    expect(item.get_by_role("button", name="Mark as done: Raise your legs")).to_be_visible()
    expect(page.locator("#sync")).not_to_contain_text("Waiting to send")
    live.plug_in()
    handset.set_offline(False)
    page.wait_for_timeout(500)
    assert live.requests_to("POST", "/complete") == []
    assert live.requests_to("DELETE", "/complete") == []
    assert_status(live, "elevate_legs/t1/1", "pending")
    assert unexpected(problems, offline=True) == []


def test_an_emergency_reported_offline_is_answered_at_once_and_stored_once(
    live: Live, enrolled: Enrolled, handset: Any
) -> None:
    page, problems = open_page(handset, live.clock.now())
    page.goto(enrolled.link.url)
    page.get_by_role("link", name="Report a problem").click()
    expect(page.get_by_role("group", name="Serious warning signs")).to_be_visible()
    wait_for_offline_copy(page, including=("/api/me/report-form", "/api/me/reports"))

    handset.set_offline(True)
    live.unplug()
    page.get_by_role("radio", name="5", exact=True).check()
    page.get_by_role("checkbox", name="Swollen lips, tongue or throat").check()
    page.get_by_role("button", name="Send to my clinic").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Call 999 now")
    expect(page.get_by_role("link", name="Call 999 now")).to_have_attribute("href", "tel:999")
    expect(page.get_by_text("Your report is saved on this phone.")).to_be_visible()
    screenshot(page, "offline-emergency.png")

    live.plug_in()
    handset.set_offline(False)
    # Sent when back online; the clinic's own answer then replaces the phone's.
    expect(page.get_by_text("they have been alerted")).to_be_visible(timeout=10000)
    deadline = time.monotonic() + 5
    while not _reports(live):
        assert time.monotonic() < deadline
        page.wait_for_timeout(50)
    [report] = _reports(live)
    assert (report.level, report.pain, report.signs) == ("emergency", 5, ["throat_swelling"])
    assert live.requests_to("POST", "/api/me/reports") == [("POST", "/api/me/reports", 201)]
    assert unexpected(problems, offline=True) == []


def _reports(live: Live) -> list[SymptomReport]:
    with live.factory() as session:
        return list(session.exec(select(SymptomReport)).all())
