"""Several dispatcher processes on one database: exactly once, and nothing lost after SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.config import Settings
from app.notifications.models import OutboxMessage, OutboxStatus
from app.notifications.vapid import VapidKeys
from tests.support.due_burst import DueBurst, make_due_burst
from tests.support.push_service import FakePushService

PATIENTS = 42  # 50 reminders each: over 2,000 rows due at once


@pytest.fixture
def due_rows(
    factory: sessionmaker[Session], settings: Settings, push: FakePushService, keys: VapidKeys
) -> DueBurst:
    """Patients treated an hour ago, each with a device; every pending reminder made due now."""
    burst = make_due_burst(factory, settings, push, keys, patients=PATIENTS)
    assert burst.count >= 2000
    return burst


class Workers:
    def __init__(self, database_url: str, key_file: Path) -> None:
        self.env = os.environ | {
            "AFTERCARE_DATABASE_URL": database_url,
            "AFTERCARE_VAPID_PRIVATE_KEY_FILE": str(key_file),
            "AFTERCARE_DISPATCH_INTERVAL_SECONDS": "0.2",
            "AFTERCARE_DISPATCH_BATCH_SIZE": "100",
            "AFTERCARE_DISPATCH_LEASE_SECONDS": "5",
            "AFTERCARE_PUSH_TIMEOUT_SECONDS": "30",
        }
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.processes.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            # communicate(), not wait(): it also drains and closes the stderr pipe
            try:
                process.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()


@pytest.fixture
def workers(database_url: str, settings: Settings, keys: VapidKeys) -> Iterator[Workers]:
    pool = Workers(database_url, settings.vapid_private_key_file)
    yield pool
    pool.stop_all()


def statuses(factory: sessionmaker[Session]) -> Counter[str]:
    with factory() as session:
        rows = session.exec(
            select(OutboxMessage.status, func.count()).group_by(col(OutboxMessage.status))
        ).all()
    return Counter({status: n for status, n in rows})


def wait_until_settled(factory: sessionmaker[Session], total: int, timeout: float) -> Counter[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = statuses(factory)
        if counts[OutboxStatus.SENT] == total:
            return counts
        time.sleep(0.25)
    raise AssertionError(f"not all {total} rows sent after {timeout} s: {dict(statuses(factory))}")


def test_two_processes_send_every_reminder_exactly_once(
    due_rows: DueBurst, workers: Workers, factory: sessionmaker[Session], push: FakePushService
) -> None:
    workers.start()
    workers.start()
    wait_until_settled(factory, due_rows.count, timeout=180)
    per_topic = due_rows.per_topic(push)
    assert len(per_topic) == due_rows.count  # none lost
    assert max(per_topic.values()) == 1  # none twice
    time.sleep(0.5)
    assert sum(due_rows.per_topic(push).values()) == due_rows.count  # nothing more trickles in


def test_a_dispatcher_killed_mid_batch_loses_nothing(
    due_rows: DueBurst, workers: Workers, factory: sessionmaker[Session], push: FakePushService
) -> None:
    push.hang()  # the first worker's batch stays in flight
    doomed = workers.start()
    deadline = time.monotonic() + 30
    while statuses(factory)[OutboxStatus.SENDING] == 0:
        assert time.monotonic() < deadline, "the first worker never claimed a batch"
        time.sleep(0.1)
    time.sleep(0.5)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=10)
    in_flight = statuses(factory)[OutboxStatus.SENDING]
    assert in_flight > 0
    push.release()
    push.reset()
    workers.start()  # reclaims the dead worker's rows once their 5 s lease runs out
    wait_until_settled(factory, due_rows.count, timeout=180)
    per_topic = due_rows.per_topic(push)
    assert len(per_topic) == due_rows.count  # nothing lost
    duplicates = sum(n - 1 for n in per_topic.values())
    assert duplicates <= in_flight  # at most the in-flight batch went twice
