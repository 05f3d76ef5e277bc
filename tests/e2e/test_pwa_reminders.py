"""Reminders end to end: the patient turns them on, the server sends a real encrypted push, the
service worker shows it, and its "Done" button ticks the task off on the server."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta
from typing import Any

import httpx
from playwright.sync_api import expect
from sqlmodel import select

from app.notifications.models import DeliveryReceipt, PushSubscription
from app.patients.models import Patient
from tests.e2e.pwa_support import (
    Enrolled,
    Live,
    assert_status,
    dispatch_once,
    open_page,
    push_until_shown,
    screenshot,
)
from tests.support.push_service import FakePushService, FakeSubscription

# Chromium cannot reach a real push service here: PushManager hands out the loopback push
# service's subscription instead, and remembers the applicationServerKey it was asked for.
PUSH_STUB = """
(() => {
  if (typeof PushManager === "undefined") return;
  const made = %s;
  const KEY = "test.push-subscription-key";
  const subscription = () => ({
    endpoint: made.endpoint,
    expirationTime: null,
    options: { userVisibleOnly: true },
    getKey: () => null,
    toJSON: () => made.json,
    unsubscribe: async () => { localStorage.removeItem(KEY); return true; },
  });
  PushManager.prototype.subscribe = async function (options) {
    const bytes = new Uint8Array(options.applicationServerKey);
    const key = btoa(String.fromCharCode(...bytes))
      .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
    localStorage.setItem(KEY, key);
    return subscription();
  };
  PushManager.prototype.getSubscription = async function () {
    return localStorage.getItem(KEY) ? subscription() : null;
  };
})();
"""


def _stub_push(context: Any, subscription: FakeSubscription) -> None:
    made = {"endpoint": subscription.endpoint, "json": subscription.to_json()}
    context.add_init_script(PUSH_STUB % json.dumps(made))


def _notifications(page: Any) -> list[dict[str, Any]]:
    notifications: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const registration = await navigator.serviceWorker.ready;
            return (await registration.getNotifications()).map((n) => ({
                title: n.title, body: n.body, tag: n.tag, data: n.data, lang: n.lang,
                actions: (n.actions || []).map((a) => ({ action: a.action, title: a.title })),
            }));
        }"""
    )
    return notifications


def _enrolled_phone_that_can_push(
    live: Live, enrolled: Enrolled, handset: Any, push_receiver: FakePushService
) -> tuple[Any, list[str], FakeSubscription, dict[str, str]]:
    """The patient's phone, enrolled, notifications allowed, PushManager answering with a
    subscription of the loopback push service made for the server's current key (returned)."""
    key = httpx.get(f"{live.base_url}/api/push/public-key").json()
    device = push_receiver.subscribe(application_server_key=key["public_key"])
    _stub_push(handset, device)
    handset.grant_permissions(["notifications"], origin=live.base_url)
    page, problems = open_page(handset, live.clock.now())
    page.goto(enrolled.link.url)
    return page, problems, device, key


def _phone_with_reminders_on(
    live: Live, enrolled: Enrolled, handset: Any, push_receiver: FakePushService
) -> tuple[Any, list[str], FakeSubscription, dict[str, str]]:
    """As _enrolled_phone_that_can_push, with the patient's tap on "Turn on reminders" done."""
    page, problems, device, key = _enrolled_phone_that_can_push(
        live, enrolled, handset, push_receiver
    )
    page.get_by_role("button", name="Turn on reminders").click()
    expect(page.locator(".reminders")).to_contain_text("Reminders are on.")
    return page, problems, device, key


def _sent_when_due(
    live: Live, page: Any, task: Any, push_receiver: FakePushService, device: FakeSubscription
) -> Any:
    """The clocks at the task's time, one dispatch: the one delivery the device received."""
    live.clock.set(task.due_at)
    page.clock.set_fixed_time(task.due_at)
    dispatch_once(live)
    [delivery] = push_receiver.wait_for(1, subscription_id=device.id)
    return delivery


def _devices(live: Live) -> list[PushSubscription]:
    with live.factory() as session:
        return list(session.exec(select(PushSubscription)).all())


