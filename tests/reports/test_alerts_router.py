"""The clinic's alert inbox: urgent reports appear, are acknowledged once, stay in the clinic."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.clinics.models import Clinic
from app.clock import FixedClock
from app.db import transaction
from app.staff.models import AuditEvent
from app.staff.service import create_staff
from tests.support.api import log_in, sign_in_staff
from tests.support.api import send_report as report
from tests.support.factories import STAFF_PASSWORD

MINUTE = timedelta(minutes=1)
ACK = "alert.acknowledge"


def open_alerts(staff: TestClient) -> list[dict[str, Any]]:
    response = staff.get("/api/alerts", params={"status": "open"})
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


@pytest.fixture
def colleague(
    staff: TestClient, app: FastAPI, factory: sessionmaker[Session], clock: FixedClock
) -> Iterator[TestClient]:
    """Another clinician of the same clinic, Grace, signed in on her own browser."""
    with transaction(factory) as session:
        clinic = session.exec(select(Clinic).where(Clinic.name == "Riverside Vein Clinic")).one()
        create_staff(
            session, clinic=clinic, email="grace@riverside.example", password=STAFF_PASSWORD,
            now=clock.now(), name="Grace Hopper",
        )  # fmt: skip
    with TestClient(app) as browser:
        log_in(browser, "grace@riverside.example")
        yield browser


class TestInbox:
    def test_urgent_and_emergency_reports_appear_routine_ones_do_not(
        self, me: TestClient, staff: TestClient
    ) -> None:
        report(me, signs=["fever"], note="hot and shivery")
        report(me, signs=["bruising"])  # routine: no alert
        [alert] = open_alerts(staff)
        assert alert["level"] == "urgent"
        assert alert["status"] == "open"
        assert alert["patient_name"] == "Ada Lovelace"
        assert alert["report"]["note"] == "hot and shivery"

    def test_emergencies_come_first_then_the_longest_waiting(
        self, me: TestClient, staff: TestClient, clock: FixedClock
    ) -> None:
        made = []
        for signs in (["fever"], ["chest_pain_breathless"], ["fever"], ["chest_pain_breathless"]):
            made.append(report(me, signs=signs)["id"])
            clock.advance(MINUTE)
        inbox = open_alerts(staff)
        assert [a["report"]["id"] for a in inbox] == [made[1], made[3], made[0], made[2]]
        assert [a["level"] for a in inbox] == ["emergency", "emergency", "urgent", "urgent"]

    def test_each_alert_says_when_it_escalates(
        self, me: TestClient, staff: TestClient, clock: FixedClock
    ) -> None:
        report(me, pain=9)
        [alert] = open_alerts(staff)
        # Friday 27 March 12:00 GMT, open until 18:00: 15 minutes of opening time.
        assert alert["escalate_at"].startswith("2026-03-27T12:15:00")
        assert alert["escalated_at"] is None
        assert alert["acknowledged_by_name"] is None
        assert alert["acknowledged_at"] is None

    def test_status_filters_and_limit(self, me: TestClient, staff: TestClient) -> None:
        report(me, pain=9)
        report(me, signs=["chest_pain_breathless"])
        first = open_alerts(staff)[0]
        note = {"note": "Sent to A&E."}
        assert staff.post(f"/api/alerts/{first['id']}/acknowledge", json=note).status_code == 200
        everything = staff.get("/api/alerts").json()
        assert [a["status"] for a in everything] == ["acknowledged", "open"]
        done = staff.get("/api/alerts", params={"status": "acknowledged"}).json()
        assert [a["id"] for a in done] == [first["id"]]
        assert len(open_alerts(staff)) == 1
        assert len(staff.get("/api/alerts", params={"limit": 1}).json()) == 1
        for bad in ({"status": "lost"}, {"limit": 0}, {"limit": 501}):
            assert staff.get("/api/alerts", params=bad).status_code == 422


class TestAcknowledge:
    def test_who_when_and_the_note_are_kept(
        self, me: TestClient, staff: TestClient, factory: sessionmaker[Session]
    ) -> None:
        report(me, pain=9)
        [alert] = open_alerts(staff)
        done = staff.post(
            f"/api/alerts/{alert['id']}/acknowledge", json={"note": "  Called her back.  "}
        )
        assert done.status_code == 200
        body = done.json()
        assert body["status"] == "acknowledged"
        assert body["acknowledgement_note"] == "Called her back."
        assert body["acknowledged_at"].startswith("2026-03-27T12:00:00")
        # A user without a name is shown by e-mail.
        assert body["acknowledged_by_name"] == "nurse@riverside.example"
        assert open_alerts(staff) == []
        with factory() as session:
            [event] = session.exec(select(AuditEvent).where(AuditEvent.action == ACK)).all()
        assert str(event.patient_id) == alert["patient_id"]
        assert event.detail == {"alert_id": alert["id"], "first": True}

    def test_the_first_acknowledgement_stands(
        self,
        me: TestClient,
        staff: TestClient,
        colleague: TestClient,
        clock: FixedClock,
        factory: sessionmaker[Session],
    ) -> None:
        report(me, signs=["chest_pain_breathless"])
        [alert] = open_alerts(staff)
        path = f"/api/alerts/{alert['id']}/acknowledge"
        first = colleague.post(path, json={"note": "Ambulance called."})
        assert first.json()["acknowledged_by_name"] == "Grace Hopper"
        clock.advance(5 * MINUTE)
        again = staff.post(path, json={"note": "second thoughts"})
        assert again.status_code == 200
        assert again.json() == first.json()  # Grace's note, time and name, unchanged
        assert colleague.post(path, json={"note": "retry"}).json() == first.json()
        with factory() as session:
            query = select(AuditEvent).where(AuditEvent.action == ACK)
            events = session.exec(query.order_by(col(AuditEvent.id))).all()
        assert [e.detail["first"] for e in events] == [True, False, False]

    @pytest.mark.parametrize(
        "body", [{}, {"note": ""}, {"note": "   "}, {"note": "x" * 2001}, {"note": "ok", "x": 1}]
    )
    def test_a_note_is_required_and_limited(
        self, me: TestClient, staff: TestClient, body: dict[str, Any]
    ) -> None:
        report(me, pain=9)
        [alert] = open_alerts(staff)
        response = staff.post(f"/api/alerts/{alert['id']}/acknowledge", json=body)
        assert response.status_code == 422
        assert response.json()["code"] == "invalid_input"
        assert open_alerts(staff)[0]["status"] == "open"

    def test_a_note_of_2000_characters_is_kept_whole(
        self, me: TestClient, staff: TestClient
    ) -> None:
        report(me, pain=9)
        [alert] = open_alerts(staff)
        note = "é" * 2000
        done = staff.post(f"/api/alerts/{alert['id']}/acknowledge", json={"note": note})
        assert done.status_code == 200
        assert done.json()["acknowledgement_note"] == note


class TestIsolation:
    def test_another_clinic_sees_nothing_and_cannot_acknowledge(
        self,
        me: TestClient,
        staff: TestClient,
        factory: sessionmaker[Session],
        clock: FixedClock,
        app: FastAPI,
    ) -> None:
        report(me, signs=["fever"])
        [alert] = staff.get("/api/alerts").json()
        with TestClient(app) as other:
            sign_in_staff(
                other, factory, now=clock.now(), clinic_name="Hill", email="dr@hill.example"
            )
            assert other.get("/api/alerts").json() == []
            theirs = other.post(f"/api/alerts/{alert['id']}/acknowledge", json={"note": "mine"})
            missing = other.post(f"/api/alerts/{uuid.uuid4()}/acknowledge", json={"note": "x"})
        assert theirs.status_code == missing.status_code == 404
        assert theirs.json() == missing.json()  # indistinguishable from a missing alert
        assert staff.get("/api/alerts").json()[0]["status"] == "open"

    def test_alerts_need_staff(self, me: TestClient, staff: TestClient, app: FastAPI) -> None:
        report(me, pain=9)
        [alert] = open_alerts(staff)
        assert me.get("/api/alerts").status_code == 401
        path = f"/api/alerts/{alert['id']}/acknowledge"
        assert me.post(path, json={"note": "I am fine"}).status_code == 401
        with TestClient(app) as stranger:
            assert stranger.get("/api/alerts").status_code == 401
        bad_id = staff.post("/api/alerts/not-an-id/acknowledge", json={"note": "x"})
        assert bad_id.status_code == 422
        assert open_alerts(staff)[0]["status"] == "open"
