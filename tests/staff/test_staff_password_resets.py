"""Set-password links: an admin issues one, its holder sets a password once; a colleague's lost
second factor reset by an admin (POST /api/staff/{id}/password-reset, /api/auth/password-reset,
POST /api/staff/{id}/totp/reset)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.clock import FixedClock
from app.config import Settings
from app.db import transaction
from app.shared.tokens import hash_token
from app.staff.models import AuditEvent, PasswordResetLink, StaffRole, StaffUser
from app.staff.totp import code_at
from tests.support.api import log_in, sign_in_staff, turn_on_totp
from tests.support.factories import STAFF_PASSWORD, add_staff, make_clinic_with_staff

ADMIN = "admin@riverside.example"
NURSE = "nurse@riverside.example"
NEW_PASSWORD = "a brand new kettle on the hob"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Three wrong links per address are enough to see the limit."""
    return settings.model_copy(update={"enrol_failures_per_ip": 3})


@pytest.fixture
def admin(client: TestClient, factory: sessionmaker[Session], clock: FixedClock) -> TestClient:
    sign_in_staff(client, factory, now=clock.now(), email=ADMIN, role=StaffRole.ADMIN)
    return client


@pytest.fixture
def nurse(factory: sessionmaker[Session], clock: FixedClock, admin: TestClient) -> StaffUser:
    return add_staff(factory, colleague_of=ADMIN, email=NURSE, now=clock.now(), name="Nia Patel")


@pytest.fixture
def stranger(app: FastAPI) -> Any:
    """Whoever opens the link: a browser nobody signed in."""
    with TestClient(app) as browser:
        yield browser


def issue(admin: TestClient, staff: StaffUser) -> dict[str, Any]:
    response = admin.post(f"/api/staff/{staff.id}/password-reset")
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def token_of(issued: dict[str, Any]) -> str:
    fragment = urlsplit(issued["url"]).fragment
    assert fragment.startswith("/set-password?token=")
    return fragment.removeprefix("/set-password?token=")


def use(browser: TestClient, token: str, password: str = NEW_PASSWORD) -> Any:
    return browser.post("/api/auth/password-reset", json={"token": token, "new_password": password})


def login_status(browser: TestClient, email: str, password: str) -> int:
    return browser.post("/api/auth/login", json={"email": email, "password": password}).status_code


def trail(factory: sessionmaker[Session]) -> list[tuple[str, dict[str, Any]]]:
    with transaction(factory) as session:
        events = session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()  # type: ignore[arg-type]
        return [(e.action, e.detail) for e in events if not e.action.startswith("staff.log")]


class TestIssuing:
    def test_a_link_shown_once_that_expires_in_a_day(
        self, admin: TestClient, nurse: StaffUser, clock: FixedClock, factory: sessionmaker[Session]
    ) -> None:
        issued = issue(admin, nurse)
        assert issued["url"].startswith("http://testserver/console/#/set-password?token=")
        expires_at = datetime.fromisoformat(issued["expires_at"])
        assert expires_at == clock.now() + timedelta(hours=24)
        with transaction(factory) as session:  # only the hash is kept
            [row] = session.exec(select(PasswordResetLink)).all()
            assert row.token_hash == hash_token(token_of(issued))
        assert trail(factory)[-1] == ("staff.password_reset_issue", {"staff_id": str(nurse.id)})

    def test_the_password_stays_until_the_link_is_used(
        self, admin: TestClient, nurse: StaffUser, stranger: TestClient
    ) -> None:
        issue(admin, nurse)
        assert login_status(stranger, NURSE, STAFF_PASSWORD) == 200

    def test_a_new_link_replaces_the_unused_one(
        self, admin: TestClient, nurse: StaffUser, stranger: TestClient
    ) -> None:
        first, second = token_of(issue(admin, nurse)), token_of(issue(admin, nurse))
        assert use(stranger, first).json()["code"] == "reset_link_unknown"
        assert use(stranger, second).status_code == 204

    def test_refused_for_a_disabled_account(self, admin: TestClient, nurse: StaffUser) -> None:
        admin.patch(f"/api/staff/{nurse.id}", json={"disabled": True})
        answer = admin.post(f"/api/staff/{nurse.id}/password-reset")
        assert (answer.status_code, answer.json()["code"]) == (409, "account_disabled")

    def test_only_by_an_admin_of_the_same_clinic(
        self,
        admin: TestClient,
        nurse: StaffUser,
        app: FastAPI,
        factory: sessionmaker[Session],
        clock: FixedClock,
    ) -> None:
        with TestClient(app) as nurses_browser:
            log_in(nurses_browser, NURSE)
            answer = nurses_browser.post(f"/api/staff/{nurse.id}/password-reset")
            assert (answer.status_code, answer.json()["code"]) == (403, "admin_only")
        _, elsewhere = make_clinic_with_staff(
            factory, now=clock.now(), clinic_name="Elsewhere", email="e@elsewhere.example"
        )
        assert admin.post(f"/api/staff/{elsewhere.id}/password-reset").status_code == 404


