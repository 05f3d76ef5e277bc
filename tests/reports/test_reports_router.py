"""Reporting a problem: immediate triage, the clinic alerted, safe to send twice."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, func, select

from app.reports.models import Alert, SymptomReport
from tests.support.api import enrol, pair_phone


def report(me: TestClient, **fields: Any) -> Any:
    body = {"client_id": str(uuid.uuid4()), "pain": 2, "signs": [], "note": ""} | fields
    return me.post("/api/me/reports", json=body)


def count(factory: sessionmaker[Session], model: Any) -> int:
    with factory() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_the_form_lists_the_clinics_signs_in_plain_language(me: TestClient) -> None:
    form = me.get("/api/me/report-form").json()
    assert form["emergency_number"] == "999"
    assert (form["urgent_pain_at_least"], form["urgent_pain_rise"]) == (7, 2)
    assert form["clinic_phone"] == "+44 20 7946 0001"
    groups = {sign["code"]: sign["group"] for sign in form["signs"]}
    assert groups["chest_pain_breathless"] == "emergency"
    assert groups["fever"] == "urgent"
    assert groups["bruising"] == "expected"
    assert all(sign["label"] for sign in form["signs"])


@pytest.mark.parametrize(
    ("fields", "level", "call", "alerts"),
    [
        ({"signs": ["chest_pain_breathless"]}, "emergency", "999", 1),
        ({"signs": ["spreading_redness"]}, "urgent", "+44 20 7946 0001", 1),
        ({"pain": 8}, "urgent", "+44 20 7946 0001", 1),
        ({"signs": ["bruising", "itching"], "pain": 3}, "routine", None, 0),
    ],
)
def test_the_answer_is_immediate_and_the_clinic_is_alerted(
    me: TestClient,
    factory: sessionmaker[Session],
    fields: dict[str, Any],
    level: str,
    call: str | None,
    alerts: int,
) -> None:
    response = report(me, **fields)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["level"], body["call_number"]) == (level, call)
    assert body["advice"]
    if level == "emergency":
        assert body["title"] == "Call 999 now"
        assert "Do not drive" in body["advice"]
    assert count(factory, Alert) == alerts


def test_a_sudden_rise_in_pain_is_urgent(me: TestClient) -> None:
    assert report(me, pain=2).json()["level"] == "routine"
    assert report(me, pain=4).json()["level"] == "urgent"


def test_sending_the_same_report_twice_stores_it_once(
    me: TestClient, factory: sessionmaker[Session]
) -> None:
    body = {"client_id": str(uuid.uuid4()), "pain": 9, "signs": ["fever"], "note": "hot leg"}
    first = me.post("/api/me/reports", json=body)
    again = me.post("/api/me/reports", json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert count(factory, SymptomReport) == 1
    assert count(factory, Alert) == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"signs": ["leg_fell_off"]},
        {"pain": 11},
        {"pain": -1},
        {"pain": "a lot"},
        {"client_id": "not-a-uuid"},
        {"note": "x" * 2001},
        {"mood": "grumpy"},
    ],
)
def test_bad_reports_are_refused_and_nothing_is_stored(
    me: TestClient, factory: sessionmaker[Session], fields: dict[str, Any]
) -> None:
    response = report(me, **fields)
    assert response.status_code == 422
    assert count(factory, SymptomReport) == count(factory, Alert) == 0


@pytest.mark.parametrize("pain", [True, False, "3", 3.0, 3.5, [3]])
def test_pain_must_be_a_json_integer(
    me: TestClient, factory: sessionmaker[Session], pain: object
) -> None:
    response = report(me, pain=pain)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    assert response.json()["detail"] == "The pain score must be a whole number."
    assert response.json()["errors"][0]["field"] == "pain"
    assert count(factory, SymptomReport) == 0


def test_a_patient_sees_only_their_own_reports(me: TestClient, staff: TestClient, app: Any) -> None:
    report(me, pain=1, note="mine")
    with TestClient(app) as other:
        pair_phone(other, enrol(staff, name="Other")["enrolment"]["code"])
        report(other, pain=2, note="theirs")
        assert [r["note"] for r in other.get("/api/me/reports").json()] == ["theirs"]
    assert [r["note"] for r in me.get("/api/me/reports").json()] == ["mine"]


def test_reporting_needs_a_device_session(phone: TestClient) -> None:
    assert report(phone).status_code == 401
    assert phone.get("/api/me/report-form").status_code == 401
