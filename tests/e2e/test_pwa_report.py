"""Report a problem: the answer is immediate and unmistakable; the evening check opens it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from playwright.sync_api import expect
from sqlmodel import select

from app.reports.models import SymptomReport
from app.reports.triage import AdviceKey, default_rules
from tests.e2e.pwa_support import Enrolled, Live, assert_status, open_page, screenshot


def _reports(live: Live) -> list[SymptomReport]:
    with live.factory() as session:
        return list(session.exec(select(SymptomReport)).all())


def _report(page: Any, *, pain: int | None, signs: tuple[str, ...] = ()) -> None:
    page.get_by_role("link", name="Report a problem").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Report a problem")
    if pain is not None:
        page.get_by_role("radio", name=str(pain), exact=True).check()
    for sign in signs:
        page.get_by_role("checkbox", name=sign).check()
    page.get_by_role("button", name="Send to my clinic").click()


def test_chest_pain_gets_the_emergency_screen(live: Live, enrolled: Enrolled, handset: Any) -> None:
    page, problems = open_page(handset, live.clock.now())
    page.goto(enrolled.link.url)
    page.get_by_role("link", name="Report a problem").click()
    expect(page.get_by_role("group", name="Serious warning signs")).to_be_visible()
    expect(page.get_by_role("link", name="Call 999")).to_have_attribute("href", "tel:999")
    screenshot(page, "report-form.png")
    screenshot(page, "report-form-full.png", full_page=True)

    # Nothing reported: a pain number is asked for, by the pain numbers, on screen.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.get_by_role("button", name="Send to my clinic").click()
    error = page.locator("#pain-error")
    expect(error).to_have_text("Please choose a number for your pain (0 if you have none).")
    expect(error).to_be_in_viewport()
    expect(page.get_by_role("radio", name="0 no pain", exact=True)).to_be_focused()
    expect(page.get_by_role("group", name="How bad is your pain right now?")).to_contain_text(
        "Please choose a number"
    )
    assert _reports(live) == []

    # A ticked sign is never held back for a missing pain number.
    page.get_by_role("checkbox", name="Chest pain or sudden breathlessness").check()
    page.get_by_role("button", name="Send to my clinic").click()

    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Call 999 now")
    expect(heading).to_be_focused()
    expect(page.get_by_text("Do not drive yourself.").first).to_be_visible()
    call = page.get_by_role("link", name="Call 999 now")
    expect(call).to_have_attribute("href", "tel:999")
    assert call.bounding_box()["height"] >= 64  # big enough to hit in a panic
    expect(page.locator("body")).to_have_class("screen-emergency")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    screenshot(page, "report-emergency.png")
    [report] = _reports(live)
    assert (report.level, report.pain, report.signs) == (
        "emergency",
        None,
        ["chest_pain_breathless"],
    )

    page.get_by_role("button", name="Back to my plan").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
    expect(page.locator("body")).not_to_have_class("screen-emergency")
    assert problems == []


def test_urgent_and_routine_answers(live: Live, enrolled: Enrolled, handset: Any) -> None:
    page, problems = open_page(handset, live.clock.now())
    page.goto(enrolled.link.url)

    _report(page, pain=8)
    expect(page.get_by_role("heading", level=1)).to_have_text("Contact the clinic now")
    call = page.get_by_role("link", name="Call the clinic")
    expect(call).to_have_attribute("href", "tel:+442079460001")
    expect(call).to_contain_text("+44 20 7946 0001")
    assert call.bounding_box()["height"] >= 64
    screenshot(page, "report-urgent.png")
    page.get_by_role("button", name="Back to my plan").click()

    _report(page, pain=2, signs=("Bruising",))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, this is expected")
    expect(page.get_by_text("Your report has been sent to the clinic.")).to_be_visible()
    screenshot(page, "report-routine.png")
    assert [r.level for r in sorted(_reports(live), key=lambda r: r.created_at)] == [
        "urgent",
        "routine",
    ]
    assert problems == []


def test_a_note_naming_a_warning_sign_is_confirmed_before_sending(
    live: Live, enrolled: Enrolled, handset: Any
) -> None:
    page, problems = open_page(handset, live.clock.now())
    page.goto(enrolled.link.url)
    page.get_by_role("link", name="Report a problem").click()
    page.get_by_role("radio", name="2", exact=True).check()
    page.get_by_label("Anything else you want to tell the clinic?").fill(
        "Since this morning I\u2019ve had CHEST PAIN when I walk."
    )
    page.get_by_role("button", name="Send to my clinic").click()
    question = page.get_by_text(
        "You wrote about: Chest pain or sudden breathlessness. Do you have this now?"
    )
    expect(question).to_be_focused()
    expect(question).to_be_in_viewport()
    screenshot(page, "report-note-confirm.png")
    assert _reports(live) == []  # nothing is sent before the patient answers

    page.get_by_role("button", name="Yes, add it").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Call 999 now")
    [report] = _reports(live)
    assert (report.level, report.signs) == ("emergency", ["chest_pain_breathless"])
    assert problems == []


def test_out_of_hours_an_urgent_answer_calls_the_out_of_hours_number(
    live: Live, enrolled: Enrolled, handset: Any
) -> None:
    evening = live.clock.now() + timedelta(hours=8)  # Friday 8 pm: the clinic is closed
    live.clock.set(evening)
    page, problems = open_page(handset, evening)
    page.goto(enrolled.link.url)
    page.get_by_role("link", name="Report a problem").click()
    form = page.evaluate("async () => (await fetch('/api/me/report-form')).json()")
    _report(page, pain=2, signs=("Fever or chills",))
    heading = page.get_by_role("heading", level=1)
    title = default_rules().advice[AdviceKey.URGENT_CLOSED].title
    expect(heading).to_have_text(title.replace("{out_of_hours_name}", form["out_of_hours_name"]))
    number = form["out_of_hours_phone"] or form["clinic_phone"]
    call = page.locator(".result-urgent a.button-call")
    expect(call).to_have_attribute(
        "href", "tel:" + "".join(c for c in number if c in "+0123456789")
    )
    expect(page.get_by_text("The clinic is closed until")).to_be_visible()
    screenshot(page, "report-urgent-closed.png")
    assert problems == []


def test_the_evening_check_reminder_opens_the_form_and_all_is_well_ticks_it(
    live: Live, enrolled: Enrolled, handset: Any
) -> None:
    check = live.occurrence("symptom_check/2026-03-27")
    live.clock.set(check.due_at)
    page, problems = open_page(handset, check.due_at)
    page.goto(enrolled.link.url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")

    page.goto(f"/?task={check.id}")  # where the reminder's tap leads
    expect(page.get_by_role("heading", level=1)).to_have_text("Your daily check")
    assert page.url == f"{live.base_url}/#report?task={check.id}"
    screenshot(page, "daily-check.png")
    page.get_by_role("button", name="All is well").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
    expect(page.locator(f"#task-{check.id}")).to_contain_text("Done at 8:00 pm")
    assert_status(live, "symptom_check/2026-03-27", "done")
    assert problems == []


def test_a_reminder_for_a_task_shows_it_highlighted(
    live: Live, enrolled: Enrolled, handset: Any
) -> None:
    later = live.occurrence("elevate_legs/t1/4")
    page, problems = open_page(handset, live.clock.now())
    page.goto(enrolled.link.url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
    page.goto(f"/?task={later.id}")
    item = page.locator(f"#task-{later.id}")
    expect(item).to_have_class("task kind-task state-pending timing-later highlight")
    expect(item).to_be_focused()
    expect(item).to_be_in_viewport()
    screenshot(page, "task-from-reminder.png")
    assert problems == []


def test_a_slow_form_is_drawn_once_and_keeps_what_the_patient_typed(
    live: Live, enrolled: Enrolled, handset: Any
) -> None:
    # Hold every request for the form, as a slow network would: opening the tab while the
    # start's own load is still under way must not load (and draw) the form a second time.
    held: list[Any] = []
    page, problems = open_page(handset, live.clock.now())
    handset.route("**/api/me/report-form*", lambda route: held.append(route))
    page.goto(enrolled.link.url)
    page.get_by_role("link", name="Report a problem").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Report a problem")
    for _ in range(100):  # the first load may start late on a busy machine
        if held:
            break
        page.wait_for_timeout(100)
    page.wait_for_timeout(500)  # time for a second load to start, were there one
    assert len(held) == 1
    held.pop().continue_()
    note = page.get_by_label("Anything else you want to tell the clinic?")
    note.fill("My leg is a bit sore")
    page.wait_for_timeout(500)
    assert held == []
    expect(note).to_have_value("My leg is a bit sore")
    assert problems == []
