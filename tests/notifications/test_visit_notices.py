"""Telling the patient that a visit was booked, moved or is no longer booked: one push now,
held through their night, the words built from the visit as it is when the push goes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.appointments.bookings import book, unbook
from app.clock import FixedClock
from app.config import Settings
from app.db import transaction
from app.notifications.dispatcher import Dispatcher
from app.notifications.models import (
    VISIT_NOTICES,
    OutboxMessage,
    OutboxStatus,
    PushSubscriptionIn,
)
from app.notifications.subscriptions import Owner, subscribe
from app.notifications.vapid import VapidKeys
from app.patients.models import Patient
from app.patients.protocols import ProtocolSource
from app.staff.models import StaffUser
from app.tasks.models import Occurrence
from tests.support.factories import make_clinic_with_staff, make_patient
from tests.support.push_service import Delivery, FakePushService

# Treated 10:00 GMT Fri 27 Mar 2026 (the clock: 12:00 UTC); the check-up is on day 14.
MONDAY_1430 = datetime(2026, 4, 13, 13, 30, tzinfo=UTC)  # 14:30 BST
TUESDAY_0900 = datetime(2026, 4, 14, 8, 0, tzinfo=UTC)  # 09:00 BST
KEY = "follow_up/1"


class Visits:
    """One patient with a subscribed phone, whose check-up staff book, move and unbook."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        clock: FixedClock,
        settings: Settings,
        push: FakePushService,
        keys: VapidKeys,
    ) -> None:
        self.factory, self.clock, self.settings, self.push = factory, clock, settings, push
        clinic, self.staff = make_clinic_with_staff(factory, now=clock.now())
        self.patient, _ = make_patient(
            factory, clinic=clinic, staff=self.staff, now=clock.now(), settings=settings,
            treatment={"performed_at": "2026-03-27T10:00:00+00:00"},
        )  # fmt: skip
        subscription = push.subscribe()
        self.subscription_id = subscription.id
        with transaction(factory) as session:
            subscribe(
                session,
                owner=Owner(patient_id=self.patient.id),
                data=PushSubscriptionIn.model_validate(subscription.to_json()),
                key_id=keys.key_id,
                now=clock.now(),
                settings=settings,
            )

    def book(self, at: datetime) -> None:
        with transaction(self.factory) as session:
            patient, staff = (
                session.get(Patient, self.patient.id),
                session.get(StaffUser, self.staff.id),
            )
            assert patient is not None and staff is not None
            book(
                session, patient=patient, key=KEY, booked_at=at, staff=staff,
                protocols=ProtocolSource(self.settings.protocol), now=self.clock.now(),
            )  # fmt: skip

    def unbook(self) -> None:
        with transaction(self.factory) as session:
            patient = session.get(Patient, self.patient.id)
            assert patient is not None
            unbook(
                session, patient=patient, key=KEY,
                protocols=ProtocolSource(self.settings.protocol), now=self.clock.now(),
            )  # fmt: skip

    def notices(self) -> list[OutboxMessage]:
        with self.factory() as session:
            return list(
                session.exec(
                    select(OutboxMessage)
                    .where(col(OutboxMessage.kind).in_(VISIT_NOTICES))
                    .order_by(col(OutboxMessage.id))
                ).all()
            )

    def waiting(self) -> list[tuple[str, str]]:
        return [(n.kind, n.status) for n in self.notices() if n.status == OutboxStatus.PENDING]

    def received(self) -> list[Delivery]:
        with self.factory() as session:
            visit = session.exec(select(Occurrence).where(Occurrence.key == KEY)).one()
        return [
            d
            for d in self.push.deliveries()
            if d.subscription_id == self.subscription_id and d.topic == visit.id.hex
        ]

    def bodies(self) -> list[str]:
        return [d.json()["notification"]["body"] for d in self.received()]


@pytest.fixture
def visits(
    factory: sessionmaker[Session],
    clock: FixedClock,
    settings: Settings,
    push: FakePushService,
    keys: VapidKeys,
) -> Visits:
    return Visits(factory, clock, settings, push, keys)


