"""The request's unit of work (SessionDep) and the plain lookups every route depends on."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.api.deps import (
    SessionDep,
    get_clock,
    get_protocol,
    get_session,
    get_session_factory,
    get_settings,
)
from app.api.patient_access import admin_access, staff_access
from app.api.patient_auth import current_device, current_patient
from app.api.staff_auth import admin_staff
from app.clinics.models import Clinic

CREATED = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)


def _app(factory: sessionmaker[Session]) -> FastAPI:
    app = FastAPI()
    app.state.session_factory = factory

    @app.post("/clinics/{name}")
    def add(name: str, session: SessionDep) -> dict[str, str]:
        session.add(Clinic(name=name, created_at=CREATED))  # flushed by the commit
        return {"added": name}

    @app.post("/clinics/{name}/refused")
    def add_then_refuse(name: str, session: SessionDep) -> dict[str, str]:
        session.add(Clinic(name=name, created_at=CREATED))
        session.flush()
        raise HTTPException(409, "changed my mind")

    return app


def _names(factory: sessionmaker[Session]) -> list[str]:
    with factory() as session:
        return sorted(session.exec(select(Clinic.name)).all())


class TestUnitOfWork:
    def test_what_a_handler_wrote_is_committed_when_it_returns(
        self, factory: sessionmaker[Session]
    ) -> None:
        with TestClient(_app(factory)) as client:
            assert client.post("/clinics/Riverside").status_code == 200
        assert _names(factory) == ["Riverside"]

    def test_what_a_failing_handler_wrote_is_rolled_back(
        self, factory: sessionmaker[Session]
    ) -> None:
        with TestClient(_app(factory)) as client:
            assert client.post("/clinics/Riverside/refused").status_code == 409
            assert client.post("/clinics/Hillside").status_code == 200  # the app goes on
        assert _names(factory) == ["Hillside"]

    def test_a_commit_that_fails_is_an_error_never_a_success(
        self, factory: sessionmaker[Session]
    ) -> None:
        with TestClient(_app(factory), raise_server_exceptions=False) as client:
            assert client.post("/clinics/Riverside").status_code == 200
            # The duplicate name is only found when the commit flushes, after the handler.
            assert client.post("/clinics/Riverside").status_code == 500
            assert client.post("/clinics/Hillside").status_code == 200
        assert _names(factory) == ["Hillside", "Riverside"]


@pytest.mark.parametrize(
    "dependency",
    [
        get_settings,
        get_clock,
        get_protocol,
        get_session,
        current_patient,
        current_device,
        staff_access,
        admin_access,
        admin_staff,
        get_session_factory,
    ],
)
def test_dependencies_without_io_of_their_own_take_no_worker_thread(dependency: object) -> None:
    # FastAPI runs a sync dependency in a worker thread: a hop that costs more CPU than these
    # do (bench/request_cost.py). The session's commit or rollback still goes to a thread.
    assert inspect.iscoroutinefunction(dependency) or inspect.isasyncgenfunction(dependency)