def test_a_due_reminder_is_shown_and_done_ticks_the_task(
    live: Live, enrolled: Enrolled, handset: Any, push_receiver: FakePushService
) -> None:
    page, problems, device, key = _enrolled_phone_that_can_push(
        live, enrolled, handset, push_receiver
    )

    # Nothing is asked before the patient taps the button.
    assert live.requests_to("POST", "/api/me/push-subscriptions") == []
    page.get_by_role("button", name="Turn on reminders").click()
    expect(page.locator(".reminders")).to_contain_text("Reminders are on.")
    assert live.requests_to("POST", "/api/me/push-subscriptions") == [
        ("POST", "/api/me/push-subscriptions", 201)
    ]
    [stored] = _devices(live)
    assert stored.endpoint == device.endpoint
    assert stored.vapid_key_id == key["key_id"]
    assert page.evaluate("localStorage.getItem('test.push-subscription-key')") == key["public_key"]

    # 2 pm: "Raise your legs" is due; the dispatcher sends it through the loopback push service.
    task = live.occurrence("elevate_legs/t1/1")
    delivery = _sent_when_due(live, page, task, push_receiver, device)
    assert delivery.json()["task_id"] == str(task.id)

    # The worker's PushManager is Chromium's own (the stub is the page's): it answers with
    # the loopback subscription too, so the receipt can name this phone by its endpoint.
    handset.service_workers[0].evaluate(
        "(endpoint) => {"
        " self.registration.pushManager.getSubscription = async () => ({ endpoint }); }",
        device.endpoint,
    )
    # The decrypted message goes to the real service worker as the push service would send it.
    [notification] = push_until_shown(
        handset, page, scope=f"{live.base_url}/", payload=delivery.payload,
        shown=lambda: _notifications(page),
    )  # fmt: skip
    assert notification["title"] == "Aftercare"
    assert notification["body"] == "Time for your aftercare task"  # no task on the lock screen
    assert notification["tag"] == str(task.id)
    # `for`: whom it is for, so a carer's phone showing someone else switches first.
    assert notification["data"]["url"] == f"/?task={task.id}&for={task.patient_id}"
    assert notification["actions"] == [
        {"action": "done", "title": "Done"},
        {"action": "snooze", "title": "Remind me in 30 minutes"},  # tests/e2e/test_pwa_snooze.py
    ]
    # Shown: the worker reports it, naming this phone by its push endpoint.
    _wait_for(lambda: bool(live.requests_to("POST", "/api/push/receipts")), page)
    assert live.requests_to("POST", "/api/push/receipts")[0] == ("POST", "/api/push/receipts", 204)
    with live.factory() as session:
        [receipt] = session.exec(select(DeliveryReceipt)).all()
        assert (receipt.occurrence_id, receipt.event) == (task.id, "shown")
        assert receipt.device_session_id is not None

    # "Done": the worker's own click handler, with the action, makes the real request.
    [worker] = handset.service_workers
    remaining = worker.evaluate(
        """async () => {
            const [notification] = await self.registration.getNotifications();
            await handleNotificationClick(notification, "done");
            return (await self.registration.getNotifications()).length;
        }"""
    )
    assert remaining == 0
    assert live.requests_to("POST", "/api/push-actions/complete") == [
        ("POST", "/api/push-actions/complete", 200)
    ]
    assert_status(live, "elevate_legs/t1/1", "done")
    # The open app hears about it and shows the task as done.
    expect(page.locator(f"#task-{task.id}")).to_contain_text("Done at 2:00 pm")

    # A tap on the reminder itself opens the app at that task, highlighted.
    next_task = live.occurrence("elevate_legs/t1/2")
    message = delivery.json() | {"task_id": str(next_task.id), "url": f"/?task={next_task.id}"}
    worker.evaluate(
        """async (message) => {
            await showReminder(message);
            const [notification] = await self.registration.getNotifications();
            await handleNotificationClick(notification, "");
        }""",
        message,
    )
    item = page.locator(f"#task-{next_task.id}")
    expect(item).to_have_class(re.compile(r"\bhighlight\b"))
    expect(item).to_be_focused()

    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Settings")
    expect(page.locator(".reminders")).to_contain_text("Reminders are on")
    expect(page.locator("#reach-line")).to_have_text(
        "Reminders reach this phone: last shown today 14:00."
    )
    screenshot(page, "settings.png")
    screenshot(page, "settings-full.png", full_page=True)
    page.set_viewport_size({"width": 320, "height": 700})
    screenshot(page, "settings-320.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})

    page.get_by_role("button", name="Turn off reminders").click()
    expect(page.locator(".reminders")).to_contain_text("Reminders are off on this phone.")
    assert live.requests_to("DELETE", "/api/me/push-subscriptions") == [
        ("DELETE", "/api/me/push-subscriptions", 204)
    ]
    assert _devices(live) == []
    assert problems == []


def test_a_polish_patients_reminder_and_its_buttons_are_in_polish(
    live: Live, enrolled: Enrolled, handset: Any, push_receiver: FakePushService
) -> None:
    page, problems, device, _ = _phone_with_reminders_on(live, enrolled, handset, push_receiver)
    task = live.occurrence("elevate_legs/t1/1")
    with live.factory() as session:
        patient = session.get(Patient, task.patient_id)
        assert patient is not None
        patient.language = "pl"
        session.add(patient)
        session.commit()
    delivery = _sent_when_due(live, page, task, push_receiver, device)
    [notification] = push_until_shown(
        handset, page, scope=f"{live.base_url}/", payload=delivery.payload,
        shown=lambda: _notifications(page),
    )  # fmt: skip
    # The worker shows the server's words: the generic text, the buttons and their language.
    assert notification["body"] == "Czas na zadanie z planu opieki po zabiegu"
    assert notification["lang"] == "pl-PL"
    assert notification["actions"] == [
        {"action": "done", "title": "Zrobione"},
        {"action": "snooze", "title": "Przypomnij mi za 30 minut"},
    ]
    assert problems == []


def test_reminders_subscribe_again_when_the_server_key_changed_or_it_forgot_the_phone(
    live: Live, enrolled: Enrolled, handset: Any, push_receiver: FakePushService
) -> None:
    page, problems, device, key = _phone_with_reminders_on(live, enrolled, handset, push_receiver)

    page.reload()  # all is well: nothing is sent again
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
    page.wait_for_timeout(300)
    assert len(live.requests_to("POST", "/api/me/push-subscriptions")) == 1

    with live.factory() as session:  # as if this subscription was made with an older key
        [stored] = session.exec(select(PushSubscription)).all()
        stored.vapid_key_id = "retired-key"
        session.add(stored)
        session.commit()
    page.reload()
    _wait_for(lambda: len(live.requests_to("POST", "/api/me/push-subscriptions")) == 2, page)
    assert [d.vapid_key_id for d in _devices(live)] == [key["key_id"]]

    with live.factory() as session:  # the server forgot this phone (e.g. the push service 410)
        for row in session.exec(select(PushSubscription)).all():
            session.delete(row)
        session.commit()
    page.reload()
    _wait_for(lambda: len(live.requests_to("POST", "/api/me/push-subscriptions")) == 3, page)
    assert [d.endpoint for d in _devices(live)] == [device.endpoint]
    assert problems == []


def _wait_for(condition: Any, page: Any, timeout: timedelta = timedelta(seconds=10)) -> None:
    deadline = time.monotonic() + timeout.total_seconds()
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(50)


# One base64url (app/web/js/base64url.js) for the page and the service worker: the server's key
# decodes to an uncompressed P-256 point and encodes back, and "-_8" is RFC 4648's URL alphabet.
BASE64URL_CHECK = """(key) => {
    const { toBytes, fromBytes } = self.base64url;
    const bytes = toBytes(key);
    return {
        length: bytes.length, first: bytes[0],
        again: fromBytes(bytes), buffer: fromBytes(bytes.buffer),
        alphabet: Array.from(toBytes("-_8")),
        view: fromBytes(Uint8Array.of(0, 251, 255).subarray(1)),
    };
}"""


def test_the_page_and_the_service_worker_share_one_base64url(
    live: Live, enrolled: Enrolled, handset: Any, push_receiver: FakePushService
) -> None:
    page, problems, _, key = _enrolled_phone_that_can_push(live, enrolled, handset, push_receiver)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    [worker] = handset.service_workers
    expected = {
        "length": 65, "first": 4, "again": key["public_key"], "buffer": key["public_key"],
        "alphabet": [251, 255], "view": "-_8",
    }  # fmt: skip
    assert page.evaluate(BASE64URL_CHECK, key["public_key"]) == expected
    assert worker.evaluate(BASE64URL_CHECK, key["public_key"]) == expected
    assert problems == []


# Counts the app's calls for notification permission; answers "default" (the patient has not
# decided), as a phone does until it is asked and answered.
COUNT_PERMISSION_ASKS = """
(() => {
  window.permissionAsks = 0;
  Notification.requestPermission = async () => { window.permissionAsks += 1; return "default"; };
})();
"""


def test_permission_is_asked_only_after_a_tap_that_says_what_it_is_for(
    live: Live, enrolled: Enrolled, handset: Any
) -> None:
    handset.add_init_script(COUNT_PERMISSION_ASKS)
    page, problems = open_page(handset, live.clock.now())
    page.goto(enrolled.link.url)
    prompt = page.locator("#reminders-slot")
    expect(prompt).to_contain_text("Get a reminder on this phone when it is time for each task.")
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Today").click()
    page.reload()
    expect(prompt.get_by_role("button", name="Turn on reminders")).to_be_visible()
    assert page.evaluate("window.permissionAsks") == 0  # opening, moving, reloading: never asked
    prompt.get_by_role("button", name="Turn on reminders").click()
    expect(prompt).to_contain_text("Reminders are still off. You can turn them on at any time.")
    assert page.evaluate("window.permissionAsks") == 1
    assert problems == []
