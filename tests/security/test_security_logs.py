"""No personal data or secrets in the logs, at DEBUG, through a whole flow of staff and patient."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.api.cookies import PATIENT_COOKIE, STAFF_COOKIE
from app.clinics.models import Clinic
from app.clock import FixedClock
from app.config import Settings
from app.scheduler import build_dispatcher
from app.staff.models import StaffRole
from app.staff.totp import code_at
from tests.support.api import new_patient_body, sign_in_staff, turn_on_totp
from tests.support.factories import STAFF_PASSWORD
from tests.support.push_service import FakePushService

NAME = "Henrietta Quenby-Xavier"
PHONE = "+44 7700 900987"
EMAIL = "senior.nurse@riverside.example"
NOTE = "my left calf is hot and swollen since Tuesday"
ACK_NOTE = "Rang Henrietta back, advised A&E"
NEW_PASSWORD = "a brand new passphrase 42"


@pytest.fixture
def push() -> Iterator[FakePushService]:
    with FakePushService() as service:
        yield service


def everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    """Messages, their arguments and any exception text, of every record the service made."""
    parts = []
    for record in caplog.records:
        if record.name.startswith("httpx"):
            continue  # the test's own HTTP client, not the service
        parts += [record.getMessage(), str(record.args), record.exc_text or ""]
        if record.exc_info and record.exc_info[1] is not None:
            parts.append(repr(record.exc_info[1]))
    return "\n".join(parts)


def test_a_whole_flow_logs_no_personal_data_or_secret(
    caplog: pytest.LogCaptureFixture, app: FastAPI, client: TestClient, phone: TestClient,
    factory: sessionmaker[Session], clock: FixedClock, settings: Settings, push: FakePushService,
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    # SQL statements too, as an operator turning on SQL logging would see them.
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    # Staff: a failed and a good login, TOTP, then a new password.
    sign_in_staff(client, factory, now=clock.now(), email=EMAIL, role=StaffRole.ADMIN)
    wrong = client.post("/api/auth/login", json={"email": EMAIL, "password": "hunter2hunter2"})
    assert wrong.status_code == 401
    secret = turn_on_totp(client, now=clock.now())
    clock.advance(timedelta(seconds=30))
    client.post("/api/auth/logout")
    assert client.post("/api/auth/login", json={"email": EMAIL, "password": STAFF_PASSWORD}).json()[
        "second_factor_required"
    ]
    code = code_at(secret, clock.now())
    assert client.post("/api/auth/login/totp", json={"code": code}).status_code == 200
    changed = client.post(
        "/api/auth/password",
        json={"current_password": STAFF_PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 204, changed.text
    staff_push = push.subscribe()
    assert (
        client.post("/api/staff/push-subscriptions", json=staff_push.to_json()).status_code == 201
    )
    # Enrol a patient; the phone pairs, subscribes, ticks a task, reports an emergency.
    created = client.post("/api/patients", json=new_patient_body(name=NAME, phone=PHONE))
    assert created.status_code == 201, created.text
    patient_id = created.json()["id"]
    enrolment_code = created.json()["enrolment"]["code"]
    assert phone.post("/api/enrol", json={"code": "not-the-code-at-all-0000"}).status_code == 404
    assert phone.post("/api/enrol", json={"code": enrolment_code}).status_code == 200
    assert phone.post("/api/enrol", json={"code": enrolment_code}).status_code == 410
    phone_push = push.subscribe()
    assert phone.post("/api/me/push-subscriptions", json=phone_push.to_json()).status_code == 201
    tasks = phone.get("/api/me/tasks").json()
    task = next(t for t in tasks if t["kind"] == "task")
    assert phone.post(f"/api/me/tasks/{task['id']}/complete").status_code == 200
    report = {"client_id": str(uuid.uuid4()), "pain": 8, "signs": ["chest_pain_breathless"]}
    assert phone.post("/api/me/reports", json=report | {"note": NOTE}).status_code == 201
    # The clinic reads, searches, exports, acknowledges.
    for path in (
        f"/api/patients?q={NAME.split()[0]}",
        "/api/patients.csv",
        f"/api/patients/{patient_id}",
        f"/api/patients/{patient_id}/export",
        f"/api/audit?patient_id={patient_id}",
    ):
        assert client.get(path).status_code == 200, path
    alert = client.get("/api/alerts").json()[0]
    acknowledged = client.post(f"/api/alerts/{alert['id']}/acknowledge", json={"note": ACK_NOTE})
    assert acknowledged.status_code == 200
    # The dispatcher sends what is due; one push service answer is a malformed-message 400.
    dispatcher = build_dispatcher(
        settings, session_factory=factory, clock=clock, keys=app.state.vapid_keys
    )
    try:
        push.respond_with(400, times=1)
        dispatcher.run_once()
        clock.advance(timedelta(days=1))
        dispatcher.run_once()
    finally:
        dispatcher.close()
    # Wrong inputs that echo back what was sent: a validation error must not log the input.
    bad = client.post("/api/auth/login", json={"email": EMAIL, "password": 12345678901234})
    assert bad.status_code == 422
    logged = everything_logged(caplog)
    # The dispatcher and SQLAlchemy did log: the search below is not vacuous.
    assert "outcome=" in logged and "INSERT INTO patient" in logged
    secrets = {
        "patient name": NAME,
        "patient surname": NAME.split()[-1],
        "phone": PHONE,
        "phone digits": PHONE.replace(" ", "")[3:],
        "staff e-mail": EMAIL,
        "password": STAFF_PASSWORD,
        "new password": NEW_PASSWORD,
        "wrong password": "hunter2hunter2",
        "TOTP secret": secret,
        "enrolment code": enrolment_code,
        "staff session": client.cookies[STAFF_COOKIE],
        "device session": phone.cookies[PATIENT_COOKIE],
        "report note": NOTE,
        "acknowledgement note": ACK_NOTE,
        "push endpoint": phone_push.endpoint,
        "push auth key": phone_push.to_json()["keys"]["auth"],
    }
    assert [what for what, value in secrets.items() if value in logged] == []


def test_a_database_error_does_not_quote_the_values(engine: Engine, clock: FixedClock) -> None:
    """An IntegrityError's text (logged with the traceback of a 500) leaves the values out."""
    with engine.begin() as connection:
        connection.execute(insert(Clinic).values(name=NAME, created_at=clock.now()))
    with pytest.raises(IntegrityError) as raised, engine.begin() as connection:
        connection.execute(insert(Clinic).values(name=NAME, created_at=clock.now()))
    # PostgreSQL's own DETAIL line may quote a duplicate key; SQLAlchemy adds no parameters.
    ours = str(raised.value).split("[SQL:")[1]
    assert NAME not in ours
    assert "hidden due to hide_parameters" in ours
