"""The alert inbox: a patient's report appears without reload, is acknowledged with a note, and
a browser that turned alerts on gets a push its service worker shows without the patient's name."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import httpx
from playwright.sync_api import expect
from sqlmodel import col, select

from app.notifications.models import PushSubscription
from app.patients.models import Patient
from app.reports.models import Alert
from tests.e2e import console_support as console
from tests.e2e.pwa_support import (
    Live,
    dispatch_once,
    push_until_shown,
    screenshot,
    unexpected,
)
from tests.support.push_service import FakePushService

# Chromium cannot reach a real push service here: PushManager hands out the loopback push
# service's subscription instead (as in the PWA's reminder tests).
PUSH_STUB = """
(() => {
  if (typeof PushManager === "undefined") return;
  const made = %s;
  const KEY = "test.staff-push";
  const subscription = () => ({
    endpoint: made.endpoint,
    expirationTime: null,
    options: { userVisibleOnly: true, applicationServerKey: null },
    toJSON: () => made.json,
    unsubscribe: async () => { localStorage.removeItem(KEY); return true; },
  });
  PushManager.prototype.subscribe = async function () {
    localStorage.setItem(KEY, "1");
    return subscription();
  };
  PushManager.prototype.getSubscription = async function () {
    return localStorage.getItem(KEY) ? subscription() : null;
  };
})();
"""


def _alert(live: Live, patient_name: str) -> Alert:
    with live.factory() as session:
        patient = session.exec(select(Patient).where(Patient.name == patient_name)).one()
        return session.exec(select(Alert).where(Alert.patient_id == patient.id)).one()


def test_a_report_appears_live_and_is_acknowledged_with_a_note(
    live: Live, desk: Any, push_receiver: FakePushService
) -> None:
    clinic = console.riverside(live, push_receiver)
    now = live.clock.now()
    # An emergency raised 20 minutes ago is already waiting when the nurse opens the inbox.
    live.clock.set(now - timedelta(minutes=20))
    clinic.phones["Florence Nightingale"].report(pain=4, signs=["chest_pain_breathless"])
    live.clock.set(now)
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.NURSE_EMAIL)
    nav_alerts = page.get_by_role("navigation", name="Console").get_by_role("link", name="Alerts")
    expect(nav_alerts).to_have_accessible_name("Alerts, 1 open")
    nav_alerts.click()
    inbox = page.get_by_role("list", name="Open alerts")
    emergency = inbox.get_by_role("listitem", name="Florence Nightingale")
    expect(emergency).to_have_class(re.compile(r"\balert-emergency\b"))
    expect(emergency).to_contain_text("Emergency")
    # The sign as the patient's form labelled it, not its code.
    expect(emergency).to_contain_text("Chest pain or sudden breathlessness")
    page.evaluate("window.sameDocument = true")

    # Mary reports a fever from her phone: the open inbox shows it by itself, below the emergency.
    clinic.phones["Mary Seacole"].report(pain=7, signs=["fever"], note="Hot & shivery <since 6pm>")
    urgent = inbox.get_by_role("listitem", name="Mary Seacole")
    expect(urgent).to_be_visible(timeout=12_000)
    expect(urgent).to_contain_text("Hot & shivery <since 6pm>")
    expect(inbox.locator(":scope > li")).to_have_count(2)
    expect(inbox.locator(":scope > li").first).to_have_accessible_name("Florence Nightingale")
    expect(nav_alerts).to_have_accessible_name("Alerts, 2 open")
    expect(page.locator("#alert")).to_have_text("New urgent alert: Mary Seacole")
    assert page.evaluate("window.sameDocument") is True  # no reload
    screenshot(page, "console-alerts.png")

    # A note is required; then the alert leaves the open list and shows who acknowledged it.
    urgent.get_by_role("button", name="Acknowledge").click()
    expect(urgent.get_by_role("alert")).to_contain_text("Please write what was done")
    urgent.get_by_label("Note (what was done)").fill("Called Mary; GP visit today.")
    urgent.get_by_role("button", name="Acknowledge").click()
    expect(inbox.locator(":scope > li")).to_have_count(1)
    handled = page.get_by_role("list", name="Recently acknowledged")
    expect(handled).to_contain_text("Acknowledged by nurse@riverside.example")
    expect(handled).to_contain_text("Called Mary; GP visit today.")
    expect(nav_alerts).to_have_accessible_name("Alerts, 1 open")

    alert = _alert(live, "Mary Seacole")
    nurse = console.staff_by_email(live, console.NURSE_EMAIL)
    assert alert.status == "acknowledged"
    assert alert.acknowledged_by == nurse.id
    assert alert.acknowledgement_note == "Called Mary; GP visit today."
    assert alert.acknowledged_at == now
    assert _alert(live, "Florence Nightingale").status == "open"
    console.no_problems(problems)


def test_alerts_on_this_browser_arrive_as_a_nameless_notification(
    live: Live, desk: Any, push_receiver: FakePushService
) -> None:
    clinic = console.riverside(live, push_receiver)
    key = httpx.get(f"{live.base_url}/api/push/public-key").json()
    device = push_receiver.subscribe(application_server_key=key["public_key"])
    made = {"endpoint": device.endpoint, "json": device.to_json()}
    desk.add_init_script(PUSH_STUB % json.dumps(made))
    desk.grant_permissions(["notifications"], origin=live.base_url)
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.NURSE_EMAIL)
    page.goto("/console/#/alerts")

    page.get_by_role("button", name="Enable alerts on this browser").click()
    expect(page.locator("#view").get_by_text("notifications on")).to_be_visible()
    assert live.requests_to("POST", "/api/staff/push-subscriptions") == [
        ("POST", "/api/staff/push-subscriptions", 201)
    ]
    with live.factory() as session:
        [stored] = session.exec(select(PushSubscription)).all()[-1:]
    assert stored.staff_id == console.staff_by_email(live, console.NURSE_EMAIL).id
    assert stored.endpoint == device.endpoint

    clinic.phones["Mary Seacole"].report(pain=8, signs=["spreading_redness"])
    dispatch_once(live)
    [delivery] = push_receiver.wait_for(1, subscription_id=device.id)
    message = delivery.json()
    assert message["kind"] == "alert"
    assert "Mary" not in delivery.payload.decode()

    script = """async () => {
        const registration = await navigator.serviceWorker.getRegistration("/console/");
        return (await registration.getNotifications()).map((n) => ({
            title: n.title, body: n.body, tag: n.tag, data: n.data }));
    }"""
    [notification] = push_until_shown(
        desk, page, scope=f"{live.base_url}/console/", payload=delivery.payload,
        shown=lambda: page.evaluate(script),
    )  # fmt: skip
    assert notification["tag"] == f"alert-{message['alert_id']}"
    assert "Mary" not in notification["body"]
    assert notification["data"]["url"] == "/console/#/alerts"
    # The open inbox heard about the push and asked at once.
    expect(page.get_by_role("list", name="Open alerts").locator(":scope > li")).to_have_count(1)

    page.get_by_role("button", name="Turn off alerts on this browser").click()
    expect(page.get_by_role("button", name="Enable alerts on this browser")).to_be_visible()
    with live.factory() as session:
        left = session.exec(
            select(PushSubscription).where(col(PushSubscription.staff_id).is_not(None))
        )
        assert left.all() == []
    console.no_problems(problems)


def test_an_alert_without_a_pain_and_with_a_note_to_read_says_so(
    live: Live, desk: Any, push_receiver: FakePushService
) -> None:
    clinic = console.riverside(live, push_receiver)
    # No pain number, nothing ticked: the note alone makes it urgent, and someone must read it.
    clinic.phones["Mary Seacole"].report(pain=None, note="I can\u2019t breathe since lunch")
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.NURSE_EMAIL)
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Alerts").click()
    item = page.get_by_role("list", name="Open alerts").get_by_role("listitem", name="Mary Seacole")
    expect(item).to_contain_text("Pain not given")
    expect(item).to_contain_text("The note needs reading")
    expect(item).not_to_contain_text("Pain null")
    console.no_problems(problems)


# Counts the tones the page plays: Chromium here has no sound card to listen to.
TONE_COUNTER = """
(() => {
  window.tones = 0;
  const Real = window.AudioContext;
  window.AudioContext = function () {
    const audio = new Real();
    const make = audio.createOscillator.bind(audio);
    audio.createOscillator = () => { window.tones += 1; return make(); };
    return audio;
  };
})();
"""


def test_a_new_alert_shows_in_the_tab_title_and_plays_the_chosen_sound(
    live: Live, desk: Any, push_receiver: FakePushService
) -> None:
    clinic = console.riverside(live, push_receiver)
    desk.add_init_script(TONE_COUNTER)
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.NURSE_EMAIL)
    expect(page).to_have_title("Patients · Aftercare console")
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Settings").click()
    card = page.get_by_role("region", name="New alerts")
    card.get_by_label("Play a sound when a new alert comes in").check()
    assert page.evaluate("window.tones") == 2  # a sample when it is turned on
    assert page.evaluate("localStorage.getItem('console.alertSound')") == "on"

    clinic.phones["Mary Seacole"].report(pain=9)  # urgent: an alert
    expect(page).to_have_title("(1) Settings · Aftercare console", timeout=10_000)
    assert page.evaluate("window.tones") == 4
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Alerts").click()
    expect(page).to_have_title("(1) Alerts · Aftercare console")

    page.get_by_role("navigation", name="Console").get_by_role("link", name="Settings").click()
    page.get_by_label("Play a sound when a new alert comes in").uncheck()
    clinic.phones["Florence Nightingale"].report(pain=9)
    expect(page).to_have_title("(2) Settings · Aftercare console", timeout=10_000)
    assert page.evaluate("window.tones") == 4  # turned off: silent
    console.no_problems(problems)


def test_a_page_whose_script_does_not_arrive_says_so_and_reloads(
    live: Live, desk: Any, push_receiver: FakePushService
) -> None:
    clinic = console.riverside(live, push_receiver)
    clinic.phones["Mary Seacole"].report(pain=7, signs=["fever"])
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.NURSE_EMAIL)
    page.route("**/console/js/alerts.js", lambda route: route.abort("internetdisconnected"))
    page.goto("/console/#/alerts")
    expect(page.get_by_role("heading", name="Alerts", level=1)).to_be_focused()
    expect(page.locator("#view").get_by_role("alert")).to_have_text(
        "This page could not be loaded. Check the connection, then reload."
    )
    screenshot(page, "console-page-not-loaded.png")
    page.unroute("**/console/js/alerts.js")
    page.get_by_role("button", name="Reload").click()
    inbox = page.get_by_role("list", name="Open alerts")
    expect(inbox.get_by_role("listitem", name="Mary Seacole")).to_be_visible()
    assert unexpected(problems, 401, offline=True) == []  # the refused script, nothing uncaught
