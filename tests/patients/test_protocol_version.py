"""Protocol versions are pinned: every re-plan follows the patient's own version, and staff
move a patient to another version deliberately (PUT /api/patients/{id}/protocol)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.clock import FixedClock
from app.config import Settings
from app.main import create_app
from app.patients.protocols import ProtocolSource
from app.protocols.loader import (
    Protocol,
    ProtocolError,
    available_versions,
    load_protocol,
    load_protocol_file,
)
from app.staff.models import AuditEvent
from app.tasks.models import Occurrence
from tests.support.api import enrol, log_in, pair_phone, sign_in_staff

NEWEST = max(available_versions("microsclerotherapy"))
# The cream's keys tell the versions apart: v1 counts days, v2 names dates.
V1_CREAM = "hydrocortisone/t1/d3/evening"
V2_CREAM = "hydrocortisone/t1/2026-03-30/evening"


def keys(factory: sessionmaker[Session], patient_id: str) -> set[str]:
    with factory() as session:
        return set(
            session.exec(
                select(Occurrence.key).where(Occurrence.patient_id == uuid.UUID(patient_id))
            ).all()
        )


def enrol_on_v1(app: FastAPI, staff: TestClient, **fields: Any) -> dict[str, Any]:
    """A patient enrolled while version 1 was the newest (then version 2 shipped)."""
    shipped: ProtocolSource = app.state.protocols

    def before_v2(name: str, version: int | None) -> Protocol:
        return load_protocol(name, 1 if version is None else version)

    app.state.protocols = dataclasses.replace(shipped, load=before_v2, versions=lambda _: (1,))
    try:
        return enrol(staff, **fields)
    finally:
        app.state.protocols = shipped


def audits(factory: sessionmaker[Session], action: str) -> list[dict[str, Any]]:
    with factory() as session:
        return list(
            session.exec(select(AuditEvent.detail).where(AuditEvent.action == action)).all()
        )


class TestPinned:
    def test_a_clinic_can_hold_enrolment_at_the_version_it_reviewed(
        self, settings: Settings, clock: FixedClock, engine: Engine, factory: sessionmaker[Session]
    ) -> None:
        held = settings.model_copy(update={"protocol_version": 1})
        with TestClient(create_app(held, clock=clock, engine=engine)) as client:
            sign_in_staff(client, factory, now=clock.now())
            created = enrol(client)
            detail = client.get(f"/api/patients/{created['id']}").json()
        assert detail["protocol_version"] == 1
        assert V1_CREAM in keys(factory, created["id"])

    def test_a_version_that_does_not_exist_stops_the_start(
        self, settings: Settings, clock: FixedClock, engine: Engine
    ) -> None:
        with pytest.raises(ProtocolError, match="version"):
            create_app(
                settings.model_copy(update={"protocol_version": 99}), clock=clock, engine=engine
            )

    def test_enrolment_pins_the_newest_version_and_the_detail_shows_both(
        self, staff: TestClient, factory: sessionmaker[Session]
    ) -> None:
        assert NEWEST >= 2
        created = enrol(staff)
        detail = staff.get(f"/api/patients/{created['id']}").json()
        assert (detail["protocol"], detail["protocol_version"]) == ("microsclerotherapy", NEWEST)
        assert detail["protocol_newest_version"] == NEWEST
        assert detail["protocol_versions"] == list(range(1, NEWEST + 1))
        assert V2_CREAM in keys(factory, created["id"])

    def test_a_re_plan_follows_the_patients_version_not_the_newest(
        self,
        app: FastAPI,
        staff: TestClient,
        phone: TestClient,
        factory: sessionmaker[Session],
        clock: FixedClock,
    ) -> None:
        created = enrol_on_v1(app, staff)
        assert V1_CREAM in keys(factory, created["id"])
        detail = staff.get(f"/api/patients/{created['id']}").json()
        assert (detail["protocol_version"], detail["protocol_newest_version"]) == (1, NEWEST)
        # Every kind of re-plan: a re-treatment, a booking, a changed preference.
        clock.advance(timedelta(hours=1))
        log_in(staff)
        treated = staff.post(
            f"/api/patients/{created['id']}/treatments",
            json={"performed_at": clock.now().isoformat()},
        )
        assert treated.status_code == 201, treated.text
        booked = staff.put(
            f"/api/patients/{created['id']}/appointments/follow_up/1",
            json={"booked_at": "2026-04-13T14:30:00+01:00"},
        )
        assert booked.status_code == 200, booked.text
        pair_phone(phone, created["enrolment"]["code"])
        changed = phone.patch("/api/me/preferences", json={"wake_time": "06:45"})
        assert changed.status_code == 200, changed.text
        plan = keys(factory, created["id"])
        assert "remove_stocking/t2" in plan  # re-planned, with the re-treatment
        assert V1_CREAM in plan  # still ahead, still by version 1's rules
        assert not any(key.startswith("hydrocortisone/t1/2026") for key in plan)
        listed = staff.get(f"/api/patients/{created['id']}/appointments")
        assert listed.status_code == 200  # the old version stays loadable
        assert staff.get(f"/api/patients/{created['id']}").json()["protocol_version"] == 1


class TestMove:
    def test_moving_re_plans_what_is_ahead_and_keeps_what_is_done_and_past(
        self,
        app: FastAPI,
        staff: TestClient,
        factory: sessionmaker[Session],
        clock: FixedClock,
    ) -> None:
        created = enrol_on_v1(app, staff)
        clock.advance(timedelta(days=1))  # 12:00 on Saturday 28 March: day 1
        log_in(staff)
        before = keys(factory, created["id"])
        past = {"hydrocortisone/t1/d1/morning"}  # 10:00 today: past, stays as history
        assert past <= before
        response = staff.put(
            f"/api/patients/{created['id']}/protocol",
            json={"version": NEWEST, "reason": "v2 approved by the clinical lead"},
        )
        assert response.status_code == 200, response.text
        assert response.json()["protocol_version"] == NEWEST
        after = keys(factory, created["id"])
        assert past <= after
        assert V1_CREAM not in after and V2_CREAM in after
        [detail] = audits(factory, "patient.protocol")
        assert detail == {
            "protocol": "microsclerotherapy",
            "before": {"version": 1},
            "after": {"version": NEWEST},
            "changed": True,
            "reason_length": len("v2 approved by the clinical lead"),  # free text: length only
        }

    def test_moving_back_to_an_old_version_works(
        self, staff: TestClient, factory: sessionmaker[Session]
    ) -> None:
        created = enrol(staff)
        response = staff.put(
            f"/api/patients/{created['id']}/protocol",
            json={"version": 1, "reason": "stays on the rules of her first course"},
        )
        assert response.status_code == 200, response.text
        assert V1_CREAM in keys(factory, created["id"])

    def test_the_same_version_is_a_no_op_not_an_error(
        self, staff: TestClient, factory: sessionmaker[Session]
    ) -> None:
        created = enrol(staff)
        before = keys(factory, created["id"])
        response = staff.put(
            f"/api/patients/{created['id']}/protocol", json={"version": NEWEST, "reason": "again"}
        )
        assert response.status_code == 200
        assert response.json()["protocol_version"] == NEWEST
        assert keys(factory, created["id"]) == before
        [detail] = audits(factory, "patient.protocol")
        assert detail["changed"] is False

    @pytest.mark.parametrize(
        ("body", "code", "words"),
        [
            ({"version": 1}, "reason_required", "Please say why"),
            ({"version": 1, "reason": "   "}, "reason_required", "Please say why"),
            ({"version": 99, "reason": "typo"}, "protocol_version_unknown", "versions available"),
            ({"version": 0, "reason": "x"}, "invalid_input", "version"),
            ({"reason": "x"}, "invalid_input", "version"),
            ({"version": 1, "reason": "x", "extra": 1}, "invalid_input", "extra"),
        ],
    )
    def test_refusals_say_what_is_wrong_and_change_nothing(
        self,
        staff: TestClient,
        factory: sessionmaker[Session],
        body: dict[str, Any],
        code: str,
        words: str,
    ) -> None:
        created = enrol(staff)
        before = keys(factory, created["id"])
        response = staff.put(f"/api/patients/{created['id']}/protocol", json=body)
        assert (response.status_code, response.json()["code"]) == (422, code)
        assert words in response.json()["detail"]
        if code == "protocol_version_unknown":
            listed = ", ".join(str(v) for v in range(1, NEWEST + 1))
            assert listed in response.json()["detail"]
        assert keys(factory, created["id"]) == before
        assert audits(factory, "patient.protocol") == []

    def test_another_clinics_patient_is_not_found(
        self, staff: TestClient, hill: TestClient
    ) -> None:
        created = enrol(staff)
        response = hill.put(
            f"/api/patients/{created['id']}/protocol", json={"version": 1, "reason": "x"}
        )
        assert (response.status_code, response.json()["code"]) == (404, "not_found")

    def test_documented_with_every_error(self, client: TestClient) -> None:
        operation = client.get("/openapi.json").json()["paths"][
            "/api/patients/{patient_id}/protocol"
        ]
        assert {"401", "404", "422"} <= set(operation["put"]["responses"])


def test_a_test_protocol_goes_in_through_the_source(
    app: FastAPI, staff: TestClient, factory: sessionmaker[Session], tmp_path: Path
) -> None:
    """The seam for a protocol of a test's own: app.state.protocols, no special case."""
    file = tmp_path / "short.toml"
    file.write_text(
        'name = "short"\nversion = 1\n[[tasks]]\ncode = "rest"\nkind = "task"\n'
        'title = "Rest"\ninstructions = "Sit down."\nschedule = "once"\n'
        "after_hours = 2\nwindow_hours = 1\n",
        encoding="utf-8",
    )
    short = load_protocol_file(file)
    app.state.protocols = ProtocolSource(
        configured="short", load=lambda _name, _version: short, versions=lambda _: (1,)
    )
    created = enrol(staff)
    assert keys(factory, created["id"]) == {"rest/t1"}
    detail = staff.get(f"/api/patients/{created['id']}").json()
    assert (detail["protocol"], detail["protocol_version"]) == ("short", 1)
