"""Push routes: the public key, a device's subscription as the browser sends it, removal."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.clock import FixedClock
from app.config import Settings
from app.errors import InvalidInput
from app.notifications.subscriptions import check_endpoint
from app.shared.base64url import b64url_decode
from tests.support.api import enrol, pair_phone, sign_in_staff
from tests.support.hashing import PRODUCTION_PASSWORD_HASHING
from tests.support.push_service import FakePushService


def test_public_key_is_served_to_anyone(client: TestClient) -> None:
    body = client.get("/api/push/public-key").json()
    assert len(b64url_decode(body["public_key"])) == 65
    assert len(body["key_id"]) == 16


class TestSubscribe:
    def test_browser_json_is_taken_as_is(self, me: TestClient, push: FakePushService) -> None:
        browser = push.subscribe().to_json()
        response = me.post("/api/me/push-subscriptions", json=browser)
        assert response.status_code == 201, response.text
        stored = response.json()
        assert stored["endpoint"] == browser["endpoint"]
        assert stored["current_key"] is True
        listed = me.get("/api/me/push-subscriptions").json()
        assert [s["endpoint"] for s in listed] == [browser["endpoint"]]

    def test_the_same_endpoint_twice_is_one_device(
        self, me: TestClient, push: FakePushService
    ) -> None:
        browser = push.subscribe().to_json()
        me.post("/api/me/push-subscriptions", json=browser)
        me.post("/api/me/push-subscriptions", json=browser)
        assert len(me.get("/api/me/push-subscriptions").json()) == 1

    def test_only_the_newest_devices_are_kept(
        self, me: TestClient, push: FakePushService, clock: FixedClock, settings: Settings
    ) -> None:
        from datetime import timedelta

        endpoints = []
        for _ in range(settings.max_push_devices + 2):
            browser = push.subscribe().to_json()
            endpoints.append(browser["endpoint"])
            assert me.post("/api/me/push-subscriptions", json=browser).status_code == 201
            clock.advance(timedelta(minutes=1))
        kept = [s["endpoint"] for s in me.get("/api/me/push-subscriptions").json()]
        assert kept == endpoints[2:]

    def test_a_shared_phone_moves_to_the_patient_signed_in_on_it(
        self, me: TestClient, staff: TestClient, push: FakePushService, app: Any
    ) -> None:
        browser = push.subscribe().to_json()
        me.post("/api/me/push-subscriptions", json=browser)
        with TestClient(app) as other:
            pair_phone(other, enrol(staff, name="Second Patient")["enrolment"]["code"])
            assert other.post("/api/me/push-subscriptions", json=browser).status_code == 201
            assert len(other.get("/api/me/push-subscriptions").json()) == 1
        assert me.get("/api/me/push-subscriptions").json() == []

    def test_another_patient_cannot_take_the_endpoint_with_other_keys(
        self, me: TestClient, staff: TestClient, push: FakePushService, app: Any
    ) -> None:
        browser = push.subscribe().to_json()
        me.post("/api/me/push-subscriptions", json=browser)
        taker = browser | {"keys": push.subscribe().to_json()["keys"]}
        with TestClient(app) as other:
            pair_phone(other, enrol(staff, name="Second Patient")["enrolment"]["code"])
            response = other.post("/api/me/push-subscriptions", json=taker)
            assert response.status_code == 409
            assert response.json()["code"] == "push_subscription_taken"
            assert other.get("/api/me/push-subscriptions").json() == []
        listed = me.get("/api/me/push-subscriptions").json()
        assert [s["endpoint"] for s in listed] == [browser["endpoint"]]

    def test_staff_cannot_take_a_patients_endpoint_with_other_keys(
        self, me: TestClient, push: FakePushService, app: Any, factory: Any, clock: FixedClock
    ) -> None:
        browser = push.subscribe().to_json()
        me.post("/api/me/push-subscriptions", json=browser)
        taker = browser | {"keys": push.subscribe().to_json()["keys"]}
        with TestClient(app) as console:
            sign_in_staff(
                console, factory, now=clock.now(), clinic_name="Hill", email="nurse@hill.example"
            )
            response = console.post("/api/staff/push-subscriptions", json=taker)
            assert response.status_code == 409
            assert response.json()["code"] == "push_subscription_taken"
        assert len(me.get("/api/me/push-subscriptions").json()) == 1

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"endpoint": "ftp://push.example/x"}, "endpoint"),
            ({"endpoint": "http://push.example.net/send/abc"}, "endpoint"),
            ({"keys": {"p256dh": "AAAA", "auth": "x" * 22}}, "p256dh"),
            ({"keys": {"p256dh": "B" * 87, "auth": "short"}}, "auth"),
            ({"keys": {"p256dh": "!" * 87, "auth": "A" * 22}}, "p256dh"),
            ({"expirationTime": -5}, "expirationTime"),
            ({"expirationTime": 253402300800000}, "expirationTime"),  # the year 10000 (was 500)
            ({"expirationTime": 10**20}, "expirationTime"),
        ],
    )
    def test_malformed_subscriptions_are_refused(
        self, me: TestClient, push: FakePushService, change: dict[str, Any], field: str
    ) -> None:
        browser = push.subscribe().to_json() | change
        response = me.post("/api/me/push-subscriptions", json=browser)
        assert response.status_code == 422
        assert field in response.text
        assert me.get("/api/me/push-subscriptions").json() == []

    def test_needs_a_device_session(self, phone: TestClient, push: FakePushService) -> None:
        response = phone.post("/api/me/push-subscriptions", json=push.subscribe().to_json())
        assert response.status_code == 401


class TestUnsubscribe:
    def test_delete_is_idempotent_and_only_touches_ones_own(
        self, me: TestClient, push: FakePushService
    ) -> None:
        browser = push.subscribe().to_json()
        me.post("/api/me/push-subscriptions", json=browser)
        ref = {"endpoint": browser["endpoint"]}
        assert me.request("DELETE", "/api/me/push-subscriptions", json=ref).status_code == 204
        assert me.request("DELETE", "/api/me/push-subscriptions", json=ref).status_code == 204
        assert me.get("/api/me/push-subscriptions").json() == []


def test_staff_devices_can_subscribe_for_alerts(staff: TestClient, push: FakePushService) -> None:
    browser = push.subscribe().to_json()
    assert staff.post("/api/staff/push-subscriptions", json=browser).status_code == 201
    ref = {"endpoint": browser["endpoint"]}
    assert staff.request("DELETE", "/api/staff/push-subscriptions", json=ref).status_code == 204


@pytest.mark.parametrize(
    ("env", "endpoint", "allowed"),
    [
        ("development", "http://127.0.0.1:9999/push/a", True),
        ("development", "http://localhost:9999/push/a", True),
        ("development", "http://[::1]:9999/push/a", True),
        ("development", "http://10.0.0.5/push/a", False),
        ("development", "https://10.0.0.5/push/a", True),
        ("production", "http://127.0.0.1:9999/push/a", False),
        ("production", "https://127.0.0.1:9999/push/a", False),
        ("production", "https://localhost:9999/push/a", False),
        ("production", "https://169.254.169.254/latest/meta-data/", False),
        ("production", "https://10.0.0.5/push/a", False),
        ("production", "https://[fd00::5]/push/a", False),
        ("production", "https://fcm.googleapis.com/fcm/send/a", True),
    ],
)
def test_production_takes_only_https_push_services_on_the_internet(
    env: str, endpoint: str, allowed: bool
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        env=env,
        public_url="https://care.example.org",
        vapid_subject="mailto:ops@care.example.org",
        **PRODUCTION_PASSWORD_HASHING,
        _env_file=None,
    )
    if allowed:
        check_endpoint(endpoint, settings)
    else:
        with pytest.raises(InvalidInput):
            check_endpoint(endpoint, settings)


def test_metrics_are_in_prometheus_format(client: TestClient) -> None:
    text = client.get("/metrics").text
    assert "aftercare_push_queue_due" in text
    assert "aftercare_push_lateness_seconds_bucket" in text