class TestUsing:
    def test_sets_the_password_once_and_ends_every_session(
        self,
        admin: TestClient,
        nurse: StaffUser,
        app: FastAPI,
        stranger: TestClient,
        factory: sessionmaker[Session],
    ) -> None:
        with TestClient(app) as nurses_old_browser:
            log_in(nurses_old_browser, NURSE)
            token = token_of(issue(admin, nurse))
            holder = stranger.post("/api/auth/password-reset/check", json={"token": token})
            assert holder.status_code == 200
            assert (holder.json()["email"], holder.json()["name"]) == (NURSE, "Nia Patel")
            assert use(stranger, token).status_code == 204
            assert nurses_old_browser.get("/api/auth/me").status_code == 401
        assert login_status(stranger, NURSE, STAFF_PASSWORD) == 401
        assert login_status(stranger, NURSE, NEW_PASSWORD) == 200
        again = use(stranger, token, "yet another long passphrase")
        assert (again.status_code, again.json()["code"]) == (410, "reset_link_used")
        assert ("staff.password_reset_use", {}) in trail(factory)

    def test_a_weak_password_is_refused_and_the_link_still_works(
        self, admin: TestClient, nurse: StaffUser, stranger: TestClient
    ) -> None:
        token = token_of(issue(admin, nurse))
        weak = use(stranger, token, "password1234")
        assert (weak.status_code, weak.json()["code"]) == (422, "invalid_input")
        assert "most common" in weak.json()["detail"]  # says why, in words
        assert login_status(stranger, NURSE, STAFF_PASSWORD) == 200
        assert use(stranger, token).status_code == 204

    def test_an_expired_link_is_refused(
        self, admin: TestClient, nurse: StaffUser, stranger: TestClient, clock: FixedClock
    ) -> None:
        token = token_of(issue(admin, nurse))
        clock.advance(timedelta(hours=24))
        answer = use(stranger, token)
        assert (answer.status_code, answer.json()["code"]) == (410, "reset_link_expired")
        assert login_status(stranger, NURSE, STAFF_PASSWORD) == 200

    def test_a_link_of_an_account_disabled_since_is_unknown(
        self, admin: TestClient, nurse: StaffUser, stranger: TestClient
    ) -> None:
        token = token_of(issue(admin, nurse))
        admin.patch(f"/api/staff/{nurse.id}", json={"disabled": True})
        assert use(stranger, token).json()["code"] == "reset_link_unknown"

    def test_guessing_links_is_limited_per_address(
        self, admin: TestClient, nurse: StaffUser, stranger: TestClient
    ) -> None:
        token = token_of(issue(admin, nurse))
        for guess in ["not-a-link", "x" * 32, "y" * 32]:
            answer = stranger.post("/api/auth/password-reset/check", json={"token": guess})
            assert answer.json()["code"] == "reset_link_unknown"
        refused = use(stranger, token)
        assert (refused.status_code, refused.json()["code"]) == (429, "too_many_attempts")
        assert login_status(stranger, NURSE, STAFF_PASSWORD) == 200  # nothing changed


class TestResettingASecondFactor:
    def test_a_lost_phone(
        self,
        admin: TestClient,
        nurse: StaffUser,
        app: FastAPI,
        clock: FixedClock,
        factory: sessionmaker[Session],
    ) -> None:
        with TestClient(app) as nurses_browser:
            log_in(nurses_browser, NURSE)
            turn_on_totp(nurses_browser, now=clock.now())
            assert admin.post(f"/api/staff/{nurse.id}/totp/reset").status_code == 204
            assert nurses_browser.get("/api/auth/me").status_code == 401  # signed out
            signed_in = nurses_browser.post(
                "/api/auth/login", json={"email": NURSE, "password": STAFF_PASSWORD}
            )
            assert signed_in.json()["second_factor_required"] is False  # the password alone
        assert trail(factory)[-1] == ("staff.totp_reset", {"staff_id": str(nurse.id)})

    def test_not_ones_own(self, admin: TestClient, clock: FixedClock) -> None:
        secret = turn_on_totp(admin, now=clock.now())
        me = admin.get("/api/auth/me").json()
        answer = admin.post(f"/api/staff/{me['id']}/totp/reset")
        assert (answer.status_code, answer.json()["code"]) == (409, "own_second_factor")
        assert code_at(secret, clock.now())  # still the account's factor
        assert admin.get("/api/auth/me").json()["totp_enabled"] is True

    def test_none_to_reset(self, admin: TestClient, nurse: StaffUser) -> None:
        answer = admin.post(f"/api/staff/{nurse.id}/totp/reset")
        assert (answer.status_code, answer.json()["code"]) == (409, "totp_not_enabled")


def test_the_stored_account_is_unchanged_by_a_refused_use(
    admin: TestClient, nurse: StaffUser, stranger: TestClient, factory: sessionmaker[Session]
) -> None:
    before = stored_hash(factory)
    token = token_of(issue(admin, nurse))
    use(stranger, token, "short")
    assert stored_hash(factory) == before


def stored_hash(factory: sessionmaker[Session]) -> str:
    with transaction(factory) as session:
        return session.exec(select(StaffUser).where(StaffUser.email == NURSE)).one().password_hash
