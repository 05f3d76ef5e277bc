"""Admin pages: a clinician does not get them; an admin reads the audit log, manages staff,
erases a patient; everyone sees the clinic's adherence."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from sqlmodel import select

from app.clinics.models import Clinic
from app.patients.models import Patient
from app.staff.models import AuditEvent, StaffRole
from tests.e2e import console_support as console
from tests.e2e.pwa_support import Live, screenshot
from tests.support.push_service import FakePushService


def test_a_clinician_sees_no_admin_pages(live: Live, desk: Any) -> None:
    console.riverside(live)
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.NURSE_EMAIL)
    nav = page.get_by_role("navigation", name="Console")
    expect(nav.get_by_role("link", name="Patients")).to_be_visible()
    expect(nav.get_by_role("link", name="Audit log")).to_have_count(0)  # hidden: not in the tree
    expect(nav.get_by_role("link", name="Staff")).to_have_count(0)
    for path, title in [("#/audit", "Audit log"), ("#/staff", "Staff")]:
        page.goto(f"/console/{path}")
        expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
        expect(
            page.locator("#view").get_by_text("Only a clinic admin can see this page.")
        ).to_be_visible()
    assert live.requests_to("GET", "/api/audit") == []
    assert live.requests_to("GET", "/api/staff") == []
    # The server refuses too, whatever the page shows.
    assert page.request.get("/api/audit").status == 403
    assert page.request.get("/api/staff").status == 403
    # Clinic settings are read-only for a clinician.
    page.goto("/console/#/settings")
    clinic = page.get_by_role("region", name="Clinic")
    expect(clinic.get_by_label("Clinic name")).to_have_value("Riverside Vein Clinic")
    expect(clinic.get_by_text("Only a clinic admin can change these.")).to_be_visible()
    expect(clinic.get_by_role("button", name="Save clinic settings")).to_have_count(0)
    screenshot(page, "console-settings.png")
    console.no_problems(problems)


def test_an_admin_pages_through_the_audit_log(
    live: Live, desk: Any, push_receiver: FakePushService
) -> None:
    clinic = console.riverside(live, push_receiver)
    mary = clinic.patients["Mary Seacole"]
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.ADMIN_EMAIL)
    nav = page.get_by_role("navigation", name="Console")
    for _ in range(30):  # 60 audited reads, more than one page of 50
        assert page.request.get(f"/api/patients/{mary.id}").ok
        assert page.request.get("/api/patients").ok
    nav.get_by_role("link", name="Audit log").click()
    table = page.get_by_role("table", name="Audit log, newest first")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(50)
    expect(rows.first).to_contain_text("Dr Grace Hopper")  # names, and actions in words
    expect(rows.first).to_contain_text("Viewed the patient list")
    screenshot(page, "console-audit.png")
    page.get_by_role("button", name="Older entries").click()
    with live.factory() as session:
        total = len(session.exec(select(AuditEvent)).all())
    expect(rows).to_have_count(total)
    expect(page.get_by_role("button", name="Older entries")).to_be_hidden()

    # Filters: one action, one patient by part of her name.
    page.get_by_label("Action").select_option(label="Viewed the record")
    page.get_by_label("Patient").fill("seacole")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(30)
    expect(rows.first.get_by_role("link", name="Mary Seacole")).to_be_visible()
    assert "action=patient.read" in page.url and "patient=seacole" in page.url
    export = page.get_by_role("link", name="Export CSV")
    assert export.get_attribute("href") == "/api/audit.csv?action=patient.read&patient=seacole"
    with page.expect_download() as download:
        export.click()
    saved = download.value.path().read_text(encoding="utf-8-sig")
    assert saved.count("Viewed the record") == 30
    assert "Mary Seacole" in saved
    console.no_problems(problems)


def test_an_admin_manages_staff_and_erases_a_patient(
    live: Live, desk: Any, push_receiver: FakePushService
) -> None:
    clinic = console.riverside(live, push_receiver)
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.ADMIN_EMAIL)
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Staff").click()

    form = page.get_by_role("form", name="Add a staff member")
    form.get_by_label("E-mail").fill("alan@riverside.example")
    form.get_by_label("Name").fill("Alan Turing")
    form.get_by_label("First password").fill("a long enough first password")
    form.get_by_label("On call now").check()
    form.get_by_role("button", name="Add account").click()
    expect(form.get_by_text("alan@riverside.example can now sign in.")).to_be_visible()
    alan = page.get_by_role("row").filter(has_text="Alan Turing")
    expect(alan.get_by_label("Alan Turing is on call")).to_be_checked()
    alan.get_by_label("Role of Alan Turing").select_option("admin")
    expect(page.locator("#view").get_by_text("Alan Turing: role is now admin.")).to_be_visible()
    screenshot(page, "console-staff.png")
    alan.get_by_role("button", name="Disable").click()
    page.get_by_role("dialog").get_by_role("button", name="Disable").click()
    expect(alan.get_by_text("disabled", exact=True)).to_be_visible()
    stored = console.staff_by_email(live, "alan@riverside.example")
    assert stored.role == StaffRole.ADMIN
    assert stored.disabled_at == live.clock.now()
    assert stored.on_call is False  # a disabled account is no longer the one alerts go to
    expect(alan.get_by_label("Alan Turing is on call")).not_to_be_checked()
    # The clinic keeps an enabled admin: the only one cannot step down.
    me = page.get_by_role("row").filter(has_text="(you)")
    me.get_by_label("Role of Dr Grace Hopper").select_option("clinician")
    expect(page.get_by_role("alert").filter(has_text="at least one enabled admin")).to_be_visible()
    expect(me.get_by_label("Role of Dr Grace Hopper")).to_have_value("admin")
    assert console.staff_by_email(live, console.ADMIN_EMAIL).role == StaffRole.ADMIN

    # Erasing a patient asks for the name, typed out.
    edith = clinic.patients["Edith Cavell"]
    page.goto(f"/console/#/patients/{edith.id}")
    page.get_by_role("button", name="Erase patient…").click()
    dialog = page.get_by_role("dialog", name="Erase Edith Cavell?")
    erase = dialog.get_by_role("button", name="Erase for good")
    expect(erase).to_be_disabled()
    dialog.get_by_label('Type "Edith Cavell" to confirm').fill("Edith")
    expect(erase).to_be_disabled()
    dialog.get_by_label('Type "Edith Cavell" to confirm').fill("Edith Cavell")
    erase.click()
    expect(page.get_by_role("heading", name="Patients", level=1)).to_be_visible()
    expect(page.get_by_role("table", name="Patients")).not_to_contain_text("Edith Cavell")
    with live.factory() as session:
        assert session.get(Patient, edith.id) is None
    console.no_problems(problems, 409)  # the refused step-down


def test_the_adherence_page_shows_charts_and_tables(
    live: Live, desk: Any, push_receiver: FakePushService
) -> None:
    console.riverside(live, push_receiver)
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.NURSE_EMAIL)
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Adherence").click()
    expect(page.get_by_role("heading", name="Adherence", level=1)).to_be_visible()
    expect(page.locator("#view").get_by_text("3 patients")).to_be_visible()
    by_task = page.get_by_role("table", name="Adherence by task")
    expect(by_task.locator("tbody tr").first).to_contain_text("%")
    for name in ("by task", "by day after treatment"):
        chart = page.get_by_role("img", name=f"Chart of adherence {name}", exact=False)
        expect(chart).to_be_visible()
        assert chart.evaluate("img => img.complete && img.naturalWidth > 0")
    expect(page.get_by_role("link", name="Download CSV by patient")).to_have_attribute(
        "href", "/api/patients.csv"
    )
    screenshot(page, "console-adherence.png")
    console.no_problems(problems)


def test_an_admin_sets_the_out_of_hours_route(live: Live, desk: Any) -> None:
    console.riverside(live)
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.ADMIN_EMAIL)
    page.goto("/console/#/settings")
    clinic = page.get_by_role("region", name="Clinic")
    expect(clinic.get_by_label("Out-of-hours name")).to_have_value("the on-call nurse")
    clinic.get_by_label("Out-of-hours phone").fill("111")
    clinic.get_by_label("Out-of-hours name").fill("NHS 111")
    clinic.get_by_role("button", name="Save clinic settings").click()
    expect(clinic.get_by_text("Clinic settings saved.")).to_be_visible()
    with live.factory() as session:
        stored = session.exec(select(Clinic)).one()
    assert (stored.out_of_hours_phone, stored.out_of_hours_name) == ("111", "NHS 111")
    console.no_problems(problems)


def test_an_admin_sets_which_reminders_go_by_email_or_text(live: Live, desk: Any) -> None:
    console.riverside(live)
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.ADMIN_EMAIL)
    page.goto("/console/#/settings")
    clinic = page.get_by_role("region", name="Clinic")
    tasks = clinic.get_by_label("Tasks (their codes, with commas)")
    expect(tasks).to_have_value("remove_stocking, hydrocortisone, follow_up")
    tasks.fill("remove_stocking, stockings")
    clinic.get_by_role("button", name="Save clinic settings").click()
    # A code the protocol lacks: said in plain words, nothing saved.
    expect(clinic.get_by_role("alert")).to_contain_text("'stockings' is not a task of the protocol")
    tasks.fill("remove_stocking, stockings_on")
    clinic.get_by_label("Wait for the phone (minutes)").fill("20")
    clinic.get_by_label("Texts a day per patient, at most").fill("2")
    clinic.get_by_role("button", name="Save clinic settings").click()
    expect(clinic.get_by_text("Clinic settings saved.")).to_be_visible()
    with live.factory() as session:
        stored = session.exec(select(Clinic)).one()
    assert stored.fallback_tasks == ["remove_stocking", "stockings_on"]
    assert (stored.fallback_after_minutes, stored.sms_per_day) == (20, 2)
    console.no_problems(problems, 422)
