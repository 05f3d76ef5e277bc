"""Delivery receipts: the service worker reports reminders shown or tapped; reach per patient."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.clock import FixedClock
from app.notifications import receipts
from app.notifications.actions import make_token
from app.notifications.build import Build
from app.notifications.models import DeliveryReceipt, OutboxMessage, OutboxStatus
from app.notifications.payload import reminder_payload
from app.patients.models import Patient
from app.records.erasure import erase_patient
from app.tasks.models import Occurrence
from tests.conftest import PINNED_NOW
from tests.support.api import enrol, pair_phone, sign_in_staff, subscribe_push


def _setup(
    client: TestClient, phone: TestClient, factory: sessionmaker[Session], clock: FixedClock
) -> tuple[Occurrence, str]:
    sign_in_staff(client, factory, now=clock.now())
    pair_phone(phone, enrol(client)["enrolment"]["code"])
    endpoint: str = subscribe_push(phone)["endpoint"]
    with factory() as session:
        task = session.exec(select(Occurrence).where(Occurrence.key == "elevate_legs/t1/1")).one()
    return task, endpoint


def _post(app: FastAPI, body: dict[str, Any]) -> Any:
    with TestClient(app) as service_worker:  # no cookies at all
        return service_worker.post("/api/push/receipts", json=body)


def _body(app: FastAPI, task: Occurrence, event: str, endpoint: str | None) -> dict[str, Any]:
    token = make_token(app.state.receipt_secret, task.id, task.window_end)
    return {"task_id": str(task.id), "token": token, "event": event, "endpoint": endpoint}


def test_shown_and_tapped_are_recorded_once_per_device(
    client: TestClient,
    phone: TestClient,
    factory: sessionmaker[Session],
    clock: FixedClock,
    app: FastAPI,
) -> None:
    task, endpoint = _setup(client, phone, factory, clock)
    for _ in range(2):  # the same report twice is one receipt
        assert _post(app, _body(app, task, "shown", endpoint)).status_code == 204
    clock.advance(timedelta(minutes=3))
    assert _post(app, _body(app, task, "tapped", endpoint)).status_code == 204
    with factory() as session:
        rows = session.exec(select(DeliveryReceipt).order_by(DeliveryReceipt.at)).all()
        assert [r.event for r in rows] == ["shown", "tapped"]
        assert rows[0].device_session_id is not None  # the endpoint named the phone
        assert receipts.shown_after(session, task.id, rows[0].at)
        assert not receipts.shown_after(session, task.id, rows[0].at + timedelta(seconds=1))
        assert not receipts.shown_after(session, uuid.uuid4(), rows[0].at)


def test_bad_tokens_are_refused_and_change_nothing(
    client: TestClient,
    phone: TestClient,
    factory: sessionmaker[Session],
    clock: FixedClock,
    app: FastAPI,
) -> None:
    task, endpoint = _setup(client, phone, factory, clock)
    forged = _body(app, task, "shown", endpoint) | {
        "token": make_token(b"x" * 32, task.id, task.window_end)
    }
    action = make_token(app.state.action_secret, task.id, task.window_end)  # the "Done" token
    wrong_kind = _body(app, task, "shown", endpoint) | {"token": action}
    for body in (forged, wrong_kind):
        refused = _post(app, body)
        assert refused.status_code == 403
        assert "no longer be used" in refused.json()["detail"]
    assert _post(app, _body(app, task, "opened", endpoint)).status_code == 422
    with factory() as session:
        assert session.exec(select(DeliveryReceipt)).all() == []


def test_receipt_token_cannot_tick_the_task(
    client: TestClient,
    phone: TestClient,
    factory: sessionmaker[Session],
    clock: FixedClock,
    app: FastAPI,
) -> None:
    task, _ = _setup(client, phone, factory, clock)
    body = _body(app, task, "shown", None)
    with TestClient(app) as service_worker:
        done = service_worker.post(
            "/api/push-actions/complete", json={"task_id": body["task_id"], "token": body["token"]}
        )
    assert done.status_code == 403


def test_every_patient_push_carries_a_receipt_token() -> None:
    build = Build(public_url="https://x.test", action_secret=b"a" * 32, receipt_secret=b"r" * 32)
    assert build._receipt_token(uuid.uuid4(), PINNED_NOW) is not None
    document = json.loads(
        reminder_payload(
            occurrence_id=uuid.uuid4(),
            kind="appointment",
            title="t",
            show_title=False,
            public_url="https://x.test",
            receipt_token="1.abc",
        )
    )
    assert document["receipt_token"] == "1.abc"
    assert "action_token" not in document


def test_reach_says_whether_reminders_get_through(
    client: TestClient,
    phone: TestClient,
    factory: sessionmaker[Session],
    clock: FixedClock,
    app: FastAPI,
) -> None:
    task, endpoint = _setup(client, phone, factory, clock)
    now = clock.now()
    with factory() as session:
        reach = receipts.reach(session, task.patient_id, now)
        assert reach.getting_through and reach.last_shown_at is None  # nothing sent yet
        sent = session.exec(
            select(OutboxMessage).where(OutboxMessage.occurrence_id == task.id)
        ).first()
        assert sent is not None
        sent.status, sent.sent_at = OutboxStatus.SENT, now
        session.add(sent)
        session.commit()
        reach = receipts.reach(session, task.patient_id, now)
        assert not reach.getting_through
        assert reach.reason == "Reminders were sent but none was shown."
    assert [row["id"] for row in not_getting_through(client)] == [str(task.patient_id)]
    clock.advance(timedelta(minutes=1))
    assert _post(app, _body(app, task, "shown", endpoint)).status_code == 204
    with factory() as session:
        reach = receipts.reach(session, task.patient_id, clock.now())
        assert reach.getting_through
        assert reach.last_shown_at == clock.now()
        assert reach.last_shown_device  # the phone's User-Agent label
    mine = phone.get("/api/me/reach").json()
    assert mine == {
        "subscribed": True,
        "last_shown_at": clock.now().isoformat().replace("+00:00", "Z"),
    }
    assert not_getting_through(client) == []
    page = client.get(f"/api/patients/{task.patient_id}").json()["reach"]
    assert page["getting_through"] is True
    assert page["last_shown_device"] == reach.last_shown_device
    with factory() as session:
        # After 48 hours without a send the old silence no longer counts against them.
        assert receipts.reach(session, task.patient_id, now + timedelta(hours=49)).getting_through


def not_getting_through(client: TestClient) -> list[dict[str, Any]]:
    response = client.get("/api/patients", params={"reminders": "not_getting_through"})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_no_subscription_is_not_getting_through(
    client: TestClient, phone: TestClient, factory: sessionmaker[Session], clock: FixedClock
) -> None:
    sign_in_staff(client, factory, now=clock.now())
    pair_phone(phone, enrol(client)["enrolment"]["code"])
    with factory() as session:
        patient = session.exec(select(Patient)).one()
        reach = receipts.reach(session, patient.id, clock.now())
    assert not reach.getting_through
    assert reach.reason == "No device is subscribed to reminders."
    assert [row["name"] for row in not_getting_through(client)] == [patient.name]


def test_erasure_removes_receipts(
    client: TestClient,
    phone: TestClient,
    factory: sessionmaker[Session],
    clock: FixedClock,
    app: FastAPI,
) -> None:
    task, endpoint = _setup(client, phone, factory, clock)
    assert _post(app, _body(app, task, "shown", endpoint)).status_code == 204
    with factory() as session:
        patient = session.get(Patient, task.patient_id)
        assert patient is not None
        counts = erase_patient(session, patient=patient)
        session.commit()
        assert counts["delivery_receipt"] == 1
        assert session.exec(select(DeliveryReceipt)).all() == []
