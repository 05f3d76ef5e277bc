"""Carers on the patient's app, in Chromium: the patient invites a helper in Settings, the
helper's own phone (a second browser context) opens the link, sees whom it helps and ticks a
task, which the patient's phone shows as done by the helper; one helper of two people switches
between them (also from a reminder's link); a removed helper's phone no longer shows the
patient. The new card and the banner fit a phone, 320 px and 200 % text."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from sqlmodel import select

from app.clinics.models import Clinic
from app.patients.models import Patient
from app.tasks.models import Occurrence
from tests.e2e.pwa_support import (
    PHONE,
    Enrolled,
    Live,
    assert_requests,
    open_page,
    screenshot,
    scroll_into_view,
    unexpected,
    wait_for_offline_copy,
)
from tests.e2e.test_pwa_zoom import STICKING_OUT
from tests.support.factories import make_patient

SMALL = {"width": 320, "height": 640}
ZOOMED = {"width": 195, "height": 422}

# Inside `root`: controls smaller than 24 x 24 CSS px (buttons, links, tick boxes and switches).
SMALL_TARGETS = """(root) => [...root.querySelectorAll("button, a[href], input[type=checkbox]")]
    .filter((e) => {
        const r = e.getBoundingClientRect();
        return r.width > 0 && (r.width < 24 || r.height < 24);
    })
    .map((e) => `${e.tagName.toLowerCase()}#${e.id} ${e.textContent.trim().slice(0, 30)}`)"""


def new_phone(browser: Any, live: Live, viewport: dict[str, int] = PHONE, scale: int = 1) -> Any:
    context = browser.new_context(
        viewport=viewport, device_scale_factor=scale, base_url=live.base_url, locale="en-GB",
        timezone_id="Europe/London", has_touch=True,
    )  # fmt: skip
    live.at_teardown(context.close)
    return context


def task_of(live: Live, patient_id: uuid.UUID, key: str) -> Occurrence:
    with live.factory() as session:
        return session.exec(
            select(Occurrence).where(Occurrence.patient_id == patient_id, Occurrence.key == key)
        ).one()


class OwnPhone:
    """A patient's own phone over plain HTTP (no browser): pairs, invites and removes helpers."""

    def __init__(self, live: Live, code: str) -> None:
        self.http = httpx.Client(base_url=live.base_url, timeout=10)
        live.at_teardown(self.http.close)
        response = self.http.post("/api/enrol", json={"code": code})
        assert response.status_code == 200, response.text

    def invite(self, name: str, *, reminders: bool = True) -> dict[str, Any]:
        response = self.http.post("/api/me/carers", json={"name": name, "reminders": reminders})
        assert response.status_code == 201, response.text
        invited: dict[str, Any] = response.json()
        return invited

    def remove(self, carer_id: str) -> None:
        response = self.http.delete(f"/api/me/carers/{carer_id}")
        assert response.status_code == 204, response.text


