"""The patient page's Carers card, in Chromium: staff invite a carer (link and QR code), the
carer's phone opens it and ticks a task and reports a problem, which the page (and the alert
inbox) shows as done and reported by the carer; reminders off; a new link; removal with a
confirmation, after which the carer's phone no longer shows the patient; each step audited.
The card fits a phone, 320 px and 200 % text."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from app.staff.models import AuditEvent
from app.tasks.models import Occurrence
from tests.e2e import console_support as console
from tests.e2e.pwa_support import (
    PHONE,
    Live,
    open_page,
    screenshot_part,
    scroll_into_view,
    unexpected,
)


def actions(live: Live, patient_id: uuid.UUID) -> list[str]:
    with live.factory() as session:
        rows = session.exec(
            select(AuditEvent.action)
            .where(AuditEvent.patient_id == patient_id, AuditEvent.action.startswith("carer."))  # type: ignore[attr-defined]
            .order_by(AuditEvent.id)  # type: ignore[arg-type]
        ).all()
    return list(rows)


def first_task(live: Live, patient_id: uuid.UUID) -> Occurrence:
    with live.factory() as session:
        return session.exec(
            select(Occurrence).where(
                Occurrence.patient_id == patient_id, Occurrence.key == "elevate_legs/t1/1"
            )
        ).one()


def invite(page: Any, name: str) -> str:
    """In the Carers card: invite `name`; returns the link shown (the copy box's text)."""
    card = page.get_by_role("region", name="Carers")
    card.get_by_label("Carer's name").fill(name)
    reminders = card.get_by_label("Send the patient's reminders to the carer's phone too")
    expect(reminders).not_to_be_checked()  # nobody gets reminders by surprise
    reminders.check()
    card.get_by_role("button", name="Invite a carer").click()
    expect(card.get_by_role("heading", name=f"Link for {name}")).to_be_visible()
    expect(card.get_by_role("figure", name="QR code of the enrolment link")).to_be_visible()
    expect(card).to_contain_text(f"Ask {name}, the carer, to scan the code")
    url: str = card.get_by_role("textbox", name="Enrolment link").input_value()
    assert "/enrol#" in url
    return url


def test_staff_invite_a_carer_who_helps_then_remove_them(
    live: Live, desk: Any, browser: Any
) -> None:
    patient = console.ada(live)
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.NURSE_EMAIL)
    page.goto(f"/console/#/patients/{patient.id}")
    card = page.get_by_role("region", name="Carers")
    expect(card).to_contain_text("No carer yet.")
    # No name: said in the form, nothing sent.
    card.get_by_role("button", name="Invite a carer").click()
    expect(card.get_by_role("alert")).to_have_text("Please enter the carer's name.")
    assert live.requests_to("POST", "/carers") == []

    url = invite(page, "Anna")
    row = card.locator(".carer-row")
    expect(row).to_contain_text("Anna")
    expect(row).to_contain_text("link not used yet")
    expect(row).to_contain_text("gets reminders")
    expect(row).to_contain_text("Invited by staff")
    screenshot_part(card, "console-carers-invited.png")

    # The carer's phone opens the link, ticks a task and reports a problem for Ada.
    phone = browser.new_context(
        viewport=PHONE, base_url=live.base_url, locale="en-GB", timezone_id="Europe/London",
        has_touch=True,
    )  # fmt: skip
    live.at_teardown(phone.close)
    carer_page, carer_problems = open_page(phone, live.clock.now())
    carer_page.goto(url)
    expect(carer_page.locator("#carer-helping")).to_have_text("You are helping Ada Lovelace")
    carer_page.get_by_role("button", name="Mark as done: Raise your legs").first.click()
    task = first_task(live, patient.id)
    expect(carer_page.locator(f"#task-{task.id}")).to_contain_text("Done by you")
    reported = carer_page.evaluate(
        """async () => (await fetch("/api/me/reports", {
            method: "POST", headers: {"content-type": "application/json"},
            body: JSON.stringify({client_id: crypto.randomUUID(), pain: 9, signs: [], note: ""}),
        })).status"""
    )
    assert reported == 201

    # The page: Anna's phone is signed in; the task and the report are hers.
    page.reload()
    card = page.get_by_role("region", name="Carers")
    expect(card.locator(".carer-row")).to_contain_text("phone signed in")
    plan = page.get_by_role("region", name="Plan")
    expect(plan.locator(".chip-done").first).to_contain_text("by Anna (carer)")
    reports = page.get_by_role("region", name="Reports")
    expect(reports.locator(".report-list li").first).to_contain_text("reported by Anna (carer)")
    # Pain 9 is urgent: the alert inbox says who sent it too.
    page.goto("/console/#/alerts")
    alert = page.locator(".alert-report").first
    expect(alert).to_contain_text("by Anna (carer)")
    expect(alert).to_contain_text("Anna (carer) was told:")
    page.goto(f"/console/#/patients/{patient.id}")
    card = page.get_by_role("region", name="Carers")

    # Reminders off, with the tick box.
    card.get_by_label("Gets the patient's reminders").uncheck()
    expect(card.locator(".carer-row")).to_contain_text("no reminders")
    expect(card.get_by_label("Gets the patient's reminders")).not_to_be_checked()

    # A new link (a new phone): shown with its QR code.
    card.get_by_role("button", name="New link (new phone)").click()
    expect(card.get_by_role("heading", name="Link for Anna")).to_be_visible()
    expect(card.get_by_role("figure", name="QR code of the enrolment link")).to_be_visible()
    card.get_by_role("button", name="Hide the link").click()
    expect(card.get_by_role("heading", name="Link for Anna")).to_have_count(0)

    # Removing asks first; cancelling keeps Anna.
    card.get_by_role("button", name="Remove").click()
    dialog = page.get_by_role("dialog", name="Remove Anna?")
    expect(dialog).to_contain_text("stops showing Ada Lovelace at once")
    dialog.get_by_role("button", name="Cancel").click()
    expect(card.locator(".carer-row")).to_have_count(1)
    card.get_by_role("button", name="Remove").click()
    page.get_by_role("dialog", name="Remove Anna?").get_by_role(
        "button", name="Remove carer"
    ).click()
    expect(card).to_contain_text("Anna was removed.")
    expect(card.locator(".carer-row")).to_have_count(0)

    carer_page.reload()
    expect(carer_page.get_by_role("heading", level=1)).to_have_text(
        "You are not helping anyone on this phone"
    )
    assert actions(live, patient.id)[:1] == ["carer.invited"]
    for action in ("carer.changed", "carer.link_issued", "carer.removed"):
        assert action in actions(live, patient.id)
    console.no_problems(problems)
    assert unexpected(carer_problems, 401) == []


@pytest.mark.parametrize("size", list(console.SIZES))
def test_the_card_fits_small_screens_and_large_text(live: Live, browser: Any, size: str) -> None:
    patient = console.ada(live)
    with console.at_size(browser, live, size) as (page, problems):
        console.sign_in(page, console.NURSE_EMAIL)
        page.goto(f"/console/#/patients/{patient.id}")
        invite(page, "Bartholomew Featherstonehaugh")
        card = page.get_by_role("region", name="Carers")
        scroll_into_view(card)
        page.wait_for_timeout(100)
        screenshot_part(card, f"{size}-console-carers.png")
        assert card.evaluate(console.LAYOUT) == [], size
        console.no_problems(problems)
