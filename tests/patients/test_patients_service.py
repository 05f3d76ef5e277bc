"""Patient use cases under concurrency and at the edges: link redemption, links, the check."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.clock import FixedClock
from app.config import Settings
from app.db import transaction
from app.enrolment.service import (
    enrolment_status,
    issue_enrolment_link,
    newest_link,
    redeem_enrolment_link,
    revoke_enrolment_links,
)
from app.errors import AppError
from app.patients.models import Patient
from app.patients.service import record_doppler_check
from app.shared.tokens import hash_token
from tests.support.factories import make_clinic_with_staff, make_patient


def test_twenty_concurrent_redemptions_one_winner(
    factory: sessionmaker[Session], clock: FixedClock, settings: Settings
) -> None:
    clinic, staff = make_clinic_with_staff(factory, now=clock.now())
    _, link = make_patient(factory, clinic=clinic, staff=staff, now=clock.now(), settings=settings)
    start = threading.Barrier(20)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def redeem() -> None:
        start.wait()
        try:
            with transaction(factory) as session:
                redeem_enrolment_link(
                    session, code=link.code, label="test", now=clock.now(), settings=settings
                )
            outcome = "won"
        except AppError as exc:
            outcome = exc.code
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=redeem) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == Counter({"won": 1, "link_used": 19})


def test_concurrent_consultation_checks_one_record_stands(
    factory: sessionmaker[Session], clock: FixedClock, settings: Settings
) -> None:
    clinic, staff = make_clinic_with_staff(factory, now=clock.now())
    patient, _ = make_patient(
        factory, clinic=clinic, staff=staff, now=clock.now(), settings=settings,
        doppler_checked=False, confirm_without_doppler=True,
    )  # fmt: skip
    start = threading.Barrier(8)
    recorded: list[bool] = []
    lock = threading.Lock()

    def check() -> None:
        start.wait()
        with transaction(factory) as session:
            row = session.get(Patient, patient.id)
            assert row is not None
            outcome = record_doppler_check(session, patient=row, staff=staff, now=clock.now())
        with lock:
            recorded.append(outcome)

    threads = [threading.Thread(target=check) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(recorded) == [False] * 7 + [True]
    with factory() as session:
        row = session.get(Patient, patient.id)
        assert row is not None
        assert (row.doppler_checked_at, row.doppler_checked_by) == (clock.now(), staff.id)


class TestEnrolmentLinks:
    def test_a_link_reissued_in_the_same_instant_is_the_active_one(
        self, factory: sessionmaker[Session], clock: FixedClock, settings: Settings
    ) -> None:
        clinic, staff = make_clinic_with_staff(factory, now=clock.now())
        patient, first = make_patient(
            factory, clinic=clinic, staff=staff, now=clock.now(), settings=settings
        )
        with transaction(factory) as session:
            second = issue_enrolment_link(
                session, patient=patient, now=clock.now(), settings=settings
            )
        with factory() as session:
            assert enrolment_status(session, patient=patient, now=clock.now()) == "active"
            newest = newest_link(session, patient=patient)
            assert newest is not None and newest.code_hash == hash_token(second.code)
            assert first.code != second.code

    def test_revoking_counts_only_unused_links(
        self, factory: sessionmaker[Session], clock: FixedClock, settings: Settings
    ) -> None:
        clinic, staff = make_clinic_with_staff(factory, now=clock.now())
        patient, link = make_patient(
            factory, clinic=clinic, staff=staff, now=clock.now(), settings=settings
        )
        with transaction(factory) as session:
            redeem_enrolment_link(
                session, code=link.code, label="phone", now=clock.now(), settings=settings
            )
        with transaction(factory) as session:
            assert revoke_enrolment_links(session, patient=patient, now=clock.now()) == 0
        with factory() as session:
            assert enrolment_status(session, patient=patient, now=clock.now()) == "used"
