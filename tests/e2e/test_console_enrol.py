"""The console's core loop: sign in, enrol (Doppler confirm, QR), the list, the patient page."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from playwright.sync_api import expect
from sqlmodel import select

from app.patients.models import Patient
from tests.e2e import console_support as console
from tests.e2e.pwa_support import Live, screenshot
from tests.support.push_service import FakePushService


def test_sign_in_enrol_show_the_qr_and_list_the_patient(
    live: Live, desk: Any, push_receiver: FakePushService
) -> None:
    clinic = console.riverside(live, push_receiver)
    page, problems = console.open_console(desk, live)

    page.goto("/console/")
    expect(page.get_by_role("heading", name="Sign in to the clinic console")).to_be_visible()
    expect(page.get_by_role("navigation", name="Console")).to_be_hidden()
    screenshot(page, "console-sign-in.png")
    # A wrong password is said plainly, and nothing opens.
    page.get_by_label("E-mail").fill(console.NURSE_EMAIL)
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert").filter(has_text="do not match")).to_be_visible()
    console.sign_in(page, console.NURSE_EMAIL)
    expect(page.get_by_role("heading", name="Patients", level=1)).to_be_visible()
    expect(page.locator("#clinic-name")).to_have_text("Riverside Vein Clinic")

    page.get_by_role("navigation", name="Console").get_by_role("link", name="Enrol").click()
    expect(page.get_by_role("heading", name="Enrol a patient")).to_be_visible()
    expect(page.get_by_label("Time zone")).to_have_value("Europe/London")  # the clinic's
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Usually gets up at").fill("06:45")
    page.get_by_label("Date and time (Europe/London)").fill("2026-03-27T10:30")
    page.get_by_label("Method").select_option("laser")
    # No Doppler check ticked: a dialog asks first; going back sends nothing.
    page.get_by_role("button", name="Enrol and create link").click()
    dialog = page.get_by_role("dialog", name="Enrol without a Doppler check?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Go back").click()
    expect(dialog).to_be_hidden()
    assert live.requests_to("POST", "/api/patients") == []
    page.get_by_role("button", name="Enrol and create link").click()
    page.get_by_role("dialog").get_by_role("button", name="Enrol without the check").click()

    result = page.get_by_role("region", name="Ada Lovelace is enrolled")
    expect(result).to_be_visible()
    qr = result.locator("figure.qr svg")
    expect(qr).to_be_visible()
    assert qr.locator("path, rect").count() > 0  # a drawing, not an empty box
    link = result.get_by_role("textbox", name="Enrolment link")
    url = link.input_value()
    assert url.startswith(f"{live.base_url}/enrol")
    screenshot(page, "console-enrol.png")

    with live.factory() as session:
        ada = session.exec(select(Patient).where(Patient.name == "Ada Lovelace")).one()
    assert ada.clinic_id == clinic.clinic.id
    assert ada.doppler_checked_at is None  # enrolled knowingly without the check
    assert ada.wake_time.isoformat(timespec="minutes") == "06:45"

    # Re-issuing gives a new link; the old one stops working.
    result.get_by_role("button", name="Re-issue link").click()
    expect(result.get_by_text("A new link is ready.")).to_be_visible()
    assert result.get_by_role("textbox", name="Enrolment link").input_value() != url

    page.get_by_role("navigation", name="Console").get_by_role("link", name="Patients").click()
    table = page.get_by_role("table", name="Patients")
    row = table.get_by_role("row").filter(has_text="Ada Lovelace")
    expect(row).to_be_visible()
    expect(row).to_contain_text("no Doppler check")
    expect(row).to_contain_text("off · no push device")
    expect(page.locator("#view").get_by_text("4 patients")).to_be_visible()
    seacole = table.get_by_role("row").filter(has_text="Mary Seacole")
    expect(seacole).to_contain_text("%")
    expect(seacole.get_by_text("on", exact=True)).to_be_visible()
    screenshot(page, "console-patients.png")

    # Search narrows the list (and the CSV link follows the same selection).
    page.get_by_label("Search by name").fill("seac")
    expect(table.get_by_role("row")).to_have_count(2)  # the header and Mary
    expect(page.get_by_role("link", name="Download CSV")).to_have_attribute(
        "href", "/api/patients.csv?q=seac&sort=name"
    )
    # Sorting by a header says so to assistive technology.
    page.get_by_label("Search by name").fill("")
    expect(table.get_by_role("row")).to_have_count(5)
    page.get_by_role("button", name="Adherence").click()
    expect(table.locator("th[aria-sort='ascending']")).to_have_text("Adherence")

    row = table.get_by_role("row").filter(has_text="Ada Lovelace")
    row.get_by_role("link", name="Ada Lovelace").click()
    expect(page.get_by_role("heading", name="Ada Lovelace", level=1)).to_be_visible()
    expect(page.locator(".page-head").get_by_text("link not used yet")).to_be_visible()
    console.no_problems(problems)


def test_the_patient_page_shows_plan_reports_visits_and_devices(
    live: Live, desk: Any, push_receiver: FakePushService
) -> None:
    clinic = console.riverside(live, push_receiver)
    mary = clinic.patients["Mary Seacole"]
    now = live.clock.now()
    phone = clinic.phones["Mary Seacole"]
    for hours_ago, pain, note in [(100, 5, ""), (50, 2, "A bit sore."), (1, 4, "<b>itchy</b>")]:
        live.clock.set(now - timedelta(hours=hours_ago))
        phone.report(pain=pain, signs=["itching"], note=note)
    live.clock.set(now)
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.NURSE_EMAIL)
    page.goto(f"/console/#/patients/{mary.id}")

    expect(page.get_by_role("heading", name="Mary Seacole", level=1)).to_be_visible()
    plan = page.get_by_role("region", name="Plan")
    expect(plan.get_by_text("done", exact=False).first).to_be_visible()
    expect(plan.locator(".chip-done").first).to_be_visible()
    expect(plan.locator(".chip-missed").first).to_be_visible()
    reports = page.get_by_role("region", name="Reports")
    chart = reports.get_by_role("img", name="Pain over time: 3 reports, latest 4 of 10.")
    expect(chart).to_be_visible()
    # The patient's words are text, never markup.
    expect(reports.get_by_text("<b>itchy</b>")).to_be_visible()
    assert reports.locator("b").count() == 0
    visits = page.get_by_role("region", name="Visits")
    expect(visits.get_by_role("row")).not_to_have_count(1)
    devices = page.get_by_role("region", name="Devices")
    expect(devices.get_by_role("row")).to_have_count(2)
    # Named as people know it, with the day it was paired; never the raw User-Agent.
    expect(devices.locator("tbody th")).to_contain_text(re.compile(r", paired \d+ \w+ \d{4}$"))
    expect(page.get_by_role("link", name="Export all data (JSON)")).to_be_visible()
    # Erasing is for admins: a clinician has no such button.
    expect(page.get_by_role("button", name="Erase patient…")).to_have_count(0)
    screenshot(page, "console-patient.png")

    # A visit booked at a time of the clinic's choosing; the plan follows.
    first_visit = visits.locator("tbody tr").first
    title = first_visit.locator("th").inner_text()
    first_visit.get_by_label(f"Book {title} at").fill("2026-04-06T09:15")
    first_visit.get_by_role("button", name="Book").click()
    expect(visits.get_by_text(f"{title} booked for Mon, 6 Apr 2026, 09:15.")).to_be_visible()
    booked = page.request.get(f"/api/patients/{mary.id}/appointments").json()
    [visit] = [a for a in booked if a["title"] == title]
    assert visit["booked"] is True
    assert visit["due_at"].startswith("2026-04-06T08:15:00")  # 09:15 BST
    expect(visits.locator("tbody tr").first).to_contain_text("booked")

    # The link is re-issued with its QR code on the patient page, then revoked.
    link = page.get_by_role("region", name="Enrolment link")
    link.get_by_role("button", name="Re-issue link").click()
    expect(link.locator("figure.qr svg")).to_be_visible()
    link.get_by_role("button", name="Revoke link").click()
    page.get_by_role("dialog").get_by_role("button", name="Revoke").click()
    expect(link.get_by_text("link revoked")).to_be_visible()

    # A re-treatment recomputes the plan.
    retreat = page.get_by_role("region", name="Record a re-treatment")
    retreat.get_by_label("Method").select_option("laser")
    retreat.get_by_role("button", name="Record treatment").click()
    expect(retreat.get_by_text("Treatment recorded.")).to_be_visible()
    expect(page.get_by_role("region", name="Details")).to_contain_text("Laser")

    # Revoking the device signs the phone out.
    devices.get_by_role("button", name="Revoke").click()
    page.get_by_role("dialog").get_by_role("button", name="Revoke").click()
    expect(devices.get_by_text("revoked")).to_be_visible()
    gone = clinic.phones["Mary Seacole"].http.get("/api/me")
    assert gone.status_code == 401
    console.no_problems(problems)
