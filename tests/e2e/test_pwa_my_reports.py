"""The Report tab's "Your earlier reports": each report with the advice given and whether the
clinic has seen it (who, when, the reply), never the internal note; a "seen" push redraws the
list in place, leaving a half-written report alone. Measured on a phone, a narrow phone, at
200 % zoom and at 200 % text; screenshots in test-artifacts/screens/ to be looked at."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from app.clinics.models import Clinic
from app.db import transaction
from app.notifications.payload import report_seen_payload
from app.patients.models import Patient
from app.reports.alerts import acknowledge
from app.reports.models import Alert, ReportCreate, SymptomReport
from app.reports.seen import mark_seen
from app.reports.service import submit
from app.staff.models import StaffUser
from tests.e2e.layout_support import SIZES, check_screen, open_sized
from tests.e2e.pwa_support import (
    Enrolled,
    Live,
    open_page,
    push_until_shown,
    screenshot,
    scroll_into_view,
)

REPLY = "We will call you this morning. Keep your stocking on until then."
NOTE = "Internal: DVT query discussed with Dr Lee."
NOTE_FIELD = "Anything else you want to tell the clinic?"


def _report(live: Live, patient_id: uuid.UUID, at: datetime, **fields: Any) -> uuid.UUID:
    with transaction(live.factory) as session:
        patient = session.get(Patient, patient_id)
        assert patient is not None
        clinic = session.get(Clinic, patient.clinic_id)
        assert clinic is not None
        data = ReportCreate.model_validate({"client_id": str(uuid.uuid4())} | fields)
        report, _ = submit(session, patient=patient, clinic=clinic, data=data, now=at)
        return report.id


def _name_the_nurse(live: Live) -> None:
    with transaction(live.factory) as session:
        nurse = session.exec(select(StaffUser)).one()
        nurse.name = "Nurse Patel"
        session.add(nurse)


def _see(live: Live, report_id: uuid.UUID, reply: str, at: datetime) -> None:
    with transaction(live.factory) as session:
        report, nurse = session.get(SymptomReport, report_id), session.exec(select(StaffUser)).one()
        assert report is not None
        mark_seen(session, report=report, staff=nurse, reply=reply, now=at)


def _acknowledge(live: Live, report_id: uuid.UUID, at: datetime) -> None:
    """The report's alert acknowledged with a note for colleagues (never the patient's)."""
    with transaction(live.factory) as session:
        alert = session.exec(select(Alert).where(Alert.report_id == report_id)).one()
        nurse = session.exec(select(StaffUser)).one()
        acknowledge(
            session, clinic_id=alert.clinic_id, alert_id=alert.id, staff_id=nurse.id,
            note=NOTE, now=at,
        )  # fmt: skip


def _notifications(page: Any) -> list[dict[str, Any]]:
    shown: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const registration = await navigator.serviceWorker.ready;
            return (await registration.getNotifications()).map((n) => ({
                title: n.title, body: n.body, tag: n.tag, url: n.data && n.data.url,
            }));
        }"""
    )
    return shown


