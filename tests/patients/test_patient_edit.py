"""Staff correct a record (PATCH /api/patients/{id}): a typo, a move to New York, stockings now
advised; a preview says what saving would do and saves nothing; bad input changes nothing."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.notifications.models import OutboxMessage
from app.staff.models import AuditEvent
from app.tasks.models import Occurrence
from tests.support.api import enrol, pair_phone

# Ada (tests/conftest.py): treated 10:00 Fri 27 Mar 2026 in London, now 12:00.
NOW = datetime.fromisoformat("2026-03-27T12:00:00+00:00")


@pytest.fixture
def ada(staff: TestClient, phone: TestClient) -> dict[str, Any]:
    """Ada enrolled and paired, with her first task of the day ticked."""
    created = enrol(staff)
    pair_phone(phone, created["enrolment"]["code"])
    today = phone.get("/api/me/tasks", params={"date": "2026-03-27"}).json()
    first = next(t for t in today if t["kind"] == "task" and t["status"] == "pending")
    assert phone.post(f"/api/me/tasks/{first['id']}/complete").status_code == 200
    return {"id": created["id"], "done": first["id"]}


def plan(factory: sessionmaker[Session], patient_id: str) -> dict[str, tuple[datetime, str, str]]:
    """Every occurrence: key -> (due, status, kind)."""
    with factory() as session:
        rows = session.exec(
            select(Occurrence).where(Occurrence.patient_id == uuid.UUID(patient_id))
        ).all()
        return {o.key: (o.due_at, o.status, o.kind) for o in rows}


def outbox(factory: sessionmaker[Session]) -> list[tuple[uuid.UUID | None, datetime]]:
    with factory() as session:
        rows = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
        return [(n.occurrence_id, n.due_at) for n in rows]


def edit(staff: TestClient, patient_id: str, preview: bool = False, **fields: Any) -> Any:
    return staff.patch(
        f"/api/patients/{patient_id}", params={"preview": "true"} if preview else {}, json=fields
    )


def updates(factory: sessionmaker[Session]) -> list[dict[str, Any]]:
    with factory() as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "patient.update"))
        return [e.detail for e in events]


class TestCorrections:
    def test_a_typo_in_the_name_changes_nothing_else(
        self, staff: TestClient, ada: dict[str, Any], factory: sessionmaker[Session]
    ) -> None:
        before = plan(factory, ada["id"])
        answer = edit(staff, ada["id"], name="Ada King-Lovelace")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert (body["changed"], body["tasks_moved"], body["preview"]) == (["name"], 0, False)
        assert body["patient"]["name"] == "Ada King-Lovelace"
        assert staff.get(f"/api/patients/{ada['id']}").json()["name"] == "Ada King-Lovelace"
        assert plan(factory, ada["id"]) == before
        assert updates(factory) == [{"changed": ["name"], "tasks_moved": 0}]  # no names in it

    def test_phone_email_and_notes(self, staff: TestClient, ada: dict[str, Any]) -> None:
        body = edit(
            staff, ada["id"], phone=None, email="Ada@Example.org", notes="Prefers calls after 5."
        ).json()
        patient = body["patient"]
        assert (patient["phone"], patient["email"]) == (None, "ada@example.org")
        assert patient["notes"] == "Prefers calls after 5."
        assert sorted(body["changed"]) == ["email", "notes", "phone"]

    def test_the_same_values_again_change_nothing(
        self, staff: TestClient, ada: dict[str, Any], factory: sessionmaker[Session]
    ) -> None:
        current = staff.get(f"/api/patients/{ada['id']}").json()
        body = edit(staff, ada["id"], name=current["name"], time_zone=current["time_zone"]).json()
        assert body["changed"] == []
        assert updates(factory) == []


class TestAMoveReplans:
    def test_the_preview_counts_what_saving_does_and_saves_nothing(
        self, staff: TestClient, ada: dict[str, Any], factory: sessionmaker[Session]
    ) -> None:
        before, reminders = plan(factory, ada["id"]), outbox(factory)
        preview = edit(staff, ada["id"], preview=True, time_zone="America/New_York")
        assert preview.status_code == 200, preview.text
        previewed = preview.json()
        assert previewed["preview"] is True
        assert previewed["patient"]["time_zone"] == "America/New_York"  # as it would be
        assert previewed["tasks_moved"] > 10
        assert plan(factory, ada["id"]) == before
        assert outbox(factory) == reminders
        assert staff.get(f"/api/patients/{ada['id']}").json()["time_zone"] == "Europe/London"
        assert updates(factory) == []

        saved = edit(staff, ada["id"], time_zone="America/New_York").json()
        assert saved["tasks_moved"] == previewed["tasks_moved"]
        assert updates(factory) == [
            {"changed": ["time_zone"], "tasks_moved": previewed["tasks_moved"]}
        ]

    def test_done_tasks_and_the_past_stay_and_the_future_moves(
        self, staff: TestClient, ada: dict[str, Any], factory: sessionmaker[Session]
    ) -> None:
        before = plan(factory, ada["id"])
        edit(staff, ada["id"], time_zone="America/New_York")
        after = plan(factory, ada["id"])
        # History stays: done tasks, and tasks already due (spans not yet over may move).
        for key, (due, status, kind) in before.items():
            if status == "done" or (kind == "task" and due <= NOW):
                assert after[key] == (due, status, kind), key
        future = [k for k, (due, _, _) in before.items() if due > NOW and k in after]
        assert any(after[k][0] != before[k][0] for k in future)
        stocking = next(k for k in future if k.startswith("remove_stocking"))
        assert after[stocking][0] != before[stocking][0]

    def test_stockings_no_longer_advised_and_then_advised_again(
        self, staff: TestClient, ada: dict[str, Any]
    ) -> None:
        dropped = edit(staff, ada["id"], stockings_advised=False).json()
        assert dropped["tasks_removed"] > 0
        assert dropped["changed"] == ["stockings_advised"]
        again = edit(staff, ada["id"], stockings_advised=True).json()
        assert again["tasks_added"] == dropped["tasks_removed"]


class TestRefusals:
    @pytest.mark.parametrize(
        ("fields", "words"),
        [
            ({"name": None}, "The name cannot be left empty."),
            ({"name": "  "}, "name"),
            ({"time_zone": "Mars/Olympus"}, "time zone"),
            ({"wake_time": "21:00", "bed_time": "22:00"}, "hours after"),
            ({"email": "not an address"}, "e-mail address"),
            ({"notes": "x" * 2001}, "2000"),
            ({"stockings": True}, "stockings"),  # a misspelt field
        ],
    )
    def test_bad_input_is_refused_and_changes_nothing(
        self,
        staff: TestClient,
        ada: dict[str, Any],
        factory: sessionmaker[Session],
        fields: dict[str, Any],
        words: str,
    ) -> None:
        before = staff.get(f"/api/patients/{ada['id']}").json()
        answer = edit(staff, ada["id"], **fields)
        assert (answer.status_code, answer.json()["code"]) == (422, "invalid_input")
        assert words.lower() in answer.json()["detail"].lower()
        assert staff.get(f"/api/patients/{ada['id']}").json() == before
        assert updates(factory) == []

    def test_another_clinics_patient_is_not_found(
        self, hill: TestClient, ada: dict[str, Any]
    ) -> None:
        answer = hill.patch(f"/api/patients/{ada['id']}", json={"name": "Someone Else"})
        assert answer.status_code == 404
