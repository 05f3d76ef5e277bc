"""The patient's record as a JSON download: complete, this patient's only, without secrets."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.clock import FixedClock
from app.enrolment.models import DeviceSession, EnrolmentLink
from app.staff.models import AuditEvent
from tests.support.api import enrol, pair_phone, subscribe_push


@pytest.fixture
def full_record(
    staff: TestClient, phone: TestClient, clock: FixedClock, app: Any
) -> dict[str, Any]:
    """A patient with a phone, push, an urgent report, a booking and a fresh link."""
    created = enrol(staff, name="Ada Exported")
    pair_phone(phone, created["enrolment"]["code"])
    push = subscribe_push(phone)
    clock.advance(timedelta(minutes=5))
    reported = phone.post(
        "/api/me/reports",
        json={"client_id": str(uuid.uuid4()), "pain": 8, "signs": [], "note": "throbbing"},
    )
    assert reported.status_code == 201
    base = f"/api/patients/{created['id']}"
    staff.put(f"{base}/appointments/follow_up/1", json={"booked_at": "2026-04-13T14:30:00+01:00"})
    link = staff.post(f"{base}/enrolment").json()
    with TestClient(app) as other_phone:  # another patient: nothing of theirs may leak
        pair_phone(other_phone, enrol(staff, name="Bea Bystander")["enrolment"]["code"])
        subscribe_push(other_phone)
    return {"id": created["id"], "push": push, "link": link}


def export(staff: TestClient, patient_id: str) -> tuple[Any, dict[str, Any]]:
    response = staff.get(f"/api/patients/{patient_id}/export")
    assert response.status_code == 200, response.text
    document: dict[str, Any] = json.loads(response.content)
    return response, document


class TestExport:
    def test_is_a_json_download_that_is_not_cached(
        self, staff: TestClient, full_record: dict[str, Any]
    ) -> None:
        response, _ = export(staff, full_record["id"])
        assert response.headers["content-type"] == "application/json"
        assert response.headers["content-disposition"] == (
            f'attachment; filename="patient-{full_record["id"]}.json"'
        )
        assert response.headers["cache-control"] == "no-store"

    def test_holds_the_whole_record(self, staff: TestClient, full_record: dict[str, Any]) -> None:
        _, document = export(staff, full_record["id"])
        assert (document["format"], document["version"]) == ("aftercare.patient-export", 1)
        assert document["exported_at"].startswith("2026-03-27T12:05:00")
        assert document["patient"]["id"] == full_record["id"]
        assert document["patient"]["name"] == "Ada Exported"
        assert document["patient"]["phone"] == "+44 7700 900123"
        assert document["patient"]["doppler_checked_at"].startswith("2026-03-27T12:00:00")
        assert [t["method"] for t in document["treatments"]] == ["sclerotherapy"]
        occurrences = document["occurrences"]
        tasks = staff.get(f"/api/patients/{full_record['id']}/tasks").json()
        assert {o["id"] for o in occurrences} >= {t["id"] for t in tasks}
        assert all(o["status"] in {"pending", "done", "missed", "ended"} for o in occurrences)
        (report,) = document["reports"]
        assert (report["pain"], report["note"], report["level"]) == (8, "throbbing", "urgent")
        assert report["reasons"]
        (alert,) = document["alerts"]
        assert (alert["report_id"], alert["status"]) == (report["id"], "open")
        booked = {a["key"]: a for a in document["appointments"]}
        assert booked["follow_up/1"]["booked"] is True
        assert booked["follow_up/1"]["local_due"] == "2026-04-13T14:30:00+01:00"
        assert booked["follow_up/2"]["booked"] is False
        assert [b["key"] for b in document["appointment_bookings"]] == ["follow_up/1"]
        kinds = {n["kind"] for n in document["notifications"]}
        assert {"reminder", "alert"} <= kinds
        assert [link["state"] for link in document["enrolment_links"]] == ["used", "active"]
        (device,) = document["devices"]
        assert device["label"] == "testclient"
        (subscription,) = document["push_subscriptions"]
        assert subscription["device_id"] == device["id"]
        assert subscription["endpoint_origin"] == "https://push.example.net"
        actions = [e["action"] for e in document["audit_events"]]
        assert actions[0] == "patient.create"
        assert actions[-1] == "patient.export"  # the file's own making is on its trail

    def test_leaves_out_secrets(
        self, staff: TestClient, full_record: dict[str, Any], factory: sessionmaker[Session]
    ) -> None:
        response, _ = export(staff, full_record["id"])
        text = response.text
        with factory() as session:
            token_hashes = session.exec(select(DeviceSession.token_hash)).all()
            code_hashes = session.exec(select(EnrolmentLink.code_hash)).all()
        push = full_record["push"]
        secrets = [
            *token_hashes,
            *code_hashes,
            full_record["link"]["code"],
            push["endpoint"],
            push["keys"]["p256dh"],
            push["keys"]["auth"],
        ]
        for secret in secrets:
            assert secret not in text
        for field in ("token_hash", "code_hash", "p256dh", "auth", "endpoint", "ip"):
            assert f'"{field}"' not in text

    def test_holds_nothing_of_another_patient(
        self, staff: TestClient, full_record: dict[str, Any]
    ) -> None:
        response, document = export(staff, full_record["id"])
        assert "Bea Bystander" not in response.text
        patient_ids = {
            row["patient_id"]
            for section in ("treatments", "occurrences", "reports", "alerts")
            for row in document[section]
        }
        assert patient_ids == {full_record["id"]}

    def test_is_audited(
        self, staff: TestClient, full_record: dict[str, Any], factory: sessionmaker[Session]
    ) -> None:
        export(staff, full_record["id"])
        with factory() as session:
            event = session.exec(
                select(AuditEvent).where(AuditEvent.action == "patient.export")
            ).one()
        assert event.patient_id == uuid.UUID(full_record["id"])
