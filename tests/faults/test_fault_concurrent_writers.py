"""Fifty patients writing at once through a real server: no error reaches anyone, nothing lost.

On SQLite every write queues for the one write lock ("database is locked" must never come
out as a 5xx); on PostgreSQL the same run checks the pool and row locking under contention.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.clock import FixedClock
from app.config import Settings
from app.reports.models import SymptomReport
from app.tasks.models import Occurrence, OccurrenceStatus
from tests.support.factories import make_clinic_with_staff, make_patient

WRITERS = 50
TICKS = 6  # tasks each patient ticks off, sending a report after each
# Enrolled at the pinned now (Fri 27 Mar 12:00 UTC), ticking on Sat evening: tasks to tick.
TICKING_AT = datetime(2026, 3, 28, 20, tzinfo=UTC)


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn on a loopback port, in a thread; its base URL."""
    sock = socket.create_server(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", lifespan="on", limit_concurrency=1000)
    served = uvicorn.Server(config)
    thread = threading.Thread(target=served.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not served.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    served.should_exit = True
    thread.join(timeout=10)
    sock.close()


@dataclass
class Writer:
    """One patient's phone: what it did and every answer that was not a success."""

    code: str
    patient_id: uuid.UUID
    done: set[str] = field(default_factory=set)
    undone: set[str] = field(default_factory=set)
    reports: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)
    requests: int = 0

    def check(self, response: httpx.Response, *expected: int) -> httpx.Response:
        self.requests += 1
        if response.status_code not in expected:
            line = f"{response.request.method} {response.request.url.path}: {response.status_code}"
            self.failures.append(f"{line} {response.text[:200]}")
        return response

    def run(self, base_url: str, start: threading.Barrier, now: datetime) -> None:
        with httpx.Client(base_url=base_url, timeout=60) as phone:
            start.wait()
            self.check(phone.post("/api/enrol", json={"code": self.code}), 200)
            days = {"from": "2026-03-27", "to": "2026-03-28"}
            listed = self.check(phone.get("/api/me/tasks", params=days), 200)
            if listed.status_code != 200:
                return
            tickable = [
                t["id"]
                for t in listed.json()
                if t["kind"] == "task" and datetime.fromisoformat(t["due_at"]) <= now
            ][:TICKS]
            for task_id in tickable:
                self.check(phone.post(f"/api/me/tasks/{task_id}/complete"), 200)
                self.done.add(task_id)
                self.check(phone.post("/api/me/reports", json=self.report()), 200, 201)
            for task_id in tickable[::3]:
                self.check(phone.delete(f"/api/me/tasks/{task_id}/complete"), 200)
                self.undone.add(task_id)
            self.check(phone.get("/api/me/reports"), 200)

    def report(self) -> dict[str, object]:
        client_id = str(uuid.uuid4())
        self.reports.add(client_id)
        return {"client_id": client_id, "pain": 2, "signs": [], "note": "a little sore"}


@pytest.fixture
def writers(factory: sessionmaker[Session], clock: FixedClock, settings: Settings) -> list[Writer]:
    clinic, staff = make_clinic_with_staff(factory, now=clock.now())
    made = []
    for n in range(WRITERS):
        patient, link = make_patient(
            factory, clinic=clinic, staff=staff, now=clock.now(), settings=settings,
            name=f"Patient {n}",
        )  # fmt: skip
        made.append(Writer(link.code, patient.id))
    clock.set(TICKING_AT)
    return made


def test_fifty_patients_ticking_undoing_and_reporting_at_once(
    server: str, writers: list[Writer], factory: sessionmaker[Session], clock: FixedClock
) -> None:
    start = threading.Barrier(WRITERS)
    threads = [threading.Thread(target=w.run, args=(server, start, clock.now())) for w in writers]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    elapsed = time.monotonic() - began
    assert not any(t.is_alive() for t in threads), "a writer hung"

    failures = [f for w in writers for f in w.failures]
    assert not failures, f"{len(failures)} failed requests, e.g. {failures[:3]}"
    total = sum(w.requests for w in writers)
    assert total >= WRITERS * (3 + 2 * TICKS), total  # a real storm, not fifty requests
    assert elapsed < 90

    with factory() as session:
        for writer in writers:
            statuses = dict(
                session.exec(
                    select(Occurrence.id, Occurrence.status).where(
                        Occurrence.patient_id == writer.patient_id
                    )
                ).all()
            )
            done = {str(i) for i, status in statuses.items() if status == OccurrenceStatus.DONE}
            assert done == writer.done - writer.undone
            stored = session.exec(
                select(SymptomReport.client_id).where(
                    col(SymptomReport.patient_id) == writer.patient_id
                )
            ).all()
            assert {str(c) for c in stored} == writer.reports
