"""Booking planned visits: the occurrence moves and gets its reminder; unbooked, it goes back
to the protocol's time, tentative, and its reminder is cancelled."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.clock import FixedClock
from app.notifications.models import VISIT_NOTICES, OutboxKind, OutboxMessage
from app.patients.models import AppointmentBooking
from app.staff.models import AuditEvent
from app.tasks.models import Occurrence
from tests.support.api import enrol, log_in, pair_phone

# Treated 10:00 GMT on Fri 27 Mar 2026; the clocks go forward on Sun 29 Mar, so the visits
# on day 14 and day 56 are at 10:00 BST, which is 09:00 UTC.
FIRST_VISIT = datetime(2026, 4, 10, 9, 0, tzinfo=UTC)
SECOND_VISIT = datetime(2026, 5, 22, 9, 0, tzinfo=UTC)
REMINDER_LEAD = timedelta(hours=24)


def visit(factory: sessionmaker[Session], patient_id: str, key: str) -> tuple[Occurrence, Any]:
    """The visit's occurrence and its reminder row in the outbox (None if it has none: a
    visit not booked yet is tentative and gets no reminder)."""
    with factory() as session:
        occurrence = session.exec(
            select(Occurrence).where(
                Occurrence.patient_id == uuid.UUID(patient_id), Occurrence.key == key
            )
        ).one()
        reminders = session.exec(
            select(OutboxMessage).where(
                OutboxMessage.occurrence_id == occurrence.id,
                OutboxMessage.kind == OutboxKind.REMINDER,
            )
        ).all()
    assert len(reminders) <= 1
    return occurrence, reminders[0] if reminders else None


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


class TestList:
    def test_lists_the_visits_with_computed_times_across_the_clock_change(
        self, staff: TestClient
    ) -> None:
        created = enrol(staff)
        listed = staff.get(f"/api/patients/{created['id']}/appointments").json()
        assert [a["key"] for a in listed] == ["follow_up/1", "follow_up/2"]
        first = listed[0]
        assert at(first["due_at"]) == at(first["computed_at"]) == FIRST_VISIT
        assert first["local_due"] == "2026-04-10T10:00:00+01:00"
        assert first["booked"] is False
        assert first["title"]
        assert at(listed[1]["due_at"]) == SECOND_VISIT


class TestBook:
    def test_the_visit_and_its_reminder_move(
        self, staff: TestClient, phone: TestClient, factory: sessionmaker[Session]
    ) -> None:
        created = enrol(staff)
        pair_phone(phone, created["enrolment"]["code"])
        before, reminder_before = visit(factory, created["id"], "follow_up/1")
        assert (before.tentative, reminder_before) == (True, None)
        response = staff.put(
            f"/api/patients/{created['id']}/appointments/follow_up/1",
            json={"booked_at": "2026-04-13T14:30:00+01:00"},
        )
        assert response.status_code == 200, response.text
        booked = response.json()
        new_time = datetime(2026, 4, 13, 13, 30, tzinfo=UTC)
        assert at(booked["due_at"]) == new_time
        assert at(booked["computed_at"]) == FIRST_VISIT
        assert booked["local_due"] == "2026-04-13T14:30:00+01:00"
        assert booked["booked"] is True
        after, reminder_after = visit(factory, created["id"], "follow_up/1")
        assert after.id == before.id  # moved, not replaced
        assert (after.due_at, after.remind_at) == (new_time, new_time - REMINDER_LEAD)
        assert after.tentative is False
        assert reminder_after.status == "pending"
        assert reminder_after.due_at == reminder_after.next_attempt_at == new_time - REMINDER_LEAD
        assert reminder_after.expires_at == after.window_end
        # The other visit stays where the protocol puts it, and the phone sees the new time.
        second, second_reminder = visit(factory, created["id"], "follow_up/2")
        assert (second.due_at, second.tentative, second_reminder) == (SECOND_VISIT, True, None)
        shown = {a["key"]: a["local_due"] for a in phone.get("/api/me").json()["appointments"]}
        assert shown["follow_up/1"] == "2026-04-13T14:30:00+01:00"

    def test_a_booking_on_the_day_the_clocks_change_keeps_its_wall_time(
        self, staff: TestClient, factory: sessionmaker[Session]
    ) -> None:
        created = enrol(staff)
        # 10:00 on Sunday 29 March, an hour after the clocks went forward: 09:00 UTC. The
        # clinic is closed on Sundays: booked anyway.
        booked = staff.put(
            f"/api/patients/{created['id']}/appointments/follow_up/1",
            json={"booked_at": "2026-03-29T10:00:00+01:00", "book_anyway": True},
        ).json()
        assert at(booked["due_at"]) == datetime(2026, 3, 29, 9, 0, tzinfo=UTC)
        assert booked["local_due"] == "2026-03-29T10:00:00+01:00"
        _, reminder = visit(factory, created["id"], "follow_up/1")
        # 24 hours before is 09:00 GMT on Saturday, before the change.
        assert reminder.due_at == datetime(2026, 3, 28, 9, 0, tzinfo=UTC)
        # The same instant written in UTC is the same booking.
        again = staff.put(
            f"/api/patients/{created['id']}/appointments/follow_up/1",
            json={"booked_at": "2026-03-29T09:00:00Z", "book_anyway": True},
        ).json()
        assert again["local_due"] == "2026-03-29T10:00:00+01:00"

    def test_booking_again_moves_it_again_and_keeps_one_booking(
        self, staff: TestClient, factory: sessionmaker[Session]
    ) -> None:
        created = enrol(staff)
        path = f"/api/patients/{created['id']}/appointments/follow_up/2"
        staff.put(path, json={"booked_at": "2026-05-20T09:00:00+01:00"})
        staff.put(path, json={"booked_at": "2026-05-27T16:00:00+01:00"})
        occurrence, reminder = visit(factory, created["id"], "follow_up/2")
        assert occurrence.due_at == datetime(2026, 5, 27, 15, 0, tzinfo=UTC)
        assert reminder.due_at == datetime(2026, 5, 26, 15, 0, tzinfo=UTC)
        with factory() as session:
            bookings = session.exec(select(AppointmentBooking)).all()
            assert [(b.key, b.booked_at) for b in bookings] == [
                ("follow_up/2", datetime(2026, 5, 27, 15, 0, tzinfo=UTC))
            ]
            assert bookings[0].booked_by is not None
            details = session.exec(
                select(AuditEvent.detail)
                .where(AuditEvent.action == "appointment.book")
                .order_by(col(AuditEvent.id))
            ).all()
        # Before and after, each time: the first booking moved the planned visit, the second
        # moved the booking; neither went past a warning.
        assert details == [
            {
                "key": "follow_up/2",
                "booked_at": "2026-05-20T09:00:00+01:00",
                "before": {"due_at": "2026-05-22T09:00:00+00:00", "booked_at": None},
                "after": {"due_at": "2026-05-20T08:00:00+00:00"},
                "notified": True,
                "book_anyway": False,
                "overridden": [],
            },
            {
                "key": "follow_up/2",
                "booked_at": "2026-05-27T16:00:00+01:00",
                "before": {
                    "due_at": "2026-05-20T08:00:00+00:00",
                    "booked_at": "2026-05-20T08:00:00+00:00",
                },
                "after": {"due_at": "2026-05-27T15:00:00+00:00"},
                "notified": True,
                "book_anyway": False,
                "overridden": [],
            },
        ]

    @pytest.mark.parametrize(
        ("booked_at", "status", "code"),
        [
            ("2026-03-27T11:59:00+00:00", 422, "booking_in_past"),
            ("2026-03-27T12:00:00+00:00", 422, "booking_in_past"),
            ("2026-03-20T10:00:00+00:00", 422, "booking_in_past"),
            ("2027-03-28T12:00:00+00:00", 422, "booking_too_far"),
            ("2026-04-13T14:30:00", 422, "invalid_input"),  # no offset: which 14:30?
            ("next tuesday", 422, "invalid_input"),
        ],
    )
    def test_bad_times_are_refused_and_nothing_moves(
        self,
        staff: TestClient,
        factory: sessionmaker[Session],
        booked_at: str,
        status: int,
        code: str,
    ) -> None:
        created = enrol(staff)
        response = staff.put(
            f"/api/patients/{created['id']}/appointments/follow_up/1",
            json={"booked_at": booked_at},
        )
        assert (response.status_code, response.json()["code"]) == (status, code)
        occurrence, reminder = visit(factory, created["id"], "follow_up/1")
        assert (occurrence.due_at, occurrence.tentative, reminder) == (FIRST_VISIT, True, None)
        with factory() as session:
            assert session.exec(select(AppointmentBooking)).all() == []

    @pytest.mark.parametrize("key", ["follow_up/3", "follow_up", "keep_dry/0", "nothing"])
    def test_an_unknown_visit_is_not_found(self, staff: TestClient, key: str) -> None:
        created = enrol(staff)
        response = staff.put(
            f"/api/patients/{created['id']}/appointments/{key}",
            json={"booked_at": "2026-04-13T14:30:00+01:00"},
        )
        assert (response.status_code, response.json()["code"]) == (404, "appointment_unknown")

    def test_a_task_is_not_a_visit(self, staff: TestClient, factory: sessionmaker[Session]) -> None:
        created = enrol(staff)
        with factory() as session:
            task_key = session.exec(
                select(Occurrence.key).where(Occurrence.kind == "task").limit(1)
            ).one()
        response = staff.put(
            f"/api/patients/{created['id']}/appointments/{task_key}",
            json={"booked_at": "2026-04-13T14:30:00+01:00"},
        )
        assert (response.status_code, response.json()["code"]) == (404, "appointment_unknown")

    def test_extra_fields_are_refused(self, staff: TestClient) -> None:
        created = enrol(staff)
        response = staff.put(
            f"/api/patients/{created['id']}/appointments/follow_up/1",
            json={"booked_at": "2026-04-13T14:30:00+01:00", "booked_by": str(uuid.uuid4())},
        )
        assert response.status_code == 422

    def test_a_visit_already_past_cannot_be_moved(
        self, staff: TestClient, clock: FixedClock
    ) -> None:
        created = enrol(staff)
        clock.advance(timedelta(days=14))  # 12:00 UTC on 10 April: the 09:00 visit is over
        log_in(staff)
        response = staff.put(
            f"/api/patients/{created['id']}/appointments/follow_up/1",
            json={"booked_at": "2026-04-14T10:00:00+01:00"},
        )
        assert (response.status_code, response.json()["code"]) == (409, "appointment_past")
        later = staff.put(
            f"/api/patients/{created['id']}/appointments/follow_up/2",
            json={"booked_at": "2026-05-21T10:00:00+01:00"},
        )
        assert later.status_code == 200

    def test_another_patients_visit_is_untouched(
        self, staff: TestClient, factory: sessionmaker[Session]
    ) -> None:
        first = enrol(staff)
        second = enrol(staff, name="Second Patient")
        staff.put(
            f"/api/patients/{first['id']}/appointments/follow_up/1",
            json={"booked_at": "2026-04-13T14:30:00+01:00"},
        )
        occurrence, reminder = visit(factory, second["id"], "follow_up/1")
        assert (occurrence.due_at, occurrence.tentative, reminder) == (FIRST_VISIT, True, None)
        listed = staff.get(f"/api/patients/{second['id']}/appointments").json()
        assert [a["booked"] for a in listed] == [False, False]


def nothing_changed(factory: sessionmaker[Session], patient_id: str) -> None:
    """No booking, the check-up tentative at its planned time, nothing queued, nothing audited."""
    occurrence, reminder = visit(factory, patient_id, "follow_up/1")
    assert (occurrence.due_at, occurrence.tentative, reminder) == (FIRST_VISIT, True, None)
    with factory() as session:
        assert session.exec(select(AppointmentBooking)).all() == []
        assert (
            session.exec(
                select(OutboxMessage).where(col(OutboxMessage.kind).in_(VISIT_NOTICES))
            ).all()
            == []
        )
        assert (
            session.exec(select(AuditEvent).where(AuditEvent.action == "appointment.book")).all()
            == []
        )


class TestSafeTimes:
    """Closed, in the patient's night: refused until "book anyway". Out of order: refused."""

    @pytest.mark.parametrize(
        ("booked_at", "code", "sentence"),
        [
            ("2026-04-12T15:00:00+01:00", "booking_outside_hours",
             "Riverside Vein Clinic is closed on Sundays."),
            ("2026-04-13T18:30:00+01:00", "booking_outside_hours",
             "Riverside Vein Clinic is open 08:00 to 18:00 on Mondays; "
             "18:30 is outside those hours."),
            # 07:00 in New York is 12:00 in London: the clinic is open, the patient asleep.
            ("2026-04-13T12:00:00+01:00", "booking_in_patients_night",
             "That is 07:00 for the patient (America/New_York), in their night: "
             "they sleep from 22:00 to 07:30."),
            ("2026-04-12T04:00:00+01:00", "booking_outside_hours",
             "Riverside Vein Clinic is closed on Sundays. That is 23:00 for the patient "
             "(America/New_York), in their night: they sleep from 22:00 to 07:30."),
        ],
    )  # fmt: skip
    def test_a_warning_changes_nothing_until_booked_anyway(
        self,
        staff: TestClient,
        factory: sessionmaker[Session],
        booked_at: str,
        code: str,
        sentence: str,
    ) -> None:
        created = enrol(staff, time_zone="America/New_York")
        path = f"/api/patients/{created['id']}/appointments/follow_up/1"
        refused = staff.put(path, json={"booked_at": booked_at})
        assert refused.status_code == 409
        assert refused.json() == {"code": code, "detail": sentence}
        nothing_changed(factory, created["id"])
        booked = staff.put(path, json={"booked_at": booked_at, "book_anyway": True})
        assert booked.status_code == 200, booked.text
        assert at(booked.json()["due_at"]) == at(booked_at)
        with factory() as session:
            [detail] = session.exec(
                select(AuditEvent.detail).where(AuditEvent.action == "appointment.book")
            ).all()
        assert detail["book_anyway"] is True
        assert detail["overridden"][0] == code
        assert detail["before"] == {"due_at": FIRST_VISIT.isoformat(), "booked_at": None}

    def test_book_anyway_with_nothing_to_override_overrides_nothing(
        self, staff: TestClient, factory: sessionmaker[Session]
    ) -> None:
        created = enrol(staff)
        booked = staff.put(
            f"/api/patients/{created['id']}/appointments/follow_up/1",
            json={"booked_at": "2026-04-13T14:30:00+01:00", "book_anyway": True},
        )
        assert booked.status_code == 200
        with factory() as session:
            [detail] = session.exec(
                select(AuditEvent.detail).where(AuditEvent.action == "appointment.book")
            ).all()
        assert (detail["book_anyway"], detail["overridden"]) == (True, [])

    @pytest.mark.parametrize("book_anyway", [False, True])
    def test_a_final_review_at_or_before_its_check_up_is_refused_outright(
        self, staff: TestClient, factory: sessionmaker[Session], book_anyway: bool
    ) -> None:
        created = enrol(staff)
        base = f"/api/patients/{created['id']}/appointments"
        for key, booked_at in (
            ("follow_up/2", "2026-04-10T10:00:00+01:00"),  # the check-up's own time
            ("follow_up/2", "2026-04-09T10:00:00+01:00"),
            ("follow_up/1", "2026-05-22T10:00:00+01:00"),  # the final review's time
        ):
            response = staff.put(
                f"{base}/{key}", json={"booked_at": booked_at, "book_anyway": book_anyway}
            )
            assert (response.status_code, response.json()["code"]) == (409, "booking_out_of_order")
            assert "Fri 10 Apr at 10:00" in response.json()["detail"] or (
                "Fri 22 May at 10:00" in response.json()["detail"]
            )
        nothing_changed(factory, created["id"])
        second, _ = visit(factory, created["id"], "follow_up/2")
        assert (second.due_at, second.tentative) == (SECOND_VISIT, True)

    def test_the_order_follows_a_booked_check_up(self, staff: TestClient) -> None:
        created = enrol(staff)
        base = f"/api/patients/{created['id']}/appointments"
        staff.put(f"{base}/follow_up/1", json={"booked_at": "2026-04-13T14:30:00+01:00"})
        late = staff.put(f"{base}/follow_up/2", json={"booked_at": "2026-04-13T14:00:00+01:00"})
        assert late.json() == {
            "code": "booking_out_of_order",
            "detail": "“Final review” must come after “Check-up and possible top-up treatment” "
            "(Mon 13 Apr at 14:30): book it later, or move “Check-up and possible top-up "
            "treatment” first.",
        }
        fine = staff.put(f"{base}/follow_up/2", json={"booked_at": "2026-04-14T09:00:00+01:00"})
        assert fine.status_code == 200

    @pytest.mark.parametrize("value", ["yes", 1, "true", None])
    def test_book_anyway_is_a_plain_flag(self, staff: TestClient, value: object) -> None:
        created = enrol(staff)
        response = staff.put(
            f"/api/patients/{created['id']}/appointments/follow_up/1",
            json={"booked_at": "2026-04-12T10:00:00+01:00", "book_anyway": value},
        )
        assert (response.status_code, response.json()["code"]) == (422, "invalid_input")


