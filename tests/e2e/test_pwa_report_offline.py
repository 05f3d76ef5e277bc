"""Offline, the report form still shows and the phone triages from the clinic's saved rules
and the reports it holds (those already sent and those waiting to be sent); "Your earlier
reports" lists a waiting report as not sent until the server's report (with its advice)
replaces it. Screenshots in test-artifacts/screens/ to be looked at."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from app.db import transaction
from app.patients.models import Patient
from app.reports.models import SymptomReport
from app.reports.triage import AdviceKey, default_rules
from tests.e2e.layout_support import check_screen, open_sized
from tests.e2e.pwa_support import (
    Enrolled,
    Live,
    open_page,
    screenshot,
    screenshot_part,
    unexpected,
    wait_for_offline_copy,
)
from tests.e2e.test_pwa_carers import OwnPhone, new_phone, second_patient

SAVED_REPORTS = """async () => {
    const cache = await caches.open("aftercare-data");
    const form = await cache.match("/api/me/report-form");
    const reports = await cache.match("/api/me/reports");
    return {
        form: form ? Boolean((await form.json()).rules) : false,
        reports: reports ? (await reports.json()).length : -1,
    };
}"""


def wait_for_saved_reports(page: Any, count: int, timeout: float = 10.0) -> None:
    """Until the service worker keeps the form (with its rules) and `count` earlier reports."""
    deadline = time.monotonic() + timeout
    while (saved := page.evaluate(SAVED_REPORTS)) != {"form": True, "reports": count}:
        if time.monotonic() > deadline:
            raise AssertionError(f"the phone did not keep the form and {count} reports: {saved}")
        page.wait_for_timeout(100)


def _reports(live: Live) -> list[SymptomReport]:
    with live.factory() as session:
        return list(session.exec(select(SymptomReport)).all())


def _open_form(page: Any) -> None:
    page.get_by_role("link", name="Report a problem").click()
    expect(page.get_by_role("group", name="Serious warning signs")).to_be_visible()


def _send(
    page: Any, *, pain: int | None = None, signs: tuple[str, ...] = (), note: str = ""
) -> None:
    _open_form(page)
    if pain is not None:
        page.get_by_role("radio", name=str(pain), exact=True).check()
    for sign in signs:
        page.get_by_role("checkbox", name=sign).check()
    if note:
        page.get_by_label("Anything else you want to tell the clinic?").fill(note)
    page.get_by_role("button", name="Send to my clinic").click()


def _go_offline(live: Live, handset: Any) -> None:
    handset.set_offline(True)
    live.unplug()


URGENT_TITLE = default_rules().advice[AdviceKey.URGENT].title
ROUTINE_TITLES = {
    key: default_rules().advice[AdviceKey(key)].title for key in ("routine", "routine_expected")
}


def test_offline_a_rise_from_3_to_5_since_the_last_report_is_urgent(
    live: Live, enrolled: Enrolled, handset: Any
) -> None:
    page, problems = open_page(handset, live.clock.now())
    page.goto(enrolled.link.url)
    wait_for_offline_copy(page)
    _send(page, pain=3)
    expect(page.get_by_text("Your report has been sent to the clinic.")).to_be_visible()
    page.get_by_role("button", name="Back to my plan").click()
    wait_for_saved_reports(page, 1)

    _go_offline(live, handset)
    page.reload()  # opened again offline: the form and the earlier report come from the phone
    expect(page.locator("#connection")).to_contain_text("You are offline.")
    _send(page, pain=5)
    expect(page.get_by_role("heading", level=1)).to_have_text(URGENT_TITLE)
    expect(page.get_by_role("link", name="Call the clinic")).to_have_attribute(
        "href", "tel:+442079460001"
    )
    expect(page.get_by_text("Your report is saved on this phone.")).to_be_visible()

    live.plug_in()
    handset.set_offline(False)
    expect(page.get_by_text("they have been alerted")).to_be_visible(timeout=15000)
    assert sorted(r.pain or 0 for r in _reports(live)) == [3, 5]
    assert {r.level for r in _reports(live) if r.pain == 5} == {"urgent"}
    assert unexpected(problems, offline=True) == []


def test_offline_reports_waiting_to_be_sent_count_as_history(
    live: Live, enrolled: Enrolled, handset: Any
) -> None:
    page, problems = open_page(handset, live.clock.now())
    page.goto(enrolled.link.url)
    _open_form(page)
    wait_for_saved_reports(page, 0)
    wait_for_offline_copy(page)

    _go_offline(live, handset)
    _send(page, pain=3)
    expect(page.locator(".result-routine")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(ROUTINE_TITLES["routine"])
    page.get_by_role("button", name="Back to my plan").click()
    page.reload()  # the waiting report is kept in IndexedDB across a restart
    _send(page, pain=5)
    expect(page.get_by_role("heading", level=1)).to_have_text(URGENT_TITLE)
    expect(page.locator("#sync")).to_contain_text("Waiting to send: 2 reports.")
    assert _reports(live) == []
    assert unexpected(problems, offline=True) == []


def test_offline_a_note_about_chest_pain_asks_first_and_is_never_reassured(
    live: Live, enrolled: Enrolled, handset: Any
) -> None:
    page, problems = open_page(handset, live.clock.now())
    page.goto(enrolled.link.url)
    _open_form(page)
    wait_for_saved_reports(page, 0)
    wait_for_offline_copy(page)

    _go_offline(live, handset)
    page.reload()
    _send(page, note="I have chest pain")  # no pain number: the note is enough
    question = page.get_by_text(
        "You wrote about: Chest pain or sudden breathlessness. Do you have this now?"
    )
    expect(question).to_be_visible()
    expect(question).to_be_focused()
    expect(page.get_by_role("button", name="Send to my clinic")).to_be_hidden()

    page.get_by_role("button", name="No, send as it is").click()
    expect(page.locator(".result-urgent")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(URGENT_TITLE)
    expect(page.get_by_text("Your report is saved on this phone.")).to_be_visible()

    # The same note, and this time the patient says yes: the sign is ticked, an emergency.
    page.get_by_role("button", name="Back to my plan").click()
    _send(page, note="I have chest pain")
    page.get_by_role("button", name="Yes, add it").click()
    expect(page.locator(".result-emergency")).to_be_visible()
    expect(page.get_by_role("link", name="Call 999 now")).to_have_attribute("href", "tel:999")

    live.plug_in()
    handset.set_offline(False)
    deadline = time.monotonic() + 15
    while len(_reports(live)) < 2:
        assert time.monotonic() < deadline, "the waiting reports were not sent"
        page.wait_for_timeout(100)
    by_level = {r.level: r for r in _reports(live)}
    assert set(by_level) == {"urgent", "emergency"}
    assert by_level["urgent"].pain is None and by_level["urgent"].signs == []
    assert by_level["emergency"].signs == ["chest_pain_breathless"]
    assert unexpected(problems, offline=True) == []


def test_offline_out_of_hours_the_phone_gives_the_out_of_hours_route(
    live: Live, enrolled: Enrolled, handset: Any
) -> None:
    evening = live.clock.now() + timedelta(hours=8)  # Friday 8 pm: the clinic is closed
    live.clock.set(evening)
    page, problems = open_page(handset, evening)
    page.goto(enrolled.link.url)
    _open_form(page)
    wait_for_saved_reports(page, 0)
    wait_for_offline_copy(page)
    form = page.evaluate("async () => (await fetch('/api/me/report-form')).json()")

    _go_offline(live, handset)
    _send(page, pain=2, signs=("Fever or chills",))
    title = default_rules().advice[AdviceKey.URGENT_CLOSED].title
    expect(page.get_by_role("heading", level=1)).to_have_text(
        title.replace("{out_of_hours_name}", form["out_of_hours_name"])
    )
    # The period the clinic is in now (the server lists them from now on).
    reopens = form["closed_periods"][0]["reopens"]
    expect(page.get_by_text(f"The clinic is closed until {reopens}.")).to_be_visible()
    call = page.locator(".result-urgent a.button-call")
    digits = "".join(
        c for c in form["out_of_hours_phone"] or form["clinic_phone"] if c in "+0123456789"
    )
    expect(call).to_have_attribute("href", f"tel:{digits}")
    expect(page.get_by_text("Your report is saved on this phone.")).to_be_visible()
    assert unexpected(problems, offline=True) == []


WAITING_WORDS = (
    "Not sent yet: it will be sent when your phone is online. "
    "If you feel worse, call the clinic now."
)


@pytest.mark.parametrize("size", ["phone", "narrow", "text200"])
def test_a_report_waiting_to_be_sent_is_listed_until_the_server_has_it(
    live: Live, enrolled: Enrolled, browser: Any, size: str
) -> None:
    context, page, problems = open_sized(browser, live, size)
    try:
        page.goto(enrolled.link.url)
        _open_form(page)
        wait_for_saved_reports(page, 0)
        wait_for_offline_copy(page)

        context.set_offline(True)
        live.unplug()
        _send(page, pain=4, signs=("Fever or chills",))
        expect(page.get_by_text("Your report is saved on this phone.")).to_be_visible()
        page.get_by_role("button", name="Back to my plan").click()
        _open_form(page)
        section = page.get_by_role("region", name="Your earlier reports")
        cards = section.get_by_role("listitem")
        expect(cards).to_have_count(1)
        waiting = cards.nth(0)
        expect(waiting).to_have_class(re.compile(r"\bmy-report-waiting\b"))
        expect(waiting).to_contain_text("Today at 12:00 pm")  # when the phone made it
        expect(waiting).to_contain_text("Waiting to send")
        expect(waiting).to_contain_text("Pain 4 out of 10")
        expect(waiting).to_contain_text("Signs: Fever or chills")
        expect(waiting).to_contain_text(WAITING_WORDS)
        # Nothing judged on the phone: no advice, and neither seen nor not seen.
        expect(waiting.locator(".my-report-advice, .my-report-seen")).to_have_count(0)
        assert URGENT_TITLE not in waiting.inner_text()
        check_screen(page, f"{size}-my-reports-waiting")
        # As the phone shows it (the card clear of the bottom bar), and the list on its own.
        waiting.evaluate("(card) => card.scrollIntoView({ block: 'center' })")
        screenshot(page, f"{size}-my-reports-waiting-view.png")
        screenshot_part(section, f"{size}-my-reports-waiting-list.png")

        # Online again: the outbox sends it and the card becomes the server's, with its advice.
        live.plug_in()
        context.set_offline(False)
        expect(section.locator(".my-report-waiting")).to_have_count(0, timeout=15000)
        expect(cards).to_have_count(1)
        [stored] = _reports(live)
        assert (stored.pain, stored.signs, stored.level) == (4, ["fever"], "urgent")
        expect(cards.nth(0)).to_have_class(re.compile(r"\bmy-report-urgent\b"))
        expect(cards.nth(0)).to_contain_text("Pain 4 out of 10")
        expect(cards.nth(0)).to_contain_text(stored.advice_title)
        expect(cards.nth(0)).to_contain_text(stored.advice)
        expect(cards.nth(0)).to_contain_text("Not seen by the clinic yet")
        expect(section).not_to_contain_text("Waiting to send")
        check_screen(page, f"{size}-my-reports-sent")
        cards.nth(0).evaluate("(card) => card.scrollIntoView({ block: 'center' })")
        screenshot(page, f"{size}-my-reports-sent-view.png")
        assert unexpected(problems, offline=True) == []
    finally:
        context.close()


OUTBOX = """() => new Promise((resolve, reject) => {
    const open = indexedDB.open("aftercare", 1);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
        const all = open.result.transaction("outbox").objectStore("outbox").getAll();
        all.onsuccess = () => resolve(all.result);
    };
})"""

# The list's choice, given the phone's outbox and an item kept while someone else was shown.
WAITING_FOR = """async ([others]) => {
    const { waitingReports } = await import("/js/myreports.js");
    const items = await (OUTBOX_FN)();
    const body = { ...items[0].body, client_id: "y" };
    const other = { ...items[0], id: "x", patient: others, body };
    const me = await (await fetch("/api/me")).json();
    return waitingReports([...items, other], { reports: [], signs: [], patientId: me.id })
        .map((r) => r.client_id);
}""".replace("OUTBOX_FN", OUTBOX)


def test_a_carers_phone_lists_the_waiting_report_for_the_person_shown(
    live: Live, enrolled: Enrolled, browser: Any
) -> None:
    ada_phone = OwnPhone(live, enrolled.link.code)
    john, _ = second_patient(live, enrolled)
    invited = ada_phone.invite("Anna")
    helper = new_phone(browser, live)
    page, problems = open_page(helper, live.clock.now())
    page.goto(invited["enrolment"]["url"])
    expect(page.locator("#carer-helping")).to_have_text("You are helping Ada Lovelace")
    page.reload()  # the plan through the service worker, which keeps it
    _open_form(page)
    wait_for_saved_reports(page, 0)
    wait_for_offline_copy(page, timeout=20.0)

    helper.set_offline(True)
    live.unplug()
    _send(page, pain=2, signs=("Bruising",))
    page.get_by_role("button", name="Back to my plan").click()
    _open_form(page)
    section = page.get_by_role("region", name="Your earlier reports")
    waiting = section.locator(".my-report-waiting")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("Signs: Bruising")
    # The outbox keeps whom it is for; one kept for someone else is not this person's list.
    [item] = page.evaluate(OUTBOX)
    assert item["patient"] == str(enrolled.patient.id)
    assert page.evaluate(WAITING_FOR, [str(john.id)]) == [item["body"]["client_id"]]

    live.plug_in()
    helper.set_offline(False)
    expect(waiting).to_have_count(0, timeout=15000)
    cards = section.get_by_role("listitem")
    expect(cards).to_have_count(1)
    expect(cards.nth(0)).to_contain_text("Sent by Anna")
    expect(cards.nth(0)).to_contain_text("Signs: Bruising")
    [stored] = _reports(live)
    assert stored.patient_id == enrolled.patient.id
    assert unexpected(problems, 503, offline=True) == []


def test_in_polish_the_waiting_report_says_so_in_polish(
    live: Live, enrolled: Enrolled, handset: Any
) -> None:
    with transaction(live.factory) as session:
        patient = session.get(Patient, enrolled.patient.id)
        assert patient is not None
        patient.language = "pl"
        session.add(patient)
    page, problems = open_page(handset, live.clock.now())
    page.goto(enrolled.link.url)
    page.get_by_role("link", name="Zgłoś problem").click()
    wait_for_saved_reports(page, 0)
    wait_for_offline_copy(page)
    form = page.evaluate("async () => (await fetch('/api/me/report-form')).json()")
    fever = next(s["label"] for s in form["rules"]["signs"] if s["code"] == "fever")

    _go_offline(live, handset)
    page.get_by_role("radio", name="4", exact=True).check()
    page.get_by_role("checkbox", name=fever).check()
    page.get_by_role("button", name="Wyślij do mojej kliniki").click()
    page.get_by_role("button", name="Wróć do mojego planu").click()
    page.get_by_role("link", name="Zgłoś problem").click()
    waiting = page.locator(".my-report-waiting")
    expect(waiting).to_contain_text("Czeka na wysłanie")
    expect(waiting).to_contain_text("Ból 4 na 10")
    expect(waiting).to_contain_text(f"Objawy: {fever}")
    expect(waiting).to_contain_text("Jeszcze niewysłane: zostanie wysłane, gdy telefon")
    screenshot_part(page.locator("#my-reports"), "pl-my-reports-waiting.png")
    assert unexpected(problems, offline=True) == []


def test_a_report_the_server_has_but_whose_answer_was_lost_is_listed_once(
    live: Live, enrolled: Enrolled, handset: Any
) -> None:
    page, problems = open_page(handset, live.clock.now())
    page.goto(enrolled.link.url)
    _open_form(page)
    wait_for_saved_reports(page, 0)

    def answer_lost(route: Any) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        route.fetch()  # the server stores it; the phone never hears back
        route.abort("connectionreset")

    handset.route("**/api/me/reports", answer_lost)
    _send(page, pain=3)
    expect(page.get_by_text("Your report is saved on this phone.")).to_be_visible()
    assert len(_reports(live)) == 1
    page.get_by_role("button", name="Back to my plan").click()
    _open_form(page)  # the list asked afresh: the server's report, not a waiting card as well
    section = page.get_by_role("region", name="Your earlier reports")
    expect(section.get_by_role("listitem")).to_have_count(1)
    expect(section.locator(".my-report-waiting")).to_have_count(0)
    expect(section).to_contain_text("Not seen by the clinic yet")
    assert len(page.evaluate(OUTBOX)) == 1  # still waiting to be sent, all the same

    handset.unroute("**/api/me/reports")
    page.evaluate("dispatchEvent(new Event('online'))")  # sent again: stored once
    page.wait_for_function(f"({OUTBOX})().then((items) => items.length === 0)")
    expect(section.get_by_role("listitem")).to_have_count(1)
    assert len(_reports(live)) == 1
    assert [p for p in problems if "ERR_CONNECTION_RESET" not in p] == []
