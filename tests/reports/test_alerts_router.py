"""The clinic's alert inbox: urgent reports appear, are acknowledged once, stay in the clinic."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.clock import FixedClock
from app.staff.models import AuditEvent
from tests.support.api import sign_in_staff


def report(phone: TestClient, **fields: Any) -> dict[str, Any]:
    body = {"client_id": str(uuid.uuid4()), "pain": 2, "signs": [], "note": ""} | fields
    response = phone.post("/api/me/reports", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def test_urgent_and_emergency_reports_appear_emergencies_first(
    me: TestClient, staff: TestClient
) -> None:
    report(me, signs=["fever"], note="hot and shivery")
    report(me, signs=["bruising"])  # routine: no alert
    report(me, signs=["chest_pain_breathless"])
    inbox = staff.get("/api/alerts", params={"status": "open"}).json()
    assert [a["level"] for a in inbox] == ["emergency", "urgent"]
    assert inbox[1]["patient_name"] == "Ada Lovelace"
    assert inbox[1]["report"]["note"] == "hot and shivery"


def test_acknowledging_keeps_who_when_and_the_note(
    me: TestClient, staff: TestClient, factory: sessionmaker[Session], clock: FixedClock
) -> None:
    report(me, pain=9)
    [alert] = staff.get("/api/alerts", params={"status": "open"}).json()
    path = f"/api/alerts/{alert['id']}/acknowledge"
    done = staff.post(path, json={"note": "Called her back; seen tomorrow."})
    assert done.status_code == 200
    body = done.json()
    assert body["status"] == "acknowledged"
    assert body["acknowledgement_note"] == "Called her back; seen tomorrow."
    assert body["acknowledged_at"].startswith("2026-03-27T12:00:00")
    again = staff.post(path, json={"note": "second thoughts"})
    assert again.json() == body  # the first acknowledgement stands
    assert staff.get("/api/alerts", params={"status": "open"}).json() == []
    with factory() as session:
        actions = session.exec(select(AuditEvent.action)).all()
    assert actions.count("alert.acknowledge") == 2


def test_another_clinic_sees_nothing_and_cannot_acknowledge(
    me: TestClient, staff: TestClient, factory: sessionmaker[Session], clock: FixedClock, app: Any
) -> None:
    report(me, signs=["fever"])
    [alert] = staff.get("/api/alerts").json()
    with TestClient(app) as other:
        sign_in_staff(other, factory, now=clock.now(), clinic_name="Hill", email="dr@hill.example")
        assert other.get("/api/alerts").json() == []
        response = other.post(f"/api/alerts/{alert['id']}/acknowledge", json={"note": "mine"})
        assert response.status_code == 404
    assert staff.get("/api/alerts").json()[0]["status"] == "open"


def test_alerts_need_staff(me: TestClient, staff: TestClient, phone: TestClient) -> None:
    assert me.get("/api/alerts").status_code == 401
    assert staff.get("/api/alerts", params={"status": "lost"}).status_code == 422
    assert staff.post(f"/api/alerts/{uuid.uuid4()}/acknowledge", json={}).status_code == 404
    with TestClient(phone.app) as stranger:
        assert stranger.get("/api/alerts").status_code == 401
