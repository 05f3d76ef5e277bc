"""Turning TOTP on and off, and a code being usable once, even by two requests at once."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.clock import FixedClock
from app.db import transaction
from app.staff import second_factor, totp_secrets
from app.staff.models import AuditEvent, StaffUser
from app.staff.service import use_totp_code
from app.staff.totp import code_at
from tests.support.api import turn_on_totp
from tests.support.factories import STAFF_PASSWORD, make_clinic_with_staff

EMAIL = "nurse@riverside.example"
LOGIN = {"email": EMAIL, "password": STAFF_PASSWORD}


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def stored(factory: sessionmaker[Session]) -> StaffUser:
    with transaction(factory) as session:
        return session.exec(select(StaffUser).where(StaffUser.email == EMAIL)).one()


def actions(factory: sessionmaker[Session]) -> list[str]:
    """The trail less signing in and out (tests/security/test_security_login_audit.py)."""
    with transaction(factory) as session:
        events = session.exec(select(AuditEvent)).all()
        signing_in = ("staff.login", "staff.logout")
        return [e.action for e in events if not e.action.startswith(signing_in)]


def set_up(client: TestClient) -> str:
    response = client.post("/api/auth/totp/setup", json={"password": STAFF_PASSWORD})
    assert response.status_code == 200, response.text
    secret: str = response.json()["secret"]
    return secret


class TestSetUp:
    def test_gives_the_secret_as_text_uri_and_qr_code_but_is_not_on_yet(
        self, staff: TestClient, factory: sessionmaker[Session]
    ) -> None:
        response = staff.post("/api/auth/totp/setup", json={"password": STAFF_PASSWORD})
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"secret", "otpauth_uri", "qr_svg"}
        assert body["otpauth_uri"].startswith("otpauth://totp/")
        assert f"secret={body['secret']}" in body["otpauth_uri"]
        assert body["qr_svg"].startswith("<svg") and "<path" in body["qr_svg"]
        assert "<script" not in body["qr_svg"]
        # Stored sealed (AES-GCM under the key file): a dump of the table shows no seed.
        sealed = stored(factory).totp_secret
        assert sealed is not None and sealed.startswith("v1:") and body["secret"] not in sealed
        assert totp_secrets.open_secret(sealed) == body["secret"]
        assert staff.get("/api/auth/me").json()["totp_enabled"] is False
        login = staff.post("/api/auth/login", json=LOGIN).json()
        assert login["second_factor_required"] is False

    def test_needs_the_password(self, staff: TestClient, factory: sessionmaker[Session]) -> None:
        response = staff.post("/api/auth/totp/setup", json={"password": "not the password"})
        assert (response.status_code, response.json()["code"]) == (422, "wrong_password")
        assert stored(factory).totp_secret is None
        assert staff.get("/api/auth/me").status_code == 200  # still signed in

    def test_again_replaces_the_secret(self, staff: TestClient, clock: FixedClock) -> None:
        first, second = set_up(staff), set_up(staff)
        assert first != second
        old_code = {"code": code_at(first, clock.now())}
        assert staff.post("/api/auth/totp/enable", json=old_code).status_code == 422
        new_code = {"code": code_at(second, clock.now())}
        assert staff.post("/api/auth/totp/enable", json=new_code).status_code == 204

    def test_is_refused_while_on(self, staff: TestClient, clock: FixedClock) -> None:
        secret = turn_on_totp(staff, now=clock.now())
        response = staff.post("/api/auth/totp/setup", json={"password": STAFF_PASSWORD})
        assert (response.status_code, response.json()["code"]) == (409, "totp_already_enabled")
        clock.advance(timedelta(seconds=30))
        staff.post("/api/auth/logout")
        staff.post("/api/auth/login", json=LOGIN)
        assert (
            staff.post(
                "/api/auth/login/totp", json={"code": code_at(secret, clock.now())}
            ).status_code
            == 200
        )


class TestEnable:
    def test_a_right_code_turns_it_on_for_the_next_login(
        self, staff: TestClient, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        secret = set_up(staff)
        response = staff.post("/api/auth/totp/enable", json={"code": code_at(secret, clock.now())})
        assert response.status_code == 204
        assert staff.get("/api/auth/me").json()["totp_enabled"] is True  # this session stays
        assert stored(factory).totp_enabled_at == clock.now()
        assert actions(factory) == ["staff.totp_enable"]
        assert staff.post("/api/auth/login", json=LOGIN).json() == {
            "second_factor_required": True,
            "staff": None,
        }

    def test_a_wrong_code_leaves_it_off(
        self, staff: TestClient, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        secret = set_up(staff)
        response = staff.post(
            "/api/auth/totp/enable", json={"code": wrong(code_at(secret, clock.now()))}
        )
        assert (response.status_code, response.json()["code"]) == (422, "wrong_code")
        assert stored(factory).totp_enabled_at is None
        assert actions(factory) == []

    def test_five_wrong_codes_lock_it_for_the_window(
        self, staff: TestClient, clock: FixedClock
    ) -> None:
        secret = set_up(staff)
        right = code_at(secret, clock.now())
        for _ in range(5):
            assert (
                staff.post("/api/auth/totp/enable", json={"code": wrong(right)}).status_code == 422
            )
        refused = staff.post("/api/auth/totp/enable", json={"code": right})
        assert (refused.status_code, refused.json()["code"]) == (429, "too_many_attempts")
        assert "retry-after" in refused.headers

    def test_needs_a_set_up_secret_first(self, staff: TestClient) -> None:
        response = staff.post("/api/auth/totp/enable", json={"code": "123456"})
        assert (response.status_code, response.json()["code"]) == (409, "totp_not_set_up")

    def test_twice_is_refused(self, staff: TestClient, clock: FixedClock) -> None:
        secret = turn_on_totp(staff, now=clock.now())
        clock.advance(timedelta(seconds=30))
        response = staff.post("/api/auth/totp/enable", json={"code": code_at(secret, clock.now())})
        assert (response.status_code, response.json()["code"]) == (409, "totp_already_enabled")

    @pytest.mark.parametrize("code", ["12345", "1234567890123", "abcdef"])
    def test_malformed_codes_are_refused(self, staff: TestClient, code: str) -> None:
        set_up(staff)
        assert staff.post("/api/auth/totp/enable", json={"code": code}).status_code == 422


class TestDisable:
    @pytest.fixture
    def secret(self, staff: TestClient, clock: FixedClock) -> str:
        secret = turn_on_totp(staff, now=clock.now())
        clock.advance(timedelta(seconds=30))
        return secret

    def test_with_password_and_code_it_goes_off(
        self, staff: TestClient, factory: sessionmaker[Session], secret: str, clock: FixedClock
    ) -> None:
        body = {"password": STAFF_PASSWORD, "code": code_at(secret, clock.now())}
        assert staff.post("/api/auth/totp/disable", json=body).status_code == 204
        row = stored(factory)
        assert (row.totp_secret, row.totp_enabled_at, row.totp_last_step) == (None, None, None)
        assert actions(factory) == ["staff.totp_enable", "staff.totp_disable"]
        assert staff.post("/api/auth/login", json=LOGIN).json()["second_factor_required"] is False

    def test_a_wrong_password_keeps_it_on(
        self, staff: TestClient, factory: sessionmaker[Session], secret: str, clock: FixedClock
    ) -> None:
        body = {"password": "not the password", "code": code_at(secret, clock.now())}
        response = staff.post("/api/auth/totp/disable", json=body)
        assert (response.status_code, response.json()["code"]) == (422, "wrong_password")
        assert stored(factory).totp_enabled_at is not None

    def test_a_wrong_code_keeps_it_on(
        self, staff: TestClient, factory: sessionmaker[Session], secret: str, clock: FixedClock
    ) -> None:
        body = {"password": STAFF_PASSWORD, "code": wrong(code_at(secret, clock.now()))}
        response = staff.post("/api/auth/totp/disable", json=body)
        assert (response.status_code, response.json()["code"]) == (422, "wrong_code")
        assert stored(factory).totp_enabled_at is not None

    def test_the_code_just_used_to_sign_in_is_not_accepted_again(
        self, staff: TestClient, factory: sessionmaker[Session], secret: str, clock: FixedClock
    ) -> None:
        code = code_at(secret, clock.now())
        staff.post("/api/auth/login", json=LOGIN)
        assert staff.post("/api/auth/login/totp", json={"code": code}).status_code == 200
        body = {"password": STAFF_PASSWORD, "code": code}
        assert staff.post("/api/auth/totp/disable", json=body).json()["code"] == "wrong_code"
        assert stored(factory).totp_enabled_at is not None

    def test_when_off_is_refused(self, client: TestClient, staff: TestClient) -> None:
        response = staff.post(
            "/api/auth/totp/disable", json={"password": STAFF_PASSWORD, "code": "123456"}
        )
        assert (response.status_code, response.json()["code"]) == (409, "totp_not_enabled")


class TestCodeUsedOnce:
    @pytest.fixture
    def secret(self, factory: sessionmaker[Session], clock: FixedClock) -> str:
        make_clinic_with_staff(factory, now=clock.now())
        with transaction(factory) as session:
            staff = session.exec(select(StaffUser).where(StaffUser.email == EMAIL)).one()
            return second_factor.set_up(session, staff=staff, password=STAFF_PASSWORD).secret

    def claim(self, factory: sessionmaker[Session], code: str, clock: FixedClock) -> bool:
        with transaction(factory) as session:
            staff = session.exec(select(StaffUser).where(StaffUser.email == EMAIL)).one()
            return use_totp_code(session, staff=staff, code=code, now=clock.now())

    def test_the_same_code_twice_wins_once(
        self, factory: sessionmaker[Session], secret: str, clock: FixedClock
    ) -> None:
        code = code_at(secret, clock.now())
        assert self.claim(factory, code, clock) is True
        assert self.claim(factory, code, clock) is False
        clock.advance(timedelta(seconds=30))
        assert self.claim(factory, code_at(secret, clock.now()), clock) is True

    def test_an_older_code_is_refused_once_a_newer_one_was_used(
        self, factory: sessionmaker[Session], secret: str, clock: FixedClock
    ) -> None:
        earlier = code_at(secret, clock.now() - timedelta(seconds=30))
        assert self.claim(factory, code_at(secret, clock.now()), clock) is True
        assert self.claim(factory, earlier, clock) is False  # still in the window, but older

    def test_two_requests_with_the_same_code_at_once_cannot_both_win(
        self, factory: sessionmaker[Session], secret: str, clock: FixedClock
    ) -> None:
        code = code_at(secret, clock.now())
        first = factory()
        try:
            staff = first.exec(select(StaffUser).where(StaffUser.email == EMAIL)).one()
            assert use_totp_code(first, staff=staff, code=code, now=clock.now()) is True
            with ThreadPoolExecutor(1) as pool:
                # The second reads the row as it was (step unused) and tries the same claim.
                second = pool.submit(self.claim, factory, code, clock)
                time.sleep(0.3)
                assert not second.done()  # it waits for the first's uncommitted claim
                first.commit()
                assert second.result(timeout=15) is False
        finally:
            first.close()
