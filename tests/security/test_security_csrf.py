"""Cross-site request forgery: a write that a browser sent from another site is refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.clock import FixedClock
from app.config import Settings
from app.csrf import origin_of
from app.main import create_app
from app.security_headers import CONTENT_SECURITY_POLICY
from app.staff.models import StaffRole
from tests.support.api import sign_in_staff
from tests.support.factories import STAFF_PASSWORD

EVIL = "https://evil.example"
BOGUS_CODE = {"code": "no-such-enrolment-code-0000"}
LOGIN = {"email": "nurse@riverside.example", "password": STAFF_PASSWORD}


@pytest.fixture
def admin(client: TestClient, factory: sessionmaker[Session], clock: FixedClock) -> TestClient:
    sign_in_staff(client, factory, now=clock.now(), role=StaffRole.ADMIN)
    return client


def refused(response: object) -> bool:
    from httpx import Response

    assert isinstance(response, Response)
    return (response.status_code, response.json().get("code")) == (403, "cross_site_request")


class TestForeignWritesRefused:
    def test_a_foreign_origin_cannot_change_clinic_settings(self, admin: TestClient) -> None:
        before = admin.get("/api/clinic").json()["alert_escalation_minutes"]
        response = admin.patch(
            "/api/clinic", json={"alert_escalation_minutes": before + 7}, headers={"Origin": EVIL}
        )
        assert refused(response)
        assert admin.get("/api/clinic").json()["alert_escalation_minutes"] == before

    @pytest.mark.parametrize("site", ["cross-site", "same-site", "Cross-Site"])
    def test_fetch_metadata_from_another_site(self, client: TestClient, site: str) -> None:
        response = client.post("/api/enrol", json=BOGUS_CODE, headers={"Sec-Fetch-Site": site})
        assert refused(response)

    def test_a_signed_in_session_survives_a_forged_logout(self, admin: TestClient) -> None:
        assert refused(admin.post("/api/auth/logout", headers={"Sec-Fetch-Site": "cross-site"}))
        assert admin.get("/api/auth/me").status_code == 200

    @pytest.mark.parametrize(
        "origin",
        [EVIL, "null", "http://testserver:8080", "https://testserver", "http://testserver.evil"],
    )
    def test_login_from_anywhere_else(self, client: TestClient, origin: str) -> None:
        # Login CSRF: signing a victim's browser into the attacker's account.
        assert refused(client.post("/api/auth/login", json=LOGIN, headers={"Origin": origin}))

    def test_the_patients_phone_is_guarded_too(self, me: TestClient) -> None:
        form = me.post("/api/me/logout", headers={"Origin": EVIL})
        assert refused(form)
        assert me.get("/api/me").status_code == 200

    def test_a_cross_site_origin_wins_over_a_same_origin_fetch_header(
        self, admin: TestClient
    ) -> None:
        headers = {"Origin": EVIL, "Sec-Fetch-Site": "same-origin"}
        assert refused(admin.post("/api/auth/logout", headers=headers))

    def test_the_refusal_carries_the_security_headers(self, client: TestClient) -> None:
        response = client.post("/api/auth/login", json=LOGIN, headers={"Origin": EVIL})
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["cache-control"] == "no-store"


class TestOwnAndNonBrowserRequestsPass:
    @pytest.mark.parametrize(
        "headers",
        [
            {},  # curl, an integration, the tests: no browser, no ambient cookie to abuse
            {"Origin": "http://testserver"},
            {"Origin": "HTTP://TestServer:80"},
            {"Sec-Fetch-Site": "same-origin"},
            {"Sec-Fetch-Site": "none"},  # typed in the address bar, a bookmark
            {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
        ],
    )
    def test_writes_from_here_reach_the_route(
        self, client: TestClient, headers: dict[str, str]
    ) -> None:
        answer = client.post("/api/enrol", json=BOGUS_CODE, headers=headers)
        assert (answer.status_code, answer.json()["code"]) == (404, "link_unknown")

    def test_a_signed_in_write_from_here(self, admin: TestClient) -> None:
        headers = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
        changed = admin.patch("/api/clinic", json={"alert_escalation_minutes": 25}, headers=headers)
        assert changed.status_code == 200
        assert admin.get("/api/clinic").json()["alert_escalation_minutes"] == 25

    def test_reads_from_anywhere(self, admin: TestClient) -> None:
        # GET changes nothing; a cross-site read is the browser's CORS business (none is given).
        response = admin.get(
            "/api/auth/me", headers={"Origin": EVIL, "Sec-Fetch-Site": "cross-site"}
        )
        assert response.status_code == 200
        assert "access-control-allow-origin" not in response.headers

    @pytest.fixture
    def behind_a_proxy(
        self, settings: Settings, clock: FixedClock, engine: Engine, tmp_path: Path
    ) -> Iterator[TestClient]:
        """TLS ends at the proxy: the app sees http://testserver, the browser says https."""
        public = Settings(
            database_url=settings.database_url,
            public_url="https://care.example.org/",
            vapid_private_key_file=tmp_path / "vapid.pem",
            dispatcher_enabled=False,
            _env_file=None,
        )
        with TestClient(create_app(public, clock=clock, engine=engine)) as client:
            yield client

    def test_the_public_origin_behind_a_proxy(
        self, behind_a_proxy: TestClient, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        sign_in_staff(behind_a_proxy, factory, now=clock.now())
        ok = behind_a_proxy.post("/api/auth/logout", headers={"Origin": "https://care.example.org"})
        assert ok.status_code == 204
        other = behind_a_proxy.post("/api/auth/logout", headers={"Origin": "https://example.org"})
        assert refused(other)


class TestOriginOf:
    @pytest.mark.parametrize(
        ("url", "origin"),
        [
            ("https://Care.Example.org/", "https://care.example.org"),
            ("https://care.example.org:443/x?y", "https://care.example.org"),
            ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
            ("http://[::1]:8000/", "http://[::1]:8000"),
            ("null", "://"),
            ("http://host:notaport", ""),
        ],
    )
    def test_normalised(self, url: str, origin: str) -> None:
        assert origin_of(url) == origin
