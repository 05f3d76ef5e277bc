"""Visits are provisional until the clinic books them: a target day, no time, no reminder."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.clock import FixedClock
from app.notifications.models import OutboxKind, OutboxMessage, OutboxStatus
from app.tasks.models import Occurrence
from tests.support.api import enrol, log_in, pair_phone

# Treated 10:00 GMT Fri 27 Mar 2026 in London (the clinic's zone too): visits on day 14 and
# day 56 at 10:00 on the clinic's clock, which is BST by then (09:00 UTC).
FIRST_VISIT = datetime(2026, 4, 10, 9, 0, tzinfo=UTC)
SECOND_VISIT = datetime(2026, 5, 22, 9, 0, tzinfo=UTC)
BOOKED = "2026-04-13T14:30:00+01:00"
BOOKED_AT = datetime(2026, 4, 13, 13, 30, tzinfo=UTC)


def stored(factory: sessionmaker[Session], patient_id: str, key: str) -> Occurrence:
    with factory() as session:
        return session.exec(
            select(Occurrence).where(
                Occurrence.patient_id == uuid.UUID(patient_id), Occurrence.key == key
            )
        ).one()


def reminders(factory: sessionmaker[Session], occurrence: Occurrence) -> list[OutboxMessage]:
    with factory() as session:
        return list(
            session.exec(
                select(OutboxMessage).where(
                    OutboxMessage.occurrence_id == occurrence.id,
                    OutboxMessage.kind == OutboxKind.REMINDER,
                )
            ).all()
        )


def appointment(client: TestClient, path: str, key: str) -> dict[str, Any]:
    found: dict[str, Any] = next(a for a in client.get(path).json() if a["key"] == key)
    return found


class TestUnbooked:
    def test_an_unbooked_visit_is_tentative_everywhere_and_has_no_reminder(
        self, staff: TestClient, phone: TestClient, factory: sessionmaker[Session]
    ) -> None:
        created = enrol(staff)
        pair_phone(phone, created["enrolment"]["code"])
        listed = staff.get(f"/api/patients/{created['id']}/appointments").json()
        assert [(a["key"], a["tentative"], a["booked"]) for a in listed] == [
            ("follow_up/1", True, False),
            ("follow_up/2", True, False),
        ]
        assert datetime.fromisoformat(listed[0]["due_at"]) == FIRST_VISIT
        profile = phone.get("/api/me").json()
        assert [a["tentative"] for a in profile["appointments"]] == [True, True]
        day = phone.get("/api/me/tasks", params={"date": "2026-04-10"}).json()
        [visit] = [o for o in day if o["kind"] == "appointment"]
        assert (visit["key"], visit["tentative"], visit["notifies"]) == ("follow_up/1", True, False)
        occurrence = stored(factory, created["id"], "follow_up/1")
        assert (occurrence.tentative, occurrence.notifies, occurrence.remind_at) == (
            True,
            False,
            None,
        )
        assert reminders(factory, occurrence) == []

    def test_booking_makes_it_firm_with_a_reminder_and_unbooking_cancels_that_reminder(
        self, staff: TestClient, factory: sessionmaker[Session]
    ) -> None:
        created = enrol(staff)
        path = f"/api/patients/{created['id']}/appointments/follow_up/1"
        booked = staff.put(path, json={"booked_at": BOOKED}).json()
        assert (booked["tentative"], booked["booked"]) == (False, True)
        occurrence = stored(factory, created["id"], "follow_up/1")
        assert (occurrence.tentative, occurrence.notifies) == (False, True)
        [reminder] = reminders(factory, occurrence)
        assert (reminder.status, reminder.due_at) == (
            OutboxStatus.PENDING,
            BOOKED_AT - timedelta(hours=24),
        )
        assert staff.delete(path).status_code == 204
        occurrence = stored(factory, created["id"], "follow_up/1")
        assert (occurrence.tentative, occurrence.notifies, occurrence.due_at) == (
            True,
            False,
            FIRST_VISIT,
        )
        [cancelled] = reminders(factory, occurrence)
        assert (cancelled.id, cancelled.status) == (reminder.id, OutboxStatus.CANCELLED)
        # Booked again: the same row goes out for the new time.
        staff.put(path, json={"booked_at": "2026-04-14T11:00:00+01:00"})
        [again] = reminders(factory, stored(factory, created["id"], "follow_up/1"))
        assert (again.id, again.status) == (reminder.id, OutboxStatus.PENDING)
        assert again.due_at == datetime(2026, 4, 13, 10, 0, tzinfo=UTC)


class TestCalendar:
    def test_the_calendar_file_holds_booked_visits_only(
        self, staff: TestClient, phone: TestClient
    ) -> None:
        created = enrol(staff)
        pair_phone(phone, created["enrolment"]["code"])
        assert "BEGIN:VEVENT" not in phone.get("/api/me/calendar.ics").text
        staff.put(
            f"/api/patients/{created['id']}/appointments/follow_up/2",
            json={"booked_at": "2026-05-21T15:00:00+01:00"},
        )
        body = phone.get("/api/me/calendar.ics").text
        assert body.count("BEGIN:VEVENT") == 1
        assert "DTSTART:20260521T140000Z" in body
        assert "DTSTART:20260410" not in body  # the tentative first visit


class TestTravel:
    def test_visits_keep_their_instants_when_the_patient_changes_time_zone(
        self, staff: TestClient, phone: TestClient, factory: sessionmaker[Session]
    ) -> None:
        created = enrol(staff)
        pair_phone(phone, created["enrolment"]["code"])
        staff.put(
            f"/api/patients/{created['id']}/appointments/follow_up/1", json={"booked_at": BOOKED}
        )
        changed = phone.patch("/api/me/preferences", json={"time_zone": "America/New_York"})
        assert changed.status_code == 200, changed.text
        first = stored(factory, created["id"], "follow_up/1")
        second = stored(factory, created["id"], "follow_up/2")
        assert (first.due_at, first.tentative) == (BOOKED_AT, False)
        assert (second.due_at, second.tentative) == (SECOND_VISIT, True)
        shown = {a["key"]: a["local_due"] for a in phone.get("/api/me").json()["appointments"]}
        assert shown["follow_up/1"] == "2026-04-13T09:30:00-04:00"  # the same instant


class TestToBook:
    def test_the_clinics_unbooked_visits_in_the_next_weeks_soonest_first(
        self, staff: TestClient, hill: TestClient
    ) -> None:
        ada = enrol(staff)
        # Treated on Saturday 21 March: day 14 is Saturday 4 April, when the clinic is shut.
        bea = enrol(staff, name="Bea Brown", performed_at="2026-03-21T10:00:00+00:00")
        booked = enrol(staff, name="Cy Booked")
        staff.put(
            f"/api/patients/{booked['id']}/appointments/follow_up/1", json={"booked_at": BOOKED}
        )
        enrol(hill, name="Hill Patient")
        response = staff.get("/api/visits/to-book")
        assert response.status_code == 200, response.text
        rows = [
            (r["patient_name"], r["key"], r["target_day"], r["suggested_at"])
            for r in response.json()
        ]
        assert rows == [
            # 10:00 on a Saturday: offered at Monday's opening, 08:00 BST.
            ("Bea Brown", "follow_up/1", "2026-04-04", "2026-04-06T08:00:00+01:00"),
            # 10:00 on a Friday: the clinic is open, so that time.
            ("Ada Lovelace", "follow_up/1", "2026-04-10", "2026-04-10T10:00:00+01:00"),
        ]
        first = response.json()[0]
        assert first["patient_id"] == bea["id"] and first["title"]
        assert datetime.fromisoformat(response.json()[1]["due_at"]) == FIRST_VISIT
        later = staff.get("/api/visits/to-book", params={"days": 60}).json()
        assert [(r["patient_name"], r["key"]) for r in later][-1] == ("Cy Booked", "follow_up/2")
        assert ("Ada Lovelace", "follow_up/2") in [(r["patient_name"], r["key"]) for r in later]
        assert ada["id"] in {r["patient_id"] for r in later}

    def test_a_visit_past_is_no_longer_listed(self, staff: TestClient, clock: FixedClock) -> None:
        enrol(staff)
        clock.advance(timedelta(days=14))  # 12:00 UTC on 10 April: the 09:00 visit is over
        log_in(staff)
        assert staff.get("/api/visits/to-book").json() == []

    @pytest.mark.parametrize("days", ["0", "121", "soon"])
    def test_a_bad_horizon_is_refused(self, staff: TestClient, days: str) -> None:
        response = staff.get("/api/visits/to-book", params={"days": days})
        assert (response.status_code, response.json()["code"]) == (422, "invalid_input")

    def test_staff_only(self, client: TestClient) -> None:
        assert client.get("/api/visits/to-book").status_code == 401


class TestNewCourse:
    def test_a_second_courses_visits_can_be_booked(
        self, staff: TestClient, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        created = enrol(staff)
        clock.advance(timedelta(days=57))  # after the final review (day 56): a new course
        log_in(staff)
        treated = staff.post(
            f"/api/patients/{created['id']}/treatments",
            json={"performed_at": clock.now().isoformat(), "method": "laser"},
        )
        assert treated.status_code == 201, treated.text
        listed = staff.get(f"/api/patients/{created['id']}/appointments").json()
        second_course = [a for a in listed if a["key"].startswith("follow_up/c2/")]
        assert second_course and all(a["tentative"] and a["title"] for a in second_course)
        key = second_course[0]["key"]
        # The second course began on a Saturday: its check-up is booked for the Monday after.
        due = datetime.fromisoformat(second_course[0]["due_at"])
        response = staff.put(
            f"/api/patients/{created['id']}/appointments/{key}",
            json={"booked_at": (due + timedelta(days=2, hours=2)).isoformat()},
        )
        assert response.status_code == 200, response.text
        assert (response.json()["key"], response.json()["tentative"]) == (key, False)
        occurrence = stored(factory, created["id"], key)
        assert [r.status for r in reminders(factory, occurrence)] == [OutboxStatus.PENDING]
        tasks = staff.get(
            f"/api/patients/{created['id']}/tasks", params={"from": "2026-05-23"}
        ).json()
        assert key in {o["key"] for o in tasks if o["kind"] == "appointment"}