class TestUnbook:
    def test_the_visit_goes_back_to_the_computed_time_and_its_reminder_is_cancelled(
        self, staff: TestClient, factory: sessionmaker[Session]
    ) -> None:
        created = enrol(staff)
        path = f"/api/patients/{created['id']}/appointments/follow_up/1"
        staff.put(path, json={"booked_at": "2026-04-13T14:30:00+01:00"})
        _, booked_reminder = visit(factory, created["id"], "follow_up/1")
        response = staff.delete(path)
        assert response.status_code == 204
        occurrence, reminder = visit(factory, created["id"], "follow_up/1")
        assert (occurrence.due_at, occurrence.tentative) == (FIRST_VISIT, True)
        assert (reminder.id, reminder.status) == (booked_reminder.id, "cancelled")
        listed = staff.get(f"/api/patients/{created['id']}/appointments").json()
        assert (listed[0]["booked"], at(listed[0]["due_at"])) == (False, FIRST_VISIT)
        with factory() as session:
            assert session.exec(select(AppointmentBooking)).all() == []
            [detail] = session.exec(
                select(AuditEvent.detail).where(AuditEvent.action == "appointment.unbook")
            ).all()
        assert detail == {
            "key": "follow_up/1",
            "before": {
                "due_at": "2026-04-13T13:30:00+00:00",
                "booked_at": "2026-04-13T13:30:00+00:00",
            },
            "after": {"due_at": FIRST_VISIT.isoformat()},
            "notified": False,  # the booking was never heard of: nothing to take back
        }

    def test_a_visit_without_a_booking_is_not_found(self, staff: TestClient) -> None:
        created = enrol(staff)
        response = staff.delete(f"/api/patients/{created['id']}/appointments/follow_up/1")
        assert (response.status_code, response.json()["code"]) == (404, "booking_unknown")
        unknown = staff.delete(f"/api/patients/{created['id']}/appointments/nothing/9")
        assert unknown.status_code == 404

    def test_a_booked_visit_already_past_stays(
        self, staff: TestClient, clock: FixedClock, factory: sessionmaker[Session]
    ) -> None:
        created = enrol(staff)
        path = f"/api/patients/{created['id']}/appointments/follow_up/1"
        staff.put(path, json={"booked_at": "2026-03-30T10:00:00+01:00"})
        clock.advance(timedelta(days=3))
        log_in(staff)
        response = staff.delete(path)
        assert (response.status_code, response.json()["code"]) == (409, "appointment_past")
        occurrence, _ = visit(factory, created["id"], "follow_up/1")
        assert occurrence.due_at == datetime(2026, 3, 30, 9, 0, tzinfo=UTC)
