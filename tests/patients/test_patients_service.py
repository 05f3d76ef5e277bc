"""Enrolment links under concurrency: exactly one of many simultaneous redemptions wins."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.clock import FixedClock
from app.config import Settings
from app.db import transaction
from app.errors import AppError
from app.patients.service import redeem_enrolment_link
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