@pytest.mark.parametrize("size", list(SIZES))
def test_earlier_reports_show_the_advice_and_what_the_clinic_wrote_back(
    live: Live, enrolled: Enrolled, browser: Any, size: str
) -> None:
    now = live.clock.now()  # Fri 27 Mar 2026 12:00 London (GMT)
    _name_the_nurse(live)
    ada = enrolled.patient.id
    urgent = _report(live, ada, now - timedelta(hours=2), signs=["fever"], note="Hot and shivery")
    _acknowledge(live, urgent, now - timedelta(hours=1, minutes=50))
    _see(live, urgent, "", now - timedelta(hours=1, minutes=50))  # as acknowledging does
    answered = _report(live, ada, now - timedelta(hours=1), pain=4)
    _see(live, answered, REPLY, now - timedelta(minutes=48))
    waiting = _report(live, ada, now - timedelta(minutes=30), pain=3, signs=["bruising"])

    context, page, problems = open_sized(browser, live, size)
    context.grant_permissions(["notifications"], origin=live.base_url)
    try:
        page.goto(enrolled.link.url)
        expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
        page.get_by_role("link", name="Report a problem").click()
        section = page.get_by_role("region", name="Your earlier reports")
        expect(section).to_be_visible()
        cards = section.get_by_role("listitem")
        expect(cards).to_have_count(3)
        # Newest first: the routine one, not seen yet, with the advice it was given.
        expect(cards.nth(0)).to_contain_text("Today at 11:30 am")
        expect(cards.nth(0)).to_contain_text("Pain 3 out of 10")
        expect(cards.nth(0)).to_contain_text("Signs: Bruising")
        expect(cards.nth(0)).to_contain_text("Not seen by the clinic yet")
        expect(cards.nth(1)).to_contain_text(f"Seen by Nurse Patel at 11:12 am: {REPLY}")
        # The urgent one: its advice stays shown; seen, with no reply, and never the note.
        expect(cards.nth(2)).to_contain_text("Signs: Fever or chills")
        expect(cards.nth(2)).to_contain_text("No pain score given")
        expect(cards.nth(2)).to_contain_text("Seen by Nurse Patel at 10:10 am")
        with live.factory() as session:
            stored = session.get(SymptomReport, urgent)
            assert stored is not None
        expect(cards.nth(2)).to_contain_text(stored.advice_title)
        expect(cards.nth(2)).to_contain_text(stored.advice)
        expect(section).to_contain_text("“Seen” means someone at the clinic has read your report")
        assert "DVT" not in section.inner_text()
        check_screen(page, f"{size}-my-reports")
        scroll_into_view(page.locator("#my-reports-heading"))
        screenshot(page, f"{size}-my-reports-view.png")  # as the phone shows it, to look at

        # A half-written report; then the clinic sees the waiting one and its push comes.
        page.get_by_label(NOTE_FIELD).fill("Still sore")
        _see(live, waiting, "Bruising like this is expected.", now)
        payload = report_seen_payload(
            report_id=waiting, text="", show_text=False, public_url=live.base_url, patient_id=ada
        )
        [shown] = push_until_shown(
            context, page, scope=f"{live.base_url}/", payload=payload,
            shown=lambda: _notifications(page),
        )  # fmt: skip
        assert shown["title"] == "Message from your clinic"
        assert shown["url"] == f"/?reports=1&for={ada}"
        expect(cards.nth(0)).to_contain_text(
            "Seen by Nurse Patel at 12:00 pm: Bruising like this is expected."
        )
        expect(page.get_by_label(NOTE_FIELD)).to_have_value("Still sore")
        assert problems == []
    finally:
        context.close()


def test_a_tapped_seen_push_opens_the_earlier_reports(
    live: Live, enrolled: Enrolled, browser: Any
) -> None:
    now = live.clock.now()
    _name_the_nurse(live)
    report = _report(live, enrolled.patient.id, now - timedelta(minutes=30), pain=2)
    _see(live, report, REPLY, now)
    context = browser.new_context(
        **SIZES["phone"], base_url=live.base_url, locale="en-GB", timezone_id="Europe/London",
        has_touch=True,
    )  # fmt: skip
    try:
        page, problems = open_page(context, now)
        page.goto(enrolled.link.url)
        expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
        # The push's URL, as the service worker opens it when nothing of the app is open.
        page.goto(f"/?reports=1&for={enrolled.patient.id}")
        section = page.get_by_role("region", name="Your earlier reports")
        expect(section).to_contain_text(f"Seen by Nurse Patel at 12:00 pm: {REPLY}")
        expect(page.locator("#my-reports-heading")).to_be_in_viewport()
        assert "?" not in page.url  # the link is taken out of the address bar
        assert problems == []
    finally:
        context.close()
