"""Patient-device routes: redeem a link once, profile with restrictions, preferences."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api.cookies import PATIENT_COOKIE
from app.clock import FixedClock
from tests.support.api import enrol, pair_phone


@pytest.fixture
def enrolled(staff: TestClient) -> dict[str, Any]:
    return enrol(staff)


class TestEnrol:
    def test_code_gives_this_phone_a_session(
        self, phone: TestClient, enrolled: dict[str, Any]
    ) -> None:
        response = phone.post("/api/enrol", json={"code": enrolled["enrolment"]["code"]})
        assert response.status_code == 200
        cookie = response.headers["set-cookie"]
        assert f"{PATIENT_COOKIE}=" in cookie
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert response.json()["id"] == enrolled["id"]
        assert phone.get("/api/me").status_code == 200

    def test_a_link_works_once(self, phone: TestClient, enrolled: dict[str, Any], app: Any) -> None:
        code = enrolled["enrolment"]["code"]
        pair_phone(phone, code)
        with TestClient(app) as second_phone:
            response = second_phone.post("/api/enrol", json={"code": code})
            assert response.status_code == 410
            assert response.json()["code"] == "link_used"
            assert "ask your clinic for a new link" in response.json()["detail"]
            assert second_phone.get("/api/me").status_code == 401

    def test_an_expired_link_is_refused(
        self, phone: TestClient, enrolled: dict[str, Any], clock: FixedClock
    ) -> None:
        clock.advance(timedelta(days=14, seconds=1))
        response = phone.post("/api/enrol", json={"code": enrolled["enrolment"]["code"]})
        assert response.status_code == 410
        assert response.json()["code"] == "link_expired"

    @pytest.mark.parametrize(
        ("code", "status"),
        [("A" * 32, 404), ("short", 422), ("x" * 500, 422)],
    )
    def test_unknown_or_malformed_code(self, phone: TestClient, code: str, status: int) -> None:
        assert phone.post("/api/enrol", json={"code": code}).status_code == status

    def test_enrolment_is_never_done_by_get(
        self, phone: TestClient, enrolled: dict[str, Any]
    ) -> None:
        code = enrolled["enrolment"]["code"]
        page = phone.get(f"/enrol?code={code}")
        assert page.status_code == 200  # just the app shell
        pair_phone(phone, code)  # the link is still unused


class TestProfile:
    def test_profile_has_clinic_restrictions_and_appointments(
        self, phone: TestClient, enrolled: dict[str, Any]
    ) -> None:
        me = pair_phone(phone, enrolled["enrolment"]["code"])
        assert me["clinic"] == {
            "name": "Riverside Vein Clinic",
            "phone": "+44 20 7946 0001",
            "emergency_number": "999",
        }
        assert [(r["task"], r["until"]) for r in me["restrictions"]] == [
            ("avoid_aspirin", "2026-05-08")
        ]
        assert [(a["key"], a["local_due"]) for a in me["appointments"]] == [
            ("follow_up/1", "2026-04-10T10:00:00+01:00"),
            ("follow_up/2", "2026-05-22T10:00:00+01:00"),
        ]

    def test_without_a_session_nothing_is_shown(self, phone: TestClient) -> None:
        response = phone.get("/api/me")
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"

    def test_sign_out_ends_the_device_session(
        self, phone: TestClient, enrolled: dict[str, Any]
    ) -> None:
        pair_phone(phone, enrolled["enrolment"]["code"])
        token = phone.cookies.get(PATIENT_COOKIE)
        assert phone.post("/api/me/logout").status_code == 204
        phone.cookies.set(PATIENT_COOKIE, token or "")
        assert phone.get("/api/me").status_code == 401

    def test_device_session_expires(
        self, phone: TestClient, enrolled: dict[str, Any], clock: FixedClock
    ) -> None:
        pair_phone(phone, enrolled["enrolment"]["code"])
        clock.advance(timedelta(days=120))
        assert phone.get("/api/me").status_code == 401


class TestPreferences:
    def test_new_wake_time_moves_the_mornings_ahead(
        self, phone: TestClient, enrolled: dict[str, Any]
    ) -> None:
        pair_phone(phone, enrolled["enrolment"]["code"])
        response = phone.patch("/api/me/preferences", json={"wake_time": "06:45"})
        assert response.status_code == 200, response.text
        assert response.json()["wake_time"] == "06:45:00"
        day = phone.get("/api/me/tasks", params={"date": "2026-03-31"}).json()
        stockings = [t["local_due"] for t in day if t["task"] == "stockings_on"]
        assert stockings == ["2026-03-31T06:45:00+01:00"]

    def test_time_zone_change_keeps_local_times(
        self, phone: TestClient, enrolled: dict[str, Any]
    ) -> None:
        pair_phone(phone, enrolled["enrolment"]["code"])
        assert (
            phone.patch("/api/me/preferences", json={"time_zone": "America/New_York"}).status_code
            == 200
        )
        day = phone.get("/api/me/tasks", params={"date": "2026-03-31"}).json()
        stockings = [t["local_due"] for t in day if t["task"] == "stockings_on"]
        assert stockings == ["2026-03-31T07:30:00-04:00"]

    @pytest.mark.parametrize(
        "body",
        [
            {"time_zone": "Nowhere/Land"},
            {"bed_time": "10:00"},
            {"wake_time": "7 in the morning"},
            {"stockings_advised": False},  # the clinic's decision, not the patient's
        ],
    )
    def test_bad_changes_are_refused_and_nothing_changes(
        self, phone: TestClient, enrolled: dict[str, Any], body: dict[str, Any]
    ) -> None:
        pair_phone(phone, enrolled["enrolment"]["code"])
        before = phone.get("/api/me").json()
        response = phone.patch("/api/me/preferences", json=body)
        assert response.status_code == 422
        assert phone.get("/api/me").json() == before
