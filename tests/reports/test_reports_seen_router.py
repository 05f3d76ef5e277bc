"""Staff mark a report seen (or acknowledge its alert) and the patient's app reads who, when
and the reply, never the internal note; refusals change nothing."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.db import transaction
from app.staff.models import AuditEvent, StaffUser
from tests.support.api import enrol, pair_phone
from tests.support.api import send_report as report

REPLY = "We will call you this morning."
NOTE = "Internal: discussed with Dr Lee, query DVT."


def seen_url(me: TestClient, report_id: str) -> str:
    patient_id = me.get("/api/me").json()["id"]
    return f"/api/patients/{patient_id}/reports/{report_id}/seen"


def my_reports(me: TestClient) -> list[dict[str, Any]]:
    answer = me.get("/api/me/reports")
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()
    return found


def name_the_nurse(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        nurse = session.exec(select(StaffUser)).one()
        nurse.name = "Nurse Patel"
        session.add(nurse)


def test_the_patient_reads_who_saw_their_report_when_and_the_reply(
    me: TestClient, staff: TestClient, factory: sessionmaker[Session]
) -> None:
    name_the_nurse(factory)
    sent = report(me, pain=3)
    [before] = my_reports(me)
    assert (before["seen_at"], before["seen_by_name"], before["reply"]) == (None, None, "")
    answer = staff.post(seen_url(me, sent["id"]), json={"reply": f"  {REPLY}  "})
    assert answer.status_code == 200, answer.text
    assert answer.json()["seen_by_name"] == "Nurse Patel"
    [after] = my_reports(me)
    assert after["seen_at"] == "2026-03-27T12:00:00Z"
    assert (after["seen_by_name"], after["reply"]) == ("Nurse Patel", REPLY)
    assert after["title"] == sent["title"] and after["advice"] == sent["advice"]


def test_the_first_seen_stands_and_a_second_call_answers_it(
    me: TestClient, staff: TestClient, factory: sessionmaker[Session]
) -> None:
    sent = report(me, pain=3)
    first = staff.post(seen_url(me, sent["id"]), json={"reply": REPLY})
    again = staff.post(seen_url(me, sent["id"]), json={"reply": "Something else"})
    assert again.status_code == 200
    assert again.json()["reply"] == first.json()["reply"] == REPLY
    assert again.json()["seen_at"] == first.json()["seen_at"]
    with factory() as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "report.seen")).all()
    assert [(e.detail["first"], e.detail["reply"]) for e in events] == [(True, True), (False, True)]
    assert {e.detail["report_id"] for e in events} == {sent["id"]}


def test_a_reply_over_500_characters_is_refused_in_plain_words(
    me: TestClient, staff: TestClient
) -> None:
    sent = report(me, pain=3)
    answer = staff.post(seen_url(me, sent["id"]), json={"reply": "x" * 501})
    assert answer.status_code == 422
    assert answer.json()["code"] == "reply_too_long"
    assert answer.json()["detail"] == "The reply is 501 characters long; it can be at most 500."
    assert my_reports(me)[0]["seen_at"] is None


def test_another_patients_report_is_not_found(
    app: FastAPI, me: TestClient, staff: TestClient
) -> None:
    with TestClient(app) as grace:
        pair_phone(grace, enrol(staff, name="Grace Hopper")["enrolment"]["code"])
        hers = report(grace, pain=1)
    answer = staff.post(seen_url(me, hers["id"]), json={})
    assert answer.status_code == 404
    missing = staff.post(seen_url(me, str(uuid.uuid4())), json={})
    assert missing.status_code == 404


def test_acknowledging_an_alert_marks_its_report_seen_and_keeps_the_note_from_the_patient(
    me: TestClient, staff: TestClient
) -> None:
    report(me, signs=["fever"])
    [alert] = staff.get("/api/alerts").json()
    answer = staff.post(
        f"/api/alerts/{alert['id']}/acknowledge", json={"note": NOTE, "reply": REPLY}
    )
    assert answer.status_code == 200, answer.text
    [mine] = my_reports(me)
    assert mine["seen_at"] == "2026-03-27T12:00:00Z"
    assert mine["seen_by_name"] == "the clinic"  # the nurse's account has no name
    assert mine["reply"] == REPLY
    assert "DVT" not in me.get("/api/me/reports").text


def test_acknowledging_with_a_too_long_reply_changes_nothing(
    me: TestClient, staff: TestClient
) -> None:
    report(me, signs=["fever"])
    [alert] = staff.get("/api/alerts").json()
    answer = staff.post(
        f"/api/alerts/{alert['id']}/acknowledge", json={"note": NOTE, "reply": "x" * 501}
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "reply_too_long"
    assert staff.get("/api/alerts").json()[0]["status"] == "open"
    assert my_reports(me)[0]["seen_at"] is None


def test_a_report_marked_seen_before_its_alert_keeps_its_first_reply(
    me: TestClient, staff: TestClient
) -> None:
    sent = report(me, signs=["fever"])
    staff.post(seen_url(me, sent["id"]), json={"reply": REPLY})
    [alert] = staff.get("/api/alerts").json()
    staff.post(f"/api/alerts/{alert['id']}/acknowledge", json={"note": NOTE, "reply": "Later"})
    assert my_reports(me)[0]["reply"] == REPLY
