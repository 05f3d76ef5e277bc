"""Signing in and out is audited: success, failure, refusal over a limit, logout; the password
change and the second factor on and off too; never a typed e-mail address or password."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.clock import FixedClock
from app.db import transaction
from app.staff.models import AuditEvent, StaffRole, StaffUser
from app.staff.totp import code_at
from tests.support.api import sign_in_staff, turn_on_totp
from tests.support.factories import STAFF_PASSWORD, make_clinic_with_staff

EMAIL = "nurse@riverside.example"
DESK = ("198.51.100.10", 1)


def trail(factory: sessionmaker[Session]) -> list[AuditEvent]:
    with transaction(factory) as session:
        return list(session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all())


def staff_id(factory: sessionmaker[Session], email: str = EMAIL) -> object:
    with transaction(factory) as session:
        return session.exec(select(StaffUser.id).where(StaffUser.email == email)).one()


def login(browser: TestClient, email: str = EMAIL, password: str = STAFF_PASSWORD) -> int:
    return browser.post("/api/auth/login", json={"email": email, "password": password}).status_code


class TestSignInEvents:
    def test_success_failure_and_logout_are_recorded_with_who_and_where(
        self, app: FastAPI, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        make_clinic_with_staff(factory, now=clock.now())
        with TestClient(app, client=DESK) as browser:
            assert login(browser, password="typed wrongly once") == 401
            assert login(browser) == 200
            assert browser.post("/api/auth/logout").status_code == 204
            assert browser.post("/api/auth/logout").status_code == 204  # nothing to end
        nurse = staff_id(factory)
        events = [(e.action, e.staff_id, e.ip, e.detail) for e in trail(factory)]
        assert events == [
            ("staff.login_failed", nurse, DESK[0], {"step": "password"}),
            ("staff.login", nurse, DESK[0], {}),
            ("staff.logout", nurse, DESK[0], {}),
        ]

    def test_an_unknown_address_is_recorded_with_no_account_and_nothing_typed(
        self, app: FastAPI, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        make_clinic_with_staff(factory, now=clock.now())
        typed_email, typed_password = "Somebody.Else@Example.org", "a guess at a password"
        with TestClient(app, client=DESK) as browser:
            assert login(browser, typed_email, typed_password) == 401
        [event] = trail(factory)
        assert (event.action, event.staff_id, event.clinic_id) == ("staff.login_failed", None, None)
        stored = repr((event.detail, event.ip, event.action))
        for typed in (typed_email, typed_email.lower(), "somebody", typed_password):
            assert typed not in stored

    def test_a_refusal_over_a_limit_is_recorded_once_a_minute_not_per_request(
        self, app: FastAPI, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        make_clinic_with_staff(factory, now=clock.now())
        with TestClient(app, client=DESK) as browser:
            for _ in range(5):
                assert login(browser, password="not the password!") == 401
            for _ in range(10):  # a script hammering: one event, not ten writes
                assert login(browser) == 429
            clock.advance(timedelta(seconds=61))
            assert login(browser, password="not the password!") == 401  # its wait was over
            assert login(browser) == 429
        refusals = [e for e in trail(factory) if e.action == "staff.login_refused"]
        assert [(e.staff_id, e.detail) for e in refusals] == [
            (staff_id(factory), {"step": "password", "retry_after": 30}),
            (staff_id(factory), {"step": "password", "retry_after": 60}),
        ]

    def test_the_totp_step_records_a_wrong_code_and_the_sign_in(
        self, client: TestClient, app: FastAPI, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        sign_in_staff(client, factory, now=clock.now(), role=StaffRole.ADMIN)
        secret = turn_on_totp(client, now=clock.now())
        clock.advance(timedelta(seconds=30))
        right = code_at(secret, clock.now())
        with TestClient(app, client=DESK) as browser:
            assert login(browser) == 200  # password right: pending, not yet signed in
            wrong = f"{(int(right) + 1) % 1_000_000:06d}"
            assert browser.post("/api/auth/login/totp", json={"code": wrong}).status_code == 401
            assert browser.post("/api/auth/login/totp", json={"code": right}).status_code == 200
        actions = [(e.action, e.detail) for e in trail(factory)]
        assert actions == [
            ("staff.login", {}),  # the first sign-in, before TOTP was on
            ("staff.totp_enable", {}),
            ("staff.login_failed", {"step": "totp"}),
            ("staff.login", {"second_factor": True}),
        ]


class TestChangesToSignIn:
    def test_password_change_and_totp_off_are_recorded_without_secrets(
        self, client: TestClient, factory: sessionmaker[Session], clock: FixedClock
    ) -> None:
        sign_in_staff(client, factory, now=clock.now())
        secret = turn_on_totp(client, now=clock.now())
        new = "a fresh long passphrase"
        changed = client.post(
            "/api/auth/password", json={"current_password": STAFF_PASSWORD, "new_password": new}
        )
        assert changed.status_code == 204
        clock.advance(timedelta(seconds=30))
        off = client.post(
            "/api/auth/totp/disable", json={"password": new, "code": code_at(secret, clock.now())}
        )
        assert off.status_code == 204
        events = trail(factory)
        assert [e.action for e in events] == [
            "staff.login", "staff.totp_enable", "staff.password_change", "staff.totp_disable",
        ]  # fmt: skip
        stored = repr([(e.detail, e.ip) for e in events])
        assert new not in stored and STAFF_PASSWORD not in stored and secret not in stored