def assert_status_of(live: Live, task_id: uuid.UUID, status: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with live.factory() as session:
            task = session.get(Occurrence, task_id)
            assert task is not None
            if task.status == status:
                return
        assert time.monotonic() < deadline, f"{task_id} is {task.status!r}, expected {status!r}"
        time.sleep(0.05)


def second_patient(live: Live, enrolled: Enrolled, name: str = "John Lee") -> tuple[Patient, str]:
    with live.factory() as session:
        clinic = session.get(Clinic, enrolled.patient.clinic_id)
        assert clinic is not None
    patient, link = make_patient(
        live.factory, clinic=clinic, staff=None, now=live.clock.now(), settings=live.settings,
        name=name,
    )  # fmt: skip
    return patient, link.code


def invite_in_settings(page: Any, name: str, *, reminders: bool = True) -> str:
    """On the patient's phone: Settings → invite `name`; returns the one-time link shown."""
    page.get_by_role("link", name="Settings").click()
    card = page.get_by_role("region", name="People who help you")
    expect(card).to_contain_text("No one has been invited yet.")
    card.get_by_label("Their name").fill(name)
    box = card.get_by_label("Send them reminders too")
    expect(box).not_to_be_checked()  # nobody gets reminders by surprise
    if reminders:
        box.check()
    card.get_by_role("button", name="Invite").click()
    expect(card.get_by_role("heading", name=f"{name}'s link")).to_be_visible()
    expect(card.get_by_role("img", name=f"QR code of {name}'s link")).to_be_visible()
    url: str = page.locator("#carer-invited-url").inner_text().strip()
    assert "/enrol#" in url
    return url


def test_a_carer_invited_in_settings_ticks_a_task_for_the_patient(
    live: Live, enrolled: Enrolled, handset: Any, browser: Any
) -> None:
    page, problems = open_page(handset, live.clock.now())
    page.goto(enrolled.link.url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
    # The patient's own phone shows no banner.
    expect(page.locator("#carer-bar")).to_be_hidden()

    # An empty name is refused beside the field, in words.
    page.get_by_role("link", name="Settings").click()
    card = page.get_by_role("region", name="People who help you")
    card.get_by_role("button", name="Invite").click()
    expect(page.locator("#carer-name-error")).to_have_text(
        "Please write the name of the person who helps you."
    )
    expect(card.get_by_label("Their name")).to_be_focused()
    page.get_by_role("link", name="Today").click()

    url = invite_in_settings(page, "Anna")
    card = page.get_by_role("region", name="People who help you")
    expect(card.locator(".carer")).to_contain_text("Their phone is not signed in yet.")
    screenshot(page, "carers-settings-invited-390.png", full_page=True)

    # The helper's phone: the same /enrol page, then the patient's Today with the banner.
    helper = new_phone(browser, live)
    carer_page, carer_problems = open_page(helper, live.clock.now())
    carer_page.goto(url)
    expect(carer_page.get_by_role("heading", level=1)).to_contain_text("Today")
    expect(carer_page.locator("#carer-helping")).to_have_text("You are helping Ada Lovelace")
    expect(carer_page.get_by_text("Good afternoon, Anna.")).to_be_visible()
    expect(carer_page.locator("#notice")).to_contain_text("You are helping Ada Lovelace.")
    # Helping one person only: nothing to switch to.
    expect(carer_page.locator("#carer-bar button")).to_have_count(0)
    first = task_of(live, enrolled.patient.id, "elevate_legs/t1/1")
    carer_page.get_by_role("button", name="Mark as done: Raise your legs").first.click()
    expect(carer_page.locator(f"#task-{first.id}")).to_contain_text("Done by you")
    assert_requests(live, "POST", f"/api/me/tasks/{first.id}/complete", 1)
    screenshot(carer_page, "carers-banner-390.png")

    # Settings on the helper's phone: only what is about this phone, and why in one sentence.
    carer_page.get_by_role("link", name="Settings").click()
    expect(carer_page.get_by_role("heading", name="Settings for Ada Lovelace")).to_be_visible()
    expect(carer_page.locator("#carer-note")).to_contain_text(
        "on Ada's own phone, or by the clinic"
    )
    expect(carer_page.get_by_role("heading", name="Your day")).to_have_count(0)
    expect(carer_page.get_by_role("region", name="People who help you")).to_have_count(0)
    expect(carer_page.locator("#carer-helping")).to_have_text("You are helping Ada Lovelace")
    screenshot(carer_page, "carers-carer-settings-390.png", full_page=True)

    # The patient's phone: the task is done by Anna, and Anna's phone is signed in.
    page.reload()
    page.get_by_role("link", name="Today").click()
    expect(page.locator(f"#task-{first.id}")).to_contain_text("Done by Anna")
    scroll_into_view(page.locator(f"#task-{first.id}"))
    screenshot(page, "carers-done-by-390.png")
    page.get_by_role("link", name="Settings").click()
    card = page.get_by_role("region", name="People who help you")
    expect(card.locator(".carer")).to_contain_text("Their phone is signed in.")
    expect(card.locator(".carer")).to_contain_text("Gets your reminders.")

    # Reminders off for Anna, with the switch; said beside it.
    switch = card.get_by_role("switch", name="Send them your reminders")
    switch.click()
    expect(card.locator(".carer")).to_contain_text("Anna will no longer get your reminders.")
    expect(card.locator(".carer")).to_contain_text("Does not get your reminders.")
    expect(card.get_by_role("switch", name="Send them your reminders")).not_to_be_checked()
    expect(card.get_by_role("switch", name="Send them your reminders")).to_be_focused()
    assert problems == []
    assert carer_problems == []


def test_the_patient_removes_a_carer_whose_phone_stops_at_once(
    live: Live, enrolled: Enrolled, handset: Any, browser: Any
) -> None:
    page, problems = open_page(handset, live.clock.now())
    page.goto(enrolled.link.url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
    url = invite_in_settings(page, "Anna")
    helper = new_phone(browser, live)
    carer_page, carer_problems = open_page(helper, live.clock.now())
    carer_page.goto(url)
    expect(carer_page.locator("#carer-helping")).to_have_text("You are helping Ada Lovelace")

    page.reload()
    page.get_by_role("link", name="Settings").click()
    card = page.get_by_role("region", name="People who help you")
    card.get_by_role("button", name="Remove").click()
    question = card.get_by_role("group", name="Remove Anna?")
    expect(question).to_contain_text("Their phone will stop showing your plan at once")
    expect(question.get_by_role("button", name="Yes, remove Anna")).to_be_focused()
    screenshot(page, "carers-remove-confirm-390.png")
    # Keeping is one tap, and nothing is sent.
    question.get_by_role("button", name="Keep Anna").click()
    assert live.requests_to("DELETE", "/api/me/carers/") == []
    card.get_by_role("button", name="Remove").click()
    card.get_by_role("button", name="Yes, remove Anna").click()
    expect(card).to_contain_text("Anna was removed. Their phone no longer shows your plan.")
    expect(card).to_contain_text("No one has been invited yet.")

    # The helper's phone, opened again: no longer the patient's plan.
    carer_page.reload()
    expect(carer_page.get_by_role("heading", level=1)).to_have_text(
        "You are not helping anyone on this phone"
    )
    expect(carer_page.get_by_text("Ada Lovelace")).to_have_count(0)
    expect(carer_page.locator("#tabs")).to_be_hidden()
    assert problems == []
    assert unexpected(carer_problems, 401) == []


def test_one_carer_helps_two_people_and_switches_between_them(
    live: Live, enrolled: Enrolled, browser: Any
) -> None:
    ada_phone = OwnPhone(live, enrolled.link.code)
    john, john_code = second_patient(live, enrolled)
    john_phone = OwnPhone(live, john_code)
    for_ada = ada_phone.invite("Anna")
    for_john = john_phone.invite("Anna")

    helper = new_phone(browser, live)
    page, problems = open_page(helper, live.clock.now())
    page.goto(for_ada["enrolment"]["url"])
    expect(page.locator("#carer-helping")).to_have_text("You are helping Ada Lovelace")
    # The second link on the same phone: one helper of two people, the new one shown.
    page.goto(for_john["enrolment"]["url"])
    expect(page.locator("#carer-helping")).to_have_text("You are helping John Lee")
    ada_task = task_of(live, enrolled.patient.id, "elevate_legs/t1/1")
    john_task = task_of(live, john.id, "elevate_legs/t1/1")
    expect(page.locator(f"#task-{john_task.id}")).to_be_visible()
    expect(page.locator(f"#task-{ada_task.id}")).to_have_count(0)
    screenshot(page, "carers-two-people-390.png")

    page.get_by_role("button", name="Switch to Ada Lovelace").click()
    expect(page.locator("#carer-helping")).to_have_text("You are helping Ada Lovelace")
    expect(page.locator(f"#task-{ada_task.id}")).to_be_visible()
    expect(page.locator(f"#task-{john_task.id}")).to_have_count(0)
    expect(page.get_by_role("button", name="Switch to John Lee")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_be_focused()

    # On Settings too, the screen's own data follows the switch.
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Settings for Ada Lovelace")).to_be_visible()
    page.get_by_role("button", name="Switch to John Lee").click()
    expect(page.get_by_role("heading", name="Settings for John Lee")).to_be_visible()

    # A reminder for Ada tapped while John is shown: the app opens at Ada's task.
    page.goto(f"/?task={ada_task.id}&for={enrolled.patient.id}")
    expect(page.locator("#carer-helping")).to_have_text("You are helping Ada Lovelace")
    expect(page.locator(f"#task-{ada_task.id}")).to_be_focused()
    assert page.url == f"{live.base_url}/"

    # The same with the app already open: the service worker hands the tapped reminder's URL
    # to the window (as on a notification click), which shows John's task.
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    worker = helper.service_workers[0]
    worker.evaluate("(path) => openApp(path)", f"/?task={john_task.id}&for={john.id}")
    expect(page.locator("#carer-helping")).to_have_text("You are helping John Lee")
    expect(page.locator(f"#task-{john_task.id}")).to_be_focused()

    # John removes Anna: her phone carries on with Ada alone.
    john_phone.remove(for_john["carer"]["id"])
    page.reload()
    expect(page.locator("#carer-helping")).to_have_text("You are helping Ada Lovelace")
    expect(page.locator(f"#task-{ada_task.id}")).to_be_visible()
    expect(page.locator("#carer-bar button")).to_have_count(0)
    assert problems == []


def test_a_tick_after_the_person_removed_the_carer_shows_whom_the_phone_helps_now(
    live: Live, enrolled: Enrolled, browser: Any
) -> None:
    ada_phone = OwnPhone(live, enrolled.link.code)
    _, john_code = second_patient(live, enrolled)
    john_phone = OwnPhone(live, john_code)
    for_ada = ada_phone.invite("Anna")
    for_john = john_phone.invite("Anna")
    helper = new_phone(browser, live)
    page, problems = open_page(helper, live.clock.now())
    page.goto(for_john["enrolment"]["url"])
    expect(page.locator("#carer-helping")).to_have_text("You are helping John Lee")
    page.goto(for_ada["enrolment"]["url"])
    expect(page.locator("#carer-helping")).to_have_text("You are helping Ada Lovelace")

    # Ada removes Anna while Ada's plan is on Anna's screen; Anna then ticks one of Ada's tasks.
    ada_phone.remove(for_ada["carer"]["id"])
    page.get_by_role("button", name="Mark as done: Raise your legs").first.click()
    expect(page.locator("#carer-helping")).to_have_text("You are helping John Lee")
    ada_task = task_of(live, enrolled.patient.id, "elevate_legs/t1/1")
    assert ada_task.status == "pending"
    expect(page.locator(f"#task-{ada_task.id}")).to_have_count(0)
    expect(page.locator("#carer-bar button")).to_have_count(0)
    assert unexpected(problems, 403, 404) == []


def test_a_switch_waits_for_ticks_still_waiting_to_be_sent(
    live: Live, enrolled: Enrolled, browser: Any
) -> None:
    """Offline ticks are the person's shown when they were made: never sent for another."""
    ada_phone = OwnPhone(live, enrolled.link.code)
    john, john_code = second_patient(live, enrolled)
    john_phone = OwnPhone(live, john_code)
    for_ada = ada_phone.invite("Anna")
    for_john = john_phone.invite("Anna")
    helper = new_phone(browser, live)
    page, problems = open_page(helper, live.clock.now())
    page.goto(for_john["enrolment"]["url"])
    expect(page.locator("#carer-helping")).to_have_text("You are helping John Lee")
    page.goto(for_ada["enrolment"]["url"])
    expect(page.locator("#carer-helping")).to_have_text("You are helping Ada Lovelace")
    # Two enrolments in a row may both run before the service worker controls the page: a
    # reload fetches Ada's plan through it (on a slow machine the worker is still installing).
    page.reload()
    expect(page.locator("#carer-helping")).to_have_text("You are helping Ada Lovelace")
    wait_for_offline_copy(page, timeout=20.0)
    ada_task = task_of(live, enrolled.patient.id, "elevate_legs/t1/1")

    helper.set_offline(True)
    live.unplug()
    page.get_by_role("button", name="Mark as done: Raise your legs").first.click()
    expect(page.locator(f"#task-{ada_task.id}")).to_contain_text("Done by you. Waiting to send.")
    page.get_by_role("button", name="Switch to John Lee").click()
    expect(page.locator("#switch-status")).to_have_text(
        "What you ticked for Ada is still waiting to be sent. "
        "Please switch once your phone is back online."
    )
    expect(page.locator("#carer-helping")).to_have_text("You are helping Ada Lovelace")
    screenshot(page, "carers-switch-waits-390.png")

    live.plug_in()
    helper.set_offline(False)
    # Sent: the banner goes, or shows the welcome again (it may still be up from the pairing).
    expect(page.locator("#sync")).not_to_contain_text("Waiting to send", timeout=10000)
    assert_status_of(live, ada_task.id, "done")
    expect(page.locator("#switch-status")).to_be_empty()
    page.get_by_role("button", name="Switch to John Lee").click()
    expect(page.locator("#carer-helping")).to_have_text("You are helping John Lee")
    john_task = task_of(live, john.id, "elevate_legs/t1/1")
    assert john_task.status == "pending"
    # Offline, the worker answers 503 for what it has not saved (which reads race the switch).
    assert unexpected(problems, 503, offline=True) == []


def test_the_service_worker_opens_a_reminder_for_its_patient(
    live: Live, enrolled: Enrolled, handset: Any
) -> None:
    """The push payload's patient_id rides along on the URL a tap opens (?for=ID), once."""
    page, problems = open_page(handset, live.clock.now())
    page.goto(enrolled.link.url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    worker = handset.service_workers[0]
    url = worker.evaluate("""() => withPatient(safePath("/?task=abc"), "p-1")""")
    assert url == "/?task=abc&for=p-1"
    assert worker.evaluate("""() => withPatient("/", null)""") == "/"
    # The server's own ?for= (payload.py) stays one.
    again = worker.evaluate("""() => withPatient("/?task=abc&for=p-1", "p-1")""")
    assert again == "/?task=abc&for=p-1"
    assert problems == []


def test_share_or_copy_the_link_and_a_new_link_once_it_expired(
    live: Live, enrolled: Enrolled, browser: Any
) -> None:
    phone = new_phone(browser, live)
    phone.grant_permissions(["clipboard-read", "clipboard-write"])
    # This Chromium has no share sheet: a stand-in records what would be shared.
    phone.add_init_script("navigator.share = async (data) => { window.shared = data; };")
    page, problems = open_page(phone, live.clock.now())
    page.goto(enrolled.link.url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
    url = invite_in_settings(page, "Anna")
    card = page.get_by_role("region", name="People who help you")
    card.get_by_role("button", name="Share the link").click()
    assert page.evaluate("() => window.shared.url") == url
    card.get_by_role("button", name="Copy the link").click()
    expect(card).to_contain_text("The link is copied.")
    assert page.evaluate("() => navigator.clipboard.readText()") == url
    card.get_by_role("button", name="Done").click()
    expect(card.get_by_role("heading", name="Invite someone who helps you")).to_be_focused()

    # Two weeks on, unused: the link has expired, and a new one is one tap.
    live.clock.set(live.clock.now() + timedelta(days=15))
    page.reload()
    card = page.get_by_role("region", name="People who help you")
    expect(card.locator(".carer")).to_contain_text("Their link has expired.")
    card.get_by_role("button", name="New link").click()
    expect(card.get_by_role("heading", name="Anna's link")).to_be_focused()
    fresh: str = card.locator(".carer .carer-link-url").inner_text().strip()
    assert fresh != url

    helper = new_phone(browser, live)
    carer_page, carer_problems = open_page(helper, live.clock.now())
    carer_page.goto(fresh)
    expect(carer_page.locator("#carer-helping")).to_have_text("You are helping Ada Lovelace")
    assert problems == []
    assert carer_problems == []


def test_a_carers_link_opened_on_the_patients_own_phone_is_refused_in_words(
    live: Live, enrolled: Enrolled, handset: Any, browser: Any
) -> None:
    page, problems = open_page(handset, live.clock.now())
    page.goto(enrolled.link.url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
    url = invite_in_settings(page, "Anna")
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("This link cannot be used")
    expect(page.get_by_text("A helper's link opens on the helper's own phone.")).to_be_visible()
    page.get_by_role("button", name="Open my plan").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
    expect(page.locator("#carer-bar")).to_be_hidden()
    # Nothing was used up: the helper's own phone still opens it.
    helper = new_phone(browser, live)
    carer_page, carer_problems = open_page(helper, live.clock.now())
    carer_page.goto(url)
    expect(carer_page.locator("#carer-helping")).to_have_text("You are helping Ada Lovelace")
    assert unexpected(problems, 409) == []
    assert carer_problems == []


@pytest.mark.parametrize(
    ("viewport", "scale", "name"),
    [(PHONE, 1, "390"), (SMALL, 1, "320"), (ZOOMED, 2, "zoom200")],
)
def test_the_card_and_the_banner_fit_small_screens_and_large_text(
    live: Live, enrolled: Enrolled, browser: Any, viewport: dict[str, int], scale: int, name: str
) -> None:
    _, john_code = second_patient(live, enrolled, name="Bartholomew Featherstonehaugh")
    john_phone = OwnPhone(live, john_code)
    for_john = john_phone.invite("Anna")

    phone = new_phone(browser, live, viewport, scale)
    page, problems = open_page(phone, live.clock.now())
    page.goto(enrolled.link.url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
    url = invite_in_settings(page, "Anna")
    card = page.get_by_role("region", name="People who help you")
    scroll_into_view(card)
    assert page.evaluate(STICKING_OUT) == []
    assert card.evaluate(SMALL_TARGETS) == []
    screenshot(page, f"carers-settings-{name}.png", full_page=True)
    card.get_by_role("button", name="Remove").click()
    expect(card.get_by_role("button", name="Yes, remove Anna")).to_be_visible()
    assert page.evaluate(STICKING_OUT) == []
    assert card.evaluate(SMALL_TARGETS) == []
    card.get_by_role("button", name="Keep Anna").click()

    helper = new_phone(browser, live, viewport, scale)
    carer_page, carer_problems = open_page(helper, live.clock.now())
    carer_page.goto(for_john["enrolment"]["url"])
    expect(carer_page.locator("#carer-helping")).to_contain_text("Bartholomew Featherstonehaugh")
    carer_page.goto(url)
    expect(carer_page.locator("#carer-helping")).to_have_text("You are helping Ada Lovelace")
    bar = carer_page.locator("#carer-bar")
    switch = bar.get_by_role("button", name="Switch to Bartholomew Featherstonehaugh")
    expect(switch).to_be_visible()
    assert carer_page.evaluate(STICKING_OUT) == []
    assert bar.evaluate(SMALL_TARGETS) == []
    screenshot(carer_page, f"carers-banner-{name}.png")
    carer_page.get_by_role("link", name="Settings").click()
    expect(carer_page.get_by_role("heading", name="Settings for Ada Lovelace")).to_be_visible()
    assert carer_page.evaluate(STICKING_OUT) == []
    screenshot(carer_page, f"carers-carer-settings-{name}.png", full_page=True)
    assert problems == []
    assert carer_problems == []
