"""/api/staff/me/sessions: staff see their own live sessions and end one or all the others."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.clock import FixedClock
from app.db import transaction
from app.staff.models import AuditEvent
from tests.support.api import log_in, sign_in_staff, turn_on_totp
from tests.support.factories import STAFF_PASSWORD, add_staff

SESSIONS = "/api/staff/me/sessions"


@pytest.fixture
def laptop(app: FastAPI) -> Iterator[TestClient]:
    """The same nurse's second browser, another desk's."""
    with TestClient(app, headers={"User-Agent": "Firefox on the ward laptop"}) as laptop:
        yield laptop


@pytest.fixture
def nurse(
    client: TestClient, laptop: TestClient, factory: sessionmaker[Session], clock: FixedClock
) -> TestClient:
    """Signed in on `client` (the desk PC) and, a minute later, on `laptop`."""
    client.headers["User-Agent"] = "Chrome on the desk PC"
    sign_in_staff(client, factory, now=clock.now())
    clock.advance(timedelta(minutes=1))
    log_in(laptop)
    return client


def sessions(client: TestClient) -> list[dict[str, Any]]:
    response = client.get(SESSIONS)
    assert response.status_code == 200, response.text
    listed: list[dict[str, Any]] = response.json()
    return listed


def audit(factory: sessionmaker[Session]) -> list[tuple[str, dict[str, Any]]]:
    with transaction(factory) as session:
        return [(e.action, e.detail) for e in session.exec(select(AuditEvent)).all()]


def test_the_list_shows_this_session_first_and_no_secrets(
    nurse: TestClient, laptop: TestClient, clock: FixedClock
) -> None:
    listed = sessions(nurse)
    assert [(s["current"], s["user_agent"]) for s in listed] == [
        (True, "Chrome on the desk PC"),
        (False, "Firefox on the ward laptop"),
    ]
    assert set(listed[0]) == {
        "id", "created_at", "last_seen_at", "ip", "user_agent", "current",
        "second_factor_pending",
    }  # fmt: skip
    assert listed[0]["ip"] == "testclient"
    assert [s["current"] for s in sessions(laptop)] == [True, False]
    assert "token" not in str(listed) and "hash" not in str(listed)


def test_ended_and_expired_sessions_are_not_listed(
    nurse: TestClient, laptop: TestClient, clock: FixedClock
) -> None:
    laptop.post("/api/auth/logout")
    assert len(sessions(nurse)) == 1
    log_in(laptop)
    clock.advance(timedelta(minutes=29))  # the desk PC is kept alive, the laptop goes idle
    assert len(sessions(nurse)) == 2
    clock.advance(timedelta(minutes=2))
    assert [s["user_agent"] for s in sessions(nurse)] == ["Chrome on the desk PC"]


def test_ending_another_of_my_sessions_signs_that_browser_out(
    nurse: TestClient, laptop: TestClient, factory: sessionmaker[Session]
) -> None:
    other = sessions(nurse)[1]
    assert nurse.delete(f"{SESSIONS}/{other['id']}").status_code == 204
    assert laptop.get("/api/auth/me").status_code == 401
    assert nurse.get("/api/auth/me").status_code == 200
    ended = {"session_id": other["id"], "current": False}
    assert audit(factory)[-1] == ("staff.session_end", ended)
    again = nurse.delete(f"{SESSIONS}/{other['id']}")
    assert (again.status_code, again.json()["code"]) == (404, "not_found")


def test_ending_the_session_in_use_signs_out_here(nurse: TestClient) -> None:
    mine = sessions(nurse)[0]
    response = nurse.delete(f"{SESSIONS}/{mine['id']}")
    assert response.status_code == 204
    assert "aftercare_staff=" in response.headers["set-cookie"]  # cleared
    assert nurse.get("/api/auth/me").status_code == 401


def test_someone_elses_session_is_404_like_an_unknown_one(
    nurse: TestClient,
    app: FastAPI,
    factory: sessionmaker[Session],
    clock: FixedClock,
) -> None:
    add_staff(
        factory, colleague_of="nurse@riverside.example", email="doc@riverside.example",
        now=clock.now(),
    )  # fmt: skip
    with TestClient(app) as colleague:
        log_in(colleague, "doc@riverside.example")
        theirs = sessions(colleague)[0]["id"]
        refused = nurse.delete(f"{SESSIONS}/{theirs}")
        assert (refused.status_code, refused.json()["code"]) == (404, "not_found")
        assert colleague.get("/api/auth/me").status_code == 200
        unknown = nurse.delete(f"{SESSIONS}/00000000-0000-4000-8000-000000000000")
        assert unknown.json() == refused.json()
        assert [s["user_agent"] for s in sessions(colleague)] == ["testclient"]


def test_signing_out_everywhere_else_keeps_this_one(
    nurse: TestClient, laptop: TestClient, app: FastAPI, factory: sessionmaker[Session]
) -> None:
    with TestClient(app) as phone:
        log_in(phone)
        response = nurse.post(f"{SESSIONS}/end-others")
        assert response.status_code == 200
        assert response.json() == {"ended": 2}
        assert phone.get("/api/auth/me").status_code == 401
    assert laptop.get("/api/auth/me").status_code == 401
    assert [s["current"] for s in sessions(nurse)] == [True]
    assert audit(factory)[-1] == ("staff.sessions_end_others", {"ended": 2})
    assert nurse.post(f"{SESSIONS}/end-others").json() == {"ended": 0}


def test_a_session_waiting_for_its_code_is_listed_and_can_be_ended(
    nurse: TestClient, laptop: TestClient, app: FastAPI, clock: FixedClock
) -> None:
    turn_on_totp(nurse, now=clock.now())
    with TestClient(app) as stranger:
        login = stranger.post(
            "/api/auth/login", json={"email": "nurse@riverside.example", "password": STAFF_PASSWORD}
        )
        assert login.json()["second_factor_required"] is True
        pending = [s for s in sessions(nurse) if s["second_factor_pending"]]
        assert len(pending) == 1
        assert nurse.post(f"{SESSIONS}/end-others").json() == {"ended": 2}
        assert stranger.post("/api/auth/login/totp", json={"code": "000000"}).status_code == 401


def test_anonymous_is_refused(client: TestClient) -> None:
    assert client.get(SESSIONS).status_code == 401
    assert client.post(f"{SESSIONS}/end-others").status_code == 401
