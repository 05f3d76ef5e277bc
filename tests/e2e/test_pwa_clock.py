"""A phone whose clock is hours wrong still shows the day and the tasks by the server's clock."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from playwright.sync_api import expect

from tests.e2e.pwa_support import Enrolled, Live, open_page, unexpected


def test_a_phone_six_hours_fast_follows_the_server(
    live: Live, enrolled: Enrolled, handset: Any
) -> None:
    # Server: 12:00 in London. The phone believes it is 18:00, after the 14:00 task's window.
    page, problems = open_page(handset, live.clock.now() + timedelta(hours=6))
    page.goto(enrolled.link.url)

    expect(page.get_by_text("Good afternoon, Ada.")).to_be_visible()
    first = live.occurrence("elevate_legs/t1/1")
    task = page.locator(f"#task-{first.id}")
    expect(task).to_contain_text("Coming up soon")
    expect(task).not_to_contain_text("Missed")
    assert page.evaluate("Number(localStorage.getItem('aftercare-clock-offset'))") == -6 * 3600_000
    assert unexpected(problems) == []
