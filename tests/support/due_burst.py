"""A burst of reminders due now for patients with one device each: what dispatch tests drain."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, update
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.config import Settings
from app.db import transaction
from app.notifications.models import OutboxMessage, OutboxStatus, PushSubscriptionIn
from app.notifications.subscriptions import Owner, subscribe
from app.notifications.vapid import VapidKeys
from tests.support.factories import make_clinic_with_staff, make_patient
from tests.support.push_service import FakePushService


@dataclass(frozen=True)
class DueBurst:
    count: int
    devices: frozenset[str]

    def per_topic(self, push: FakePushService) -> Counter[str | None]:
        """How often each reminder reached this burst's devices."""
        return Counter(d.topic for d in push.deliveries() if d.subscription_id in self.devices)


def awake_now_in_utc() -> dict[str, str]:
    """Wake and bed times that put the real present in the middle of a UTC patient's day."""
    now = datetime.now(UTC)
    wake = (now - timedelta(hours=4)).strftime("%H:%M")
    bed = (now + timedelta(hours=12)).strftime("%H:%M")
    return {"time_zone": "UTC", "wake_time": wake, "bed_time": bed}


def make_due_burst(
    factory: sessionmaker[Session],
    settings: Settings,
    push: FakePushService,
    keys: VapidKeys,
    *,
    patients: int,
    expires_in: timedelta | None = None,
) -> DueBurst:
    """Patients treated an hour ago (real time), each with a device; every pending reminder
    made due now, and kept sendable for `expires_in` when given (an outage must not expire it)."""
    now = datetime.now(UTC)
    clinic, staff = make_clinic_with_staff(factory, now=now)
    devices = set()
    for n in range(patients):
        patient, _ = make_patient(
            factory, clinic=clinic, staff=staff, now=now, settings=settings,
            name=f"Patient {n}", treatment={"performed_at": (now - timedelta(hours=1)).isoformat()},
            **awake_now_in_utc(),
        )  # fmt: skip
        device = push.subscribe()
        devices.add(device.id)
        with transaction(factory) as session:
            subscribe(
                session,
                owner=Owner(patient_id=patient.id),
                data=PushSubscriptionIn.model_validate(device.to_json()),
                key_id=keys.key_id,
                now=now,
                settings=settings,
            )
    due = now - timedelta(seconds=1)
    values: dict[str, datetime] = {"next_attempt_at": due, "due_at": due}
    if expires_in is not None:
        values["expires_at"] = now + expires_in
    with transaction(factory) as session:
        session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.status) == OutboxStatus.PENDING)
            .values(**values)
        )
        count = session.exec(select(func.count()).select_from(OutboxMessage)).one()
    return DueBurst(count, frozenset(devices))
