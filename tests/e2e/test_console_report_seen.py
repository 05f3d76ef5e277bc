"""The patient page's reports: "Mark seen" with an optional reply (a counter towards 500, the
server's refusal in its own words beyond), the seen state after, the patient told; and the
alert inbox's acknowledgement with a reply for the patient beside the note for colleagues."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import expect
from sqlmodel import col, select

from app.db import transaction
from app.notifications.models import REPORT_NOTICES, OutboxKind, OutboxMessage
from app.reports.models import SymptomReport
from app.staff.models import StaffUser
from tests.e2e import console_support as console
from tests.e2e.pwa_support import Live, screenshot
from tests.support.factories import make_patient

REPLY = "We will call you this morning."


def _mary(live: Live) -> tuple[Any, console.Phone]:
    """Mary Seacole of Riverside, her nurse named Nurse Patel, with a paired phone."""
    clinic = console.riverside(live)
    with transaction(live.factory) as session:
        nurse = session.exec(select(StaffUser).where(StaffUser.email == console.NURSE_EMAIL)).one()
        nurse.name = "Nurse Patel"
        session.add(nurse)
    patient, link = make_patient(
        live.factory, clinic=clinic.clinic, staff=clinic.nurse, now=live.clock.now(),
        settings=live.settings, name="Mary Seacole",
    )  # fmt: skip
    phone = console.Phone(live)
    phone.pair(link.code)
    return patient, phone


def test_mark_a_report_seen_with_a_reply_from_the_patient_page(live: Live, desk: Any) -> None:
    patient, phone = _mary(live)
    phone.report(pain=3, signs=["fever"], note="Hot since lunch")
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.NURSE_EMAIL)
    page.goto(f"/console/#/patients/{patient.id}")
    reports = page.get_by_role("region", name="Reports")
    [row] = [reports.get_by_role("listitem").first]
    expect(row).to_contain_text("Not seen yet")
    row.get_by_role("button", name="Mark seen").click()
    reply = row.get_by_label("Reply to the patient (optional)")
    expect(reply).to_be_focused()
    reply.fill("x" * 501)
    expect(row).to_contain_text("501 of 500 characters")
    row.get_by_role("button", name="Mark seen").click()
    expect(row.get_by_role("alert")).to_have_text(
        "The reply is 501 characters long; it can be at most 500."
    )
    reply.fill(REPLY)
    expect(row).to_contain_text(f"{len(REPLY)} of 500 characters")
    screenshot(page, "console-report-mark-seen.png", full_page=True)
    row.get_by_role("button", name="Mark seen").click()
    expect(row).to_contain_text("Seen by Nurse Patel")
    expect(row).to_contain_text(f"Reply to the patient: “{REPLY}”")
    expect(row.get_by_role("button", name="Mark seen")).to_have_count(0)
    screenshot(page, "console-report-seen.png", full_page=True)

    with live.factory() as session:
        [report] = session.exec(select(SymptomReport)).all()
        [push] = session.exec(
            select(OutboxMessage).where(col(OutboxMessage.kind).in_(REPORT_NOTICES))
        ).all()
    assert (report.seen_at, report.reply) == (live.clock.now(), REPLY)
    assert push.kind == OutboxKind.REPORT_SEEN_URGENT  # fever: urgent, told night or day
    [mine] = phone.http.get("/api/me/reports").json()
    assert (mine["seen_by_name"], mine["reply"]) == ("Nurse Patel", REPLY)

    # Seen stays seen when the page is opened again.
    page.reload()
    row = page.get_by_role("region", name="Reports").get_by_role("listitem").first
    expect(row).to_contain_text("Seen by Nurse Patel")
    console.no_problems(problems, 422)  # the refused long reply


def test_acknowledging_an_alert_can_reply_to_the_patient(live: Live, desk: Any) -> None:
    _, phone = _mary(live)
    phone.report(pain=3, signs=["fever"])
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.NURSE_EMAIL)
    page.goto("/console/#/alerts")
    alert = page.get_by_role("list", name="Open alerts").get_by_role(
        "listitem", name="Mary Seacole"
    )
    alert.get_by_label("Note (what was done)").fill("Internal: discussed with Dr Lee.")
    alert.get_by_label("Reply to the patient (optional)").fill(REPLY)
    screenshot(page, "console-alert-reply.png")
    alert.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_role("list", name="Recently acknowledged")).to_contain_text(
        "Acknowledged by Nurse Patel"
    )
    mine = httpx.Client(base_url=live.base_url, cookies=phone.http.cookies)
    live.at_teardown(mine.close)
    [report] = mine.get("/api/me/reports").json()
    assert report["reply"] == REPLY
    assert "Dr Lee" not in mine.get("/api/me/reports").text
    console.no_problems(problems)