def test_a_booking_is_pushed_at_once_with_its_time(visits: Visits, dispatcher: Dispatcher) -> None:
    visits.book(MONDAY_1430)
    [notice] = visits.notices()
    assert (notice.kind, notice.status) == ("visit_booked", OutboxStatus.PENDING)
    assert notice.due_at == visits.clock.now()
    assert notice.expires_at == MONDAY_1430  # no use once the visit has begun
    dispatcher.run_once()
    [delivery] = visits.received()
    # DRAFT wording (app/notifications/payload.py); the lock screen names no treatment.
    assert delivery.json()["notification"]["body"] == (
        "Your clinic visit is booked for Mon 13 Apr at 14:30."
    )
    assert delivery.json()["kind"] == "visit_booked"
    assert visits.notices()[0].status == OutboxStatus.SENT


def test_a_move_after_the_booking_was_heard_says_moved(
    visits: Visits, dispatcher: Dispatcher
) -> None:
    visits.book(MONDAY_1430)
    dispatcher.run_once()
    visits.clock.advance(timedelta(minutes=5))
    visits.book(TUESDAY_0900)
    dispatcher.run_once()
    assert visits.bodies() == [
        "Your clinic visit is booked for Mon 13 Apr at 14:30.",
        "Your clinic visit has moved to Tue 14 Apr at 09:00.",
    ]


def test_booking_the_same_time_again_tells_nothing_new(
    visits: Visits, dispatcher: Dispatcher
) -> None:
    visits.book(MONDAY_1430)
    dispatcher.run_once()
    visits.book(MONDAY_1430)
    assert visits.waiting() == []


def test_changes_before_the_push_goes_fold_into_one(visits: Visits, dispatcher: Dispatcher) -> None:
    # Booked, then moved before the patient heard: one "booked", at the latest time.
    visits.book(MONDAY_1430)
    visits.book(TUESDAY_0900)
    assert visits.waiting() == [("visit_booked", "pending")]
    dispatcher.run_once()
    assert visits.bodies() == ["Your clinic visit is booked for Tue 14 Apr at 09:00."]
    # Unbooked, then booked again before the patient heard: one "moved".
    visits.clock.advance(timedelta(minutes=5))
    visits.unbook()
    visits.book(MONDAY_1430)
    assert visits.waiting() == [("visit_moved", "pending")]


def test_a_booking_removed_before_the_patient_heard_of_it_tells_nothing(
    visits: Visits, dispatcher: Dispatcher
) -> None:
    visits.book(MONDAY_1430)
    visits.unbook()
    assert visits.waiting() == []
    dispatcher.run_once()
    assert visits.received() == []


def test_an_unbooked_visit_is_told_so(visits: Visits, dispatcher: Dispatcher) -> None:
    visits.book(MONDAY_1430)
    dispatcher.run_once()
    visits.clock.advance(timedelta(minutes=5))
    visits.unbook()
    dispatcher.run_once()
    assert visits.bodies()[-1] == (
        "Your clinic visit is no longer booked. The clinic will contact you with a new time."
    )


def test_a_change_in_the_patients_night_waits_for_their_wake_time(
    visits: Visits, dispatcher: Dispatcher
) -> None:
    visits.clock.set(datetime(2026, 3, 27, 23, 0, tzinfo=UTC))  # 23:00 in London: asleep
    visits.book(MONDAY_1430)
    dispatcher.run_once()
    assert visits.received() == []
    [notice] = visits.notices()
    assert notice.status == OutboxStatus.PENDING
    assert notice.next_attempt_at == datetime(2026, 3, 28, 7, 30, tzinfo=UTC)  # wake, GMT
    visits.clock.set(notice.next_attempt_at)
    dispatcher.run_once()
    assert visits.bodies() == ["Your clinic visit is booked for Mon 13 Apr at 14:30."]


def test_the_visit_is_named_when_the_patient_chose_to_see_titles(
    visits: Visits, dispatcher: Dispatcher
) -> None:
    with transaction(visits.factory) as session:
        patient = session.get(Patient, visits.patient.id)
        assert patient is not None
        patient.show_task_titles = True
        session.add(patient)
    visits.book(MONDAY_1430)
    dispatcher.run_once()
    assert visits.bodies() == [
        "Check-up and possible top-up treatment is booked for Mon 13 Apr at 14:30."
    ]
