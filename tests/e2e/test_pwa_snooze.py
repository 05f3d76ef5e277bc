"""Snooze from the app ("Remind me in 30 minutes" on a task that is due, the time it will
remind again in the patient's own time, plain words offline) and from the notification."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from playwright.sync_api import expect

from app.notifications.snooze import SNOOZE
from tests.e2e.pwa_support import (
    Enrolled,
    Live,
    assert_requests,
    assert_status,
    dispatch_once,
    open_page,
    push_until_shown,
    screenshot,
    scroll_into_view,
    unexpected,
)
from tests.e2e.test_pwa_reminders import _notifications, _phone_with_reminders_on, _sent_when_due
from tests.e2e.test_pwa_today import STICKING_OUT
from tests.support.push_service import FakePushService

# 2:05 pm in London (GMT until 29 March): the first "Raise your legs" is due.
AT_1405 = datetime(2026, 3, 27, 14, 5, tzinfo=UTC)


def test_snooze_from_the_app(live: Live, enrolled: Enrolled, handset: Any, browser: Any) -> None:
    live.clock.set(AT_1405)
    page, problems = open_page(handset, live.clock.now())
    page.goto(enrolled.link.url)
    first = live.occurrence("elevate_legs/t1/1")
    task = page.locator(f"#task-{first.id}")
    expect(task).to_contain_text("Please do this now")
    snooze = task.get_by_role("button", name="Remind me in 30 minutes: Raise your legs")
    expect(snooze).to_be_visible()
    box = snooze.bounding_box()
    assert box is not None and box["height"] >= 44  # a target a thumb can hit
    # Later tasks are not due: nothing to snooze yet.
    later = live.occurrence("elevate_legs/t1/3")
    expect(page.locator(f"#snooze-{later.id}")).to_have_count(0)
    screenshot(page, "snooze-due.png")

    snooze.click()
    expect(page.locator("#notice")).to_contain_text("We will remind you again at 2:35 pm.")
    expect(task).to_contain_text("We will remind you again at 2:35 pm.")  # on the task too
    expect(snooze).to_be_focused()  # focus stays on the control the patient used
    assert_requests(live, "POST", f"/api/me/tasks/{first.id}/snooze", 1)
    screenshot(page, "snooze-done.png")

    # Offline: it says plainly that it needs a connection.
    handset.set_offline(True)
    snooze.click()
    expect(page.locator("#notice")).to_contain_text("needs an internet connection")
    screenshot(page, "snooze-offline.png")
    handset.set_offline(False)
    assert unexpected(problems, offline=True) == []

    # 320 px wide with the text at 200%: the button still fits.
    narrow = browser.new_context(
        viewport={"width": 320, "height": 700}, base_url=live.base_url, locale="en-GB",
        timezone_id="Europe/London",
    )  # fmt: skip
    try:
        small, small_problems = open_page(narrow, live.clock.now())
        small.context.add_cookies(handset.cookies())
        small.goto("/")
        small.evaluate("document.documentElement.style.fontSize = '225%'")
        button = small.locator(f"#snooze-{first.id}")
        expect(button).to_be_visible()
        assert small.evaluate(STICKING_OUT) == []
        scroll_into_view(button)
        screenshot(small, "snooze-320-text200.png")
        assert unexpected(small_problems) == []
    finally:
        narrow.close()


def test_snooze_from_the_notification(
    live: Live, enrolled: Enrolled, handset: Any, push_receiver: FakePushService
) -> None:
    page, problems, device, _ = _phone_with_reminders_on(live, enrolled, handset, push_receiver)
    task = live.occurrence("elevate_legs/t1/1")
    delivery = _sent_when_due(live, page, task, push_receiver, device)
    push_until_shown(
        handset, page, scope=f"{live.base_url}/", payload=delivery.payload,
        shown=lambda: _notifications(page),
    )  # fmt: skip
    # The worker's own click handler, with the snooze action, makes the real request.
    [worker] = handset.service_workers
    worker.evaluate(
        """async () => {
            const [notification] = await self.registration.getNotifications();
            await handleNotificationClick(notification, "snooze");
        }"""
    )
    assert live.requests_to("POST", "/api/push-actions/snooze") == [
        ("POST", "/api/push-actions/snooze", 200)
    ]
    assert_status(live, "elevate_legs/t1/1", "pending")  # snoozed, not ticked
    # 30 minutes later the dispatcher sends the reminder once more.
    live.clock.set(task.due_at + SNOOZE)
    dispatch_once(live)
    push_receiver.wait_for(2, subscription_id=device.id)
    assert unexpected(problems) == []
