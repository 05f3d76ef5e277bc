"""How alerts reach a staff member on call, in Chromium: their own number and choice on
Settings, a colleague's from the Staff page (admins); the card fits 390 x 844 and 320 px."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from pydantic import SecretStr
from sqlmodel import select

from app.config import Settings
from app.staff.models import AuditEvent, StaffUser
from tests.e2e import console_support as console
from tests.e2e.pwa_support import Live, screenshot_part, scroll_into_view


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """A server set up to send e-mail and texts (nothing is sent by these tests)."""
    return Settings(
        database_url=database_url,
        public_url="http://testserver",
        vapid_private_key_file=tmp_path / "vapid.pem",
        dispatcher_enabled=False,
        smtp_url=SecretStr("smtp://127.0.0.1:9"),
        mail_from="Riverside Vein Clinic <alerts@clinic.example>",
        sms_url=SecretStr("webhook+http://127.0.0.1:9/sms"),
        _env_file=None,
    )


def stored(live: Live, email: str) -> tuple[str, str]:
    with live.factory() as session:
        staff = session.exec(select(StaffUser).where(StaffUser.email == email)).one()
        return staff.phone, staff.alert_channel


def test_a_clinician_chooses_texts_when_on_call(live: Live, desk: Any) -> None:
    console.riverside(live)
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.NURSE_EMAIL)
    page.goto("/console/#/settings")
    form = page.get_by_role("form", name="When on call")
    expect(form).to_contain_text("never who or why")
    expect(form).to_contain_text("You are not on call now.")
    choice = form.get_by_label("When on call, also alert me by")
    expect(choice).to_have_value("push")
    choice.select_option("sms")
    form.get_by_role("button", name="Save").click()
    expect(form.get_by_role("alert")).to_contain_text("need a mobile number")
    form.get_by_label("Mobile number").fill("07700 900123")
    form.get_by_role("button", name="Save").click()
    expect(form.get_by_role("alert")).to_contain_text("must start with the country code")
    assert stored(live, console.NURSE_EMAIL) == ("", "push")
    form.get_by_label("Mobile number").fill("+44 7700 900123")
    form.get_by_role("button", name="Save").click()
    expect(form.get_by_role("status")).to_contain_text(
        "When on call: Text message to +447700900123."
    )
    expect(form.get_by_label("Mobile number")).to_have_value("+447700900123")
    assert stored(live, console.NURSE_EMAIL) == ("+447700900123", "sms")
    # Coming back, the page shows what was saved.
    page.reload()
    form = page.get_by_role("form", name="When on call")
    expect(form.get_by_label("When on call, also alert me by")).to_have_value("sms")
    with live.factory() as session:
        actions = [e.action for e in session.exec(select(AuditEvent)).all()]
    assert actions.count("staff.alert_channel_change") == 1
    console.no_problems(problems, 422)


def test_an_admin_sets_a_colleague_to_email(live: Live, desk: Any) -> None:
    console.riverside(live)
    page, problems = console.open_console(desk, live)
    console.sign_in(page, console.ADMIN_EMAIL)
    page.goto("/console/#/staff")
    nurse = console.staff_by_email(live, console.NURSE_EMAIL)
    label = nurse.name or nurse.email
    page.get_by_role("button", name=f"Change how {label} is alerted on call").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading")).to_contain_text("is on call")
    dialog.get_by_label("When on call, also alert them by").select_option("email")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.get_by_role("status")).to_contain_text("When on call: E-mail.")
    dialog.get_by_role("button", name="Close").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    row = page.get_by_role("row").filter(has_text=console.NURSE_EMAIL)
    expect(row).to_contain_text("E-mail")
    expect(
        page.get_by_role("button", name=f"Change how {label} is alerted on call")
    ).to_be_focused()
    assert stored(live, console.NURSE_EMAIL) == ("", "email")
    console.no_problems(problems)


@pytest.mark.parametrize("size", ["phone", "narrow"])
def test_the_card_fits_a_phone_and_320_px(live: Live, browser: Any, size: str) -> None:
    console.riverside(live)
    with console.at_size(browser, live, size) as (page, problems):
        console.sign_in(page, console.NURSE_EMAIL)
        page.goto("/console/#/settings")
        form = page.get_by_role("form", name="When on call")
        form.get_by_label("Mobile number").fill("+44 7700 900123")
        form.get_by_label("When on call, also alert me by").select_option("sms")
        form.get_by_role("button", name="Save").click()
        expect(form.get_by_role("status")).to_contain_text("Text message")
        scroll_into_view(form)
        page.wait_for_timeout(100)
        screenshot_part(form, f"{size}-console-oncall.png")
        assert form.evaluate(console.LAYOUT) == [], size
        console.no_problems(problems)


@pytest.mark.parametrize("size", ["phone", "narrow"])
def test_the_admins_dialog_fits_a_phone_and_320_px(live: Live, browser: Any, size: str) -> None:
    console.riverside(live)
    with console.at_size(browser, live, size) as (page, problems):
        console.sign_in(page, console.ADMIN_EMAIL)
        page.goto("/console/#/staff")
        nurse = console.staff_by_email(live, console.NURSE_EMAIL)
        label = nurse.name or nurse.email
        page.get_by_role("button", name=f"Change how {label} is alerted on call").click()
        dialog = page.get_by_role("dialog")
        expect(dialog.get_by_label("Mobile number")).to_be_focused()
        page.wait_for_timeout(100)
        screenshot_part(dialog, f"{size}-console-oncall-dialog.png")
        assert dialog.evaluate(console.LAYOUT) == [], size
        console.no_problems(problems)
