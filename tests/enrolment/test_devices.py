"""A patient's phones as the clinic sees them: listed without secrets, revoked one by one."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.clock import FixedClock
from app.notifications.models import PushSubscription
from app.staff.models import AuditEvent
from tests.support.api import enrol, pair_phone, subscribe_push


def endpoints(factory: sessionmaker[Session]) -> set[str]:
    with factory() as session:
        return set(session.exec(select(PushSubscription.endpoint)).all())


@pytest.fixture
def second_phone(app: Any) -> Iterator[TestClient]:
    with TestClient(app, headers={"User-Agent": "Second phone"}) as phone:
        yield phone


@pytest.fixture
def two_phones(
    staff: TestClient, phone: TestClient, second_phone: TestClient, clock: FixedClock
) -> str:
    """One patient signed in on two phones, the first one subscribed to push; the id."""
    created = enrol(staff)
    pair_phone(phone, created["enrolment"]["code"])
    clock.advance(timedelta(minutes=1))
    code = staff.post(f"/api/patients/{created['id']}/enrolment").json()["code"]
    pair_phone(second_phone, code)
    return str(created["id"])


class TestList:
    def test_newest_first_with_push_state_and_no_secrets(
        self, staff: TestClient, phone: TestClient, two_phones: str
    ) -> None:
        subscribe_push(phone)
        response = staff.get(f"/api/patients/{two_phones}/devices")
        assert response.status_code == 200, response.text
        devices = response.json()
        assert [(d["label"], d["push"]) for d in devices] == [
            ("Second phone", False),
            ("testclient", True),
        ]
        assert set(devices[0]) == {
            "id", "label", "created_at", "last_seen_at", "expires_at", "revoked_at", "push",
        }  # fmt: skip
        assert devices[0]["created_at"].startswith("2026-03-27T12:01:00")
        assert devices[1]["revoked_at"] is None

    def test_another_patients_phones_are_not_listed(
        self, staff: TestClient, two_phones: str, app: Any
    ) -> None:
        other = enrol(staff, name="Other Patient")
        with TestClient(app) as other_phone:
            pair_phone(other_phone, other["enrolment"]["code"])
        assert len(staff.get(f"/api/patients/{two_phones}/devices").json()) == 2
        assert len(staff.get(f"/api/patients/{other['id']}/devices").json()) == 1

    def test_a_patient_never_paired_has_none(self, staff: TestClient) -> None:
        assert staff.get(f"/api/patients/{enrol(staff)['id']}/devices").json() == []


class TestRevoke:
    def test_the_phone_is_signed_out_and_its_pushes_stop_others_carry_on(
        self,
        staff: TestClient,
        phone: TestClient,
        second_phone: TestClient,
        two_phones: str,
        factory: sessionmaker[Session],
        clock: FixedClock,
    ) -> None:
        first_push = subscribe_push(phone)["endpoint"]
        second_push = subscribe_push(second_phone)["endpoint"]
        devices = staff.get(f"/api/patients/{two_phones}/devices").json()
        first = next(d for d in devices if d["label"] == "testclient")
        clock.advance(timedelta(minutes=2))
        response = staff.post(f"/api/patients/{two_phones}/devices/{first['id']}/revoke")
        assert response.status_code == 204, response.text
        refused = phone.get("/api/me")
        assert (refused.status_code, refused.json()["code"]) == (401, "not_authenticated")
        assert endpoints(factory) == {second_push}
        assert first_push not in endpoints(factory)
        assert second_phone.get("/api/me").status_code == 200
        listed = {d["id"]: d for d in staff.get(f"/api/patients/{two_phones}/devices").json()}
        assert listed[first["id"]]["revoked_at"].startswith("2026-03-27T12:03:00")
        assert listed[first["id"]]["push"] is False
        assert staff.get(f"/api/patients/{two_phones}").json()["active_devices"] == 1
        with factory() as session:
            event = session.exec(
                select(AuditEvent).where(AuditEvent.action == "device.revoke")
            ).one()
        assert event.patient_id == uuid.UUID(two_phones)
        assert event.detail == {"device_id": first["id"]}

    def test_revoking_again_is_harmless_and_keeps_the_first_time(
        self, staff: TestClient, two_phones: str, clock: FixedClock
    ) -> None:
        device = staff.get(f"/api/patients/{two_phones}/devices").json()[0]
        path = f"/api/patients/{two_phones}/devices/{device['id']}/revoke"
        assert staff.post(path).status_code == 204
        clock.advance(timedelta(minutes=5))
        assert staff.post(path).status_code == 204
        listed = staff.get(f"/api/patients/{two_phones}/devices").json()[0]
        assert listed["revoked_at"].startswith("2026-03-27T12:01:00")

    def test_a_phone_that_subscribes_again_after_revoke_is_refused(
        self, staff: TestClient, phone: TestClient, two_phones: str
    ) -> None:
        device = next(
            d
            for d in staff.get(f"/api/patients/{two_phones}/devices").json()
            if d["label"] == "testclient"
        )
        staff.post(f"/api/patients/{two_phones}/devices/{device['id']}/revoke")
        response = phone.post("/api/me/push-subscriptions", json={"endpoint": "x"})
        assert response.status_code == 401

    def test_another_patients_device_is_not_found_and_keeps_working(
        self, staff: TestClient, two_phones: str, app: Any, factory: sessionmaker[Session]
    ) -> None:
        other = enrol(staff, name="Other Patient")
        with TestClient(app) as other_phone:
            pair_phone(other_phone, other["enrolment"]["code"])
            other_push = subscribe_push(other_phone)["endpoint"]
            (device,) = staff.get(f"/api/patients/{other['id']}/devices").json()
            response = staff.post(f"/api/patients/{two_phones}/devices/{device['id']}/revoke")
            assert (response.status_code, response.json()["code"]) == (404, "not_found")
            assert other_phone.get("/api/me").status_code == 200
        assert other_push in endpoints(factory)

    def test_an_unknown_device_is_not_found(self, staff: TestClient, two_phones: str) -> None:
        response = staff.post(f"/api/patients/{two_phones}/devices/{uuid.uuid4()}/revoke")
        assert response.status_code == 404
        bad = staff.post(f"/api/patients/{two_phones}/devices/not-a-uuid/revoke")
        assert bad.status_code == 422
