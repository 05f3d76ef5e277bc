"""The notification's "Done" button: a token for one task, no session needed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.clock import FixedClock
from app.notifications.actions import check_token, make_token
from app.tasks.models import Occurrence
from tests.support.api import enrol, pair_phone, sign_in_staff

SECRET = b"s" * 32
TASK = uuid.UUID("12345678-1234-5678-1234-567812345678")
END = datetime(2026, 3, 28, 9, 30, tzinfo=UTC)


class TestToken:
    def test_valid_for_its_task_until_a_day_after_the_window(self) -> None:
        token = make_token(SECRET, TASK, END)
        assert check_token(SECRET, TASK, token, END)
        assert check_token(SECRET, TASK, token, END + timedelta(hours=23))
        assert not check_token(SECRET, TASK, token, END + timedelta(days=1))

    @pytest.mark.parametrize(
        "mangle",
        [
            lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # another signature
            lambda t: str(int(t.split(".")[0]) + 86400) + "." + t.split(".")[1],  # longer life
            lambda t: "garbage",
            lambda t: "",
        ],
    )
    def test_tampered_tokens_fail(self, mangle: object) -> None:
        token = make_token(SECRET, TASK, END)
        assert not check_token(SECRET, TASK, mangle(token), END)  # type: ignore[operator]

    def test_a_token_is_for_one_task_and_one_key(self) -> None:
        token = make_token(SECRET, TASK, END)
        assert not check_token(SECRET, uuid.uuid4(), token, END)
        assert not check_token(b"t" * 32, TASK, token, END)


def test_done_from_the_notification_ticks_the_task(
    client: TestClient,
    phone: TestClient,
    factory: sessionmaker[Session],
    clock: FixedClock,
    app: object,
) -> None:
    sign_in_staff(client, factory, now=clock.now())
    pair_phone(phone, enrol(client)["enrolment"]["code"])
    with factory() as session:
        task = session.exec(select(Occurrence).where(Occurrence.key == "elevate_legs/t1/1")).one()
    token = make_token(app.state.action_secret, task.id, task.window_end)  # type: ignore[attr-defined]
    with TestClient(app) as service_worker:  # type: ignore[arg-type]  # no cookies at all
        body = {"task_id": str(task.id), "token": token}
        done = service_worker.post("/api/push-actions/complete", json=body)
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "done"
        assert service_worker.post("/api/push-actions/complete", json=body).json() == done.json()
        forged = {"task_id": str(task.id), "token": make_token(b"x" * 32, task.id, task.window_end)}
        assert service_worker.post("/api/push-actions/complete", json=forged).status_code == 403
