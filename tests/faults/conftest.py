"""Fault tests reuse the notification fixtures (the loopback push service, the VAPID keys) and
run dispatchers as real `aftercare worker` processes on the test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.clinics.models import Clinic
from app.config import Settings
from app.db import transaction
from app.notifications.models import OutboxMessage, OutboxStatus, PushSubscriptionIn
from app.notifications.subscriptions import Owner, subscribe
from app.notifications.vapid import VapidKeys
from app.staff.models import StaffUser
from tests.notifications.conftest import keys, push, push_service
from tests.support.due_burst import awake_now_in_utc
from tests.support.factories import make_patient
from tests.support.push_service import FakePushService, FakeSubscription

__all__ = ["keys", "push", "push_service"]


class Workers:
    """`aftercare worker` processes on the test database, stopped (SIGTERM) at the test's end."""

    def __init__(self, database_url: str, key_file: str) -> None:
        self.env = os.environ | {
            "AFTERCARE_DATABASE_URL": database_url,
            "AFTERCARE_VAPID_PRIVATE_KEY_FILE": key_file,
            "AFTERCARE_DISPATCH_INTERVAL_SECONDS": "0.2",
            "AFTERCARE_DISPATCH_LEASE_SECONDS": "5",
        }
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, **settings: str) -> subprocess.Popen[bytes]:
        """A worker with these AFTERCARE_<NAME> settings on top of the defaults above."""
        env = self.env | {f"AFTERCARE_{name.upper()}": value for name, value in settings.items()}
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.processes.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def workers(database_url: str, settings: Settings, keys: VapidKeys) -> Iterator[Workers]:
    pool = Workers(database_url, str(settings.vapid_private_key_file))
    yield pool
    pool.stop_all()


def patient_with_device(
    factory: sessionmaker[Session],
    settings: Settings,
    keys: VapidKeys,
    service: FakePushService,
    *,
    clinic: Clinic,
    staff: StaffUser,
    name: str,
) -> tuple[uuid.UUID, FakeSubscription]:
    """A patient treated an hour ago (real time), awake now, with one device on `service`."""
    now = datetime.now(UTC)
    patient, _ = make_patient(
        factory, clinic=clinic, staff=staff, now=now, settings=settings, name=name,
        treatment={"performed_at": (now - timedelta(hours=1)).isoformat()},
        **awake_now_in_utc(),
    )  # fmt: skip
    device = service.subscribe()
    with transaction(factory) as session:
        subscribe(
            session,
            owner=Owner(patient_id=patient.id),
            data=PushSubscriptionIn.model_validate(device.to_json()),
            key_id=keys.key_id,
            now=now,
            settings=settings,
        )
    return patient.id, device


def pending_rows(factory: sessionmaker[Session], patient_id: uuid.UUID) -> list[int]:
    with factory() as session:
        return list(
            session.exec(
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.patient_id == patient_id,
                    col(OutboxMessage.status) == OutboxStatus.PENDING,
                )
                .order_by(col(OutboxMessage.id))
            ).all()
        )


def make_due(factory: sessionmaker[Session], row_ids: list[int], at: datetime) -> None:
    """These rows due at `at` and sendable for two hours after."""
    with transaction(factory) as session:
        session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(row_ids))
            .values(due_at=at, next_attempt_at=at, expires_at=at + timedelta(hours=2))
        )
