"""Enrolled before the treatment (at the consultation): the phone pairs and shows the booked
time and what to prepare; nothing is planned or reminded until staff confirm the treatment done
(with its real time if it moved); a booking past its time shows in the list as needing
attention; every refusal changes nothing."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.clock import FixedClock
from app.notifications.models import OutboxMessage
from app.patients.models import Patient, Treatment
from app.staff.models import AuditEvent
from app.tasks.models import Occurrence
from tests.support.api import log_in, new_patient_body, pair_phone

# Now: 12:00 Fri 27 Mar 2026 (tests/conftest.py). Booked: 10:00 Thu 2 Apr, London (BST).
BOOKED = "2026-04-02T10:00:00+01:00"
ON_THE_DAY = datetime.fromisoformat("2026-04-02T13:00:00+01:00")


def enrol_ahead(staff: TestClient, at: str = BOOKED) -> Any:
    body = new_patient_body(at)
    body["treatment"]["booked"] = True
    return staff.post("/api/patients", json=body)


@pytest.fixture
def ahead(staff: TestClient, phone: TestClient) -> dict[str, Any]:
    answer = enrol_ahead(staff)
    assert answer.status_code == 201, answer.text
    created = answer.json()
    pair_phone(phone, created["enrolment"]["code"])
    [treatment] = staff.get(f"/api/patients/{created['id']}").json()["treatments"]
    return {"id": created["id"], "treatment": treatment["id"]}


def count(factory: sessionmaker[Session], table: type[Any]) -> int:
    with factory() as session:
        return len(session.exec(select(table)).all())


def confirm(staff: TestClient, ahead: dict[str, Any], **body: Any) -> Any:
    return staff.post(
        f"/api/patients/{ahead['id']}/treatments/{ahead['treatment']}/confirm", json=body
    )


def on_the_day(clock: FixedClock, staff: TestClient) -> None:
    clock.set(ON_THE_DAY)
    log_in(staff)  # a new day, a new session


class TestBookedAhead:
    def test_the_phone_shows_the_booked_time_and_what_to_prepare_and_nothing_is_planned(
        self, ahead: dict[str, Any], phone: TestClient, factory: sessionmaker[Session]
    ) -> None:
        me = phone.get("/api/me").json()
        booked = me["booked_treatment"]
        assert booked["local_at"] == "2026-04-02T10:00:00+01:00"
        assert booked["preparation"] and all(
            isinstance(line, str) for line in booked["preparation"]
        )
        assert phone.get("/api/me/tasks", params={"date": "2026-04-02"}).json() == []
        assert count(factory, Occurrence) == 0
        assert count(factory, OutboxMessage) == 0  # no reminder for a treatment not yet done

    def test_the_record_and_the_list_show_it_booked(
        self, ahead: dict[str, Any], staff: TestClient
    ) -> None:
        [treatment] = staff.get(f"/api/patients/{ahead['id']}").json()["treatments"]
        assert treatment["booked"] is True and treatment["confirmed_at"] is None
        [row] = staff.get("/api/patients").json()["items"]
        assert row["booked_treatment_at"].startswith("2026-04-02T09:00:00")
        assert row["treatment_count"] == 0 and row["first_treatment_at"] is None

    def test_confirmed_on_the_day_at_the_real_time_the_plan_starts_from_it(
        self,
        ahead: dict[str, Any],
        staff: TestClient,
        phone: TestClient,
        clock: FixedClock,
        factory: sessionmaker[Session],
    ) -> None:
        on_the_day(clock, staff)
        answer = confirm(staff, ahead, performed_at="2026-04-02T10:40:00+01:00")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["treatment"]["booked"] is False
        assert body["treatment"]["performed_at"].startswith("2026-04-02T09:40:00")
        assert body["tasks_added"] > 0
        assert count(factory, OutboxMessage) > 0  # the reminders, held until now
        assert phone.get("/api/me").json()["booked_treatment"] is None
        keys = {t["key"] for t in phone.get("/api/me/tasks", params={"date": "2026-04-02"}).json()}
        assert any("/t1" in key for key in keys)
        with factory() as session:
            [event] = session.exec(
                select(AuditEvent).where(AuditEvent.action == "treatment.confirm")
            ).all()
        assert event.detail["before"]["performed_at"].startswith("2026-04-02T09:00:00")
        assert event.detail["after"]["performed_at"].startswith("2026-04-02T09:40:00")
        again = confirm(staff, ahead)
        assert again.status_code == 200 and again.json()["changed"] == []

    def test_confirmed_without_a_time_it_keeps_the_booked_one(
        self, ahead: dict[str, Any], staff: TestClient, clock: FixedClock
    ) -> None:
        on_the_day(clock, staff)
        body = confirm(staff, ahead).json()
        assert body["treatment"]["performed_at"].startswith("2026-04-02T09:00:00")

    def test_a_booking_past_its_time_is_flagged_until_confirmed(
        self, ahead: dict[str, Any], staff: TestClient, clock: FixedClock
    ) -> None:
        on_the_day(clock, staff)
        [row] = staff.get("/api/patients").json()["items"]
        assert datetime.fromisoformat(row["booked_treatment_at"]) < clock.now()  # needs attention
        confirm(staff, ahead)
        [row] = staff.get("/api/patients").json()["items"]
        assert row["booked_treatment_at"] is None and row["treatment_count"] == 1

    def test_the_booking_moves_or_is_cancelled(
        self, ahead: dict[str, Any], staff: TestClient, phone: TestClient
    ) -> None:
        path = f"/api/patients/{ahead['id']}/treatments/{ahead['treatment']}"
        moved = staff.patch(
            path, json={"performed_at": "2026-04-03T14:00:00+01:00", "reason": "Rebooked"}
        )
        assert moved.status_code == 200, moved.text
        assert (
            phone.get("/api/me")
            .json()["booked_treatment"]["local_at"]
            .startswith("2026-04-03T14:00")
        )
        cancelled = staff.post(f"{path}/void", json={"reason": "Cancelled by the patient"})
        assert cancelled.status_code == 200, cancelled.text  # the only one, but never planned
        assert phone.get("/api/me").json()["booked_treatment"] is None


class TestRefusals:
    @pytest.mark.parametrize(
        ("at", "code"),
        [
            ("2026-03-27T11:00:00+00:00", "treatment_booked_in_past"),
            ("2027-06-01T10:00:00+01:00", "treatment_booked_too_far"),
        ],
    )
    def test_a_booking_not_ahead_or_too_far_is_refused_and_nothing_is_written(
        self, staff: TestClient, factory: sessionmaker[Session], at: str, code: str
    ) -> None:
        answer = enrol_ahead(staff, at)
        assert (answer.status_code, answer.json()["code"]) == (422, code)
        assert count(factory, Patient) == count(factory, Treatment) == 0

    def test_one_booking_at_a_time(
        self, ahead: dict[str, Any], staff: TestClient, factory: sessionmaker[Session]
    ) -> None:
        answer = staff.post(
            f"/api/patients/{ahead['id']}/treatments",
            json={"performed_at": "2026-04-09T10:00:00+01:00", "booked": True},
        )
        assert (answer.status_code, answer.json()["code"]) == (409, "treatment_already_booked")
        assert "confirm it once done" in answer.json()["detail"]
        assert count(factory, Treatment) == 1

    def test_confirming_before_the_treatment_is_refused(
        self, ahead: dict[str, Any], staff: TestClient, factory: sessionmaker[Session]
    ) -> None:
        answer = confirm(staff, ahead)
        assert (answer.status_code, answer.json()["code"]) == (422, "treatment_in_future")
        assert "once the treatment has been performed" in answer.json()["detail"]
        assert count(factory, Occurrence) == 0

    def test_a_moved_booking_stays_ahead(self, ahead: dict[str, Any], staff: TestClient) -> None:
        path = f"/api/patients/{ahead['id']}/treatments/{ahead['treatment']}"
        answer = staff.patch(
            path, json={"performed_at": "2026-03-27T11:00:00+00:00", "reason": "x"}
        )
        assert (answer.status_code, answer.json()["code"]) == (422, "treatment_booked_in_past")

    def test_a_treatment_done_already_has_nothing_to_confirm(
        self, staff: TestClient, factory: sessionmaker[Session]
    ) -> None:
        created = staff.post("/api/patients", json=new_patient_body()).json()
        [treatment] = staff.get(f"/api/patients/{created['id']}").json()["treatments"]
        answer = confirm(staff, {"id": created["id"], "treatment": treatment["id"]})
        assert (answer.status_code, answer.json()["code"]) == (409, "treatment_not_booked")

    def test_a_cancelled_booking_cannot_be_confirmed(
        self, ahead: dict[str, Any], staff: TestClient, clock: FixedClock
    ) -> None:
        path = f"/api/patients/{ahead['id']}/treatments/{ahead['treatment']}"
        staff.post(f"{path}/void", json={"reason": "Cancelled"})
        on_the_day(clock, staff)
        answer = confirm(staff, ahead)
        assert (answer.status_code, answer.json()["code"]) == (409, "treatment_voided")

    def test_another_clinic_gets_not_found(self, ahead: dict[str, Any], hill: TestClient) -> None:
        assert confirm(hill, ahead).status_code == 404
        assert confirm(hill, {"id": ahead["id"], "treatment": str(uuid.uuid4())}).status_code == 404
