"""Erasing a patient: every row of theirs goes in one transaction, the audit trail stays."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Column, Table, func, inspect, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, SQLModel, col

from app.clock import FixedClock
from app.db import transaction
from app.patients.models import Patient
from app.records.erasure import erase_patient
from app.staff.models import AuditEvent, StaffRole
from tests.support.api import enrol, log_in, pair_phone, sign_in_staff, subscribe_push
from tests.support.factories import add_staff
from tests.support.sqlite_files import database_bytes

NAME = "Zebedee Erasable"
PHONE = "+44 7700 900999"
# The one table that keeps the patient's id after erasure: who saw and changed what.
KEPT = "audit_event"
# Tables the test patient must have rows in, so the check below proves something.
EXPECTED = {
    "patient", "treatment", "occurrence", "outbox_message", "symptom_report", "alert",
    "enrolment_link", "device_session", "push_subscription", "appointment_booking",
}  # fmt: skip


def references(table: Table) -> list[tuple[Column[Any], str]]:
    """(column, table it points at) for every foreign key and every bare `patient_id`."""
    found = [(fk.parent, fk.column.table.name) for fk in table.foreign_keys]
    if "patient_id" in table.c and not any(c.name == "patient_id" for c, _ in found):
        found.append((table.c.patient_id, "patient"))
    return found


def single_key(table: Table) -> Column[Any] | None:
    keys = list(table.primary_key.columns)
    return keys[0] if len(keys) == 1 else None


def owned_rows(connection: Connection, patient_id: uuid.UUID) -> dict[str, set[Any]]:
    """Primary keys of every row that is the patient's, directly or through other rows.

    Found from the schema (SQLModel's metadata), not from a list in this test: a new table
    that points at the patient, or at anything of theirs, is covered without a change here.
    """
    tables = {t.name: t for t in SQLModel.metadata.sorted_tables if t.name != KEPT}
    owned: dict[str, set[Any]] = {"patient": {patient_id}}
    changed = True
    while changed:
        changed = False
        for table in tables.values():
            conditions = [
                column.in_(owned[target])
                for column, target in references(table)
                if owned.get(target) and target != table.name
            ]
            if not conditions:
                continue
            key_columns = list(table.primary_key.columns)
            for condition in conditions:
                for row in connection.execute(select(*key_columns).where(condition)):
                    key = row[0] if len(key_columns) == 1 else tuple(row)
                    if key not in owned.setdefault(table.name, set()):
                        owned[table.name].add(key)
                        changed = True
    return {name: keys for name, keys in owned.items() if keys}


def remaining(connection: Connection, owned: dict[str, set[Any]]) -> dict[str, int]:
    """Rows still there that were the patient's, or that point at anything that was."""
    left: dict[str, int] = {}
    for table in SQLModel.metadata.sorted_tables:
        if table.name == KEPT:
            continue
        conditions = [
            column.in_(owned[target]) for column, target in references(table) if target in owned
        ]
        key = single_key(table)
        if key is not None and table.name in owned:
            conditions.append(key.in_(owned[table.name]))
        count = sum(
            connection.execute(select(func.count()).select_from(table).where(c)).scalar_one()
            for c in conditions
        )
        if count:
            left[table.name] = count
    return left


def every_value(engine: Engine) -> str:
    """Every row of every table, as text (to look for the patient's name and phone)."""
    with engine.connect() as connection:
        return "\n".join(
            repr(tuple(row))
            for table in SQLModel.metadata.sorted_tables
            for row in connection.execute(select(table))
        )


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in SQLModel.metadata.sorted_tables
        }


def make_rich_patient(staff: TestClient, phone: TestClient, name: str, number: str) -> str:
    """A patient with rows in every table: phone, push, an urgent report, a booking, links."""
    created = enrol(staff, name=name, phone=number)
    pair_phone(phone, created["enrolment"]["code"])
    subscribe_push(phone)
    reported = phone.post(
        "/api/me/reports",
        json={"client_id": str(uuid.uuid4()), "pain": 9, "signs": [], "note": f"{name} hurts"},
    )
    assert reported.status_code == 201, reported.text
    base = f"/api/patients/{created['id']}"
    booked = staff.put(
        f"{base}/appointments/follow_up/1", json={"booked_at": "2026-04-13T14:30:00+01:00"}
    )
    assert booked.status_code == 200, booked.text
    assert staff.post(f"{base}/enrolment").status_code == 201
    assert staff.get(base).status_code == 200
    return str(created["id"])


@pytest.fixture
def admin(
    staff: TestClient, app: Any, factory: sessionmaker[Session], clock: FixedClock
) -> Iterator[TestClient]:
    """An admin of the staff user's clinic, signed in on their own browser."""
    add_staff(
        factory, colleague_of="nurse@riverside.example", email="admin@riverside.example",
        now=clock.now(), role=StaffRole.ADMIN, name="Ada Admin",
    )  # fmt: skip
    with TestClient(app) as browser:
        log_in(browser, "admin@riverside.example")
        yield browser


@pytest.fixture
def erasable(staff: TestClient, phone: TestClient, app: Any, clock: FixedClock) -> str:
    """The patient to erase, and beside them a bystander with the same kinds of rows."""
    patient_id = make_rich_patient(staff, phone, NAME, PHONE)
    clock.advance(timedelta(minutes=1))
    with TestClient(app) as other_phone:
        make_rich_patient(staff, other_phone, "Bea Bystander", "+44 7700 900111")
    return patient_id


def erase(browser: TestClient, patient_id: str, confirm_name: str = NAME) -> Any:
    return browser.request(
        "DELETE", f"/api/patients/{patient_id}", json={"confirm_name": confirm_name}
    )


class TestErase:
    def test_every_row_of_the_patient_goes_and_nothing_else(
        self,
        admin: TestClient,
        staff: TestClient,
        phone: TestClient,
        erasable: str,
        engine: Engine,
    ) -> None:
        patient_id = uuid.UUID(erasable)
        with engine.connect() as connection:
            owned = owned_rows(connection, patient_id)
        assert set(owned) >= EXPECTED, set(owned)
        before = counts(engine)
        assert NAME in every_value(engine)

        response = erase(admin, erasable)
        assert response.status_code == 204, response.text

        with engine.connect() as connection:
            assert remaining(connection, owned) == {}
        after = counts(engine)
        for table, number in before.items():
            expected = number - len(owned.get(table, ())) + (1 if table == KEPT else 0)
            assert after[table] == expected, table  # the bystander's rows are all there
        text = every_value(engine)
        assert NAME not in text and PHONE not in text
        assert "Bea Bystander" in text

        assert staff.get(f"/api/patients/{erasable}").status_code == 404
        refused = phone.get("/api/me")
        assert (refused.status_code, refused.json()["code"]) == (401, "not_authenticated")
        assert erase(admin, erasable).status_code == 404
        names = [p["name"] for p in staff.get("/api/patients").json()["items"]]
        assert names == ["Bea Bystander"]

    def test_the_audit_trail_stays_with_the_bare_id(
        self, admin: TestClient, erasable: str, factory: sessionmaker[Session]
    ) -> None:
        trail = (
            select(AuditEvent)
            .where(col(AuditEvent.patient_id) == uuid.UUID(erasable))
            .order_by(col(AuditEvent.id))
        )
        with factory() as session:
            before = [e.action for e in session.scalars(trail)]
        assert erase(admin, erasable).status_code == 204
        with factory() as session:
            events = list(session.scalars(trail))
        assert [e.action for e in events] == [*before, "patient.erase"]
        erased = events[-1]
        assert erased.detail["patient"] == 1
        assert erased.detail["device_session"] == 1
        assert erased.detail["push_subscription"] == 1
        assert all(isinstance(n, int) for n in erased.detail.values())

    @pytest.mark.parametrize(
        "typed", ["zebedee erasable", f"{NAME} ", f" {NAME}", "Zebedee", "Bea Bystander", ""]
    )
    def test_a_name_that_does_not_match_exactly_erases_nothing(
        self, admin: TestClient, erasable: str, engine: Engine, typed: str
    ) -> None:
        before = counts(engine)
        response = erase(admin, erasable, typed)
        assert (response.status_code, response.json()["code"]) == (422, "confirmation_mismatch")
        assert admin.get(f"/api/patients/{erasable}").status_code == 200
        after = counts(engine)
        assert after["audit_event"] == before["audit_event"] + 1  # the read just above
        assert {t: n for t, n in after.items() if t != KEPT} == {
            t: n for t, n in before.items() if t != KEPT
        }

    def test_the_confirmation_is_required(self, admin: TestClient, erasable: str) -> None:
        missing = admin.request("DELETE", f"/api/patients/{erasable}")
        assert missing.status_code == 422
        extra = admin.request(
            "DELETE", f"/api/patients/{erasable}", json={"confirm_name": NAME, "force": True}
        )
        assert extra.status_code == 422
        assert admin.get(f"/api/patients/{erasable}").status_code == 200

    def test_a_clinician_may_not_erase(self, staff: TestClient, erasable: str) -> None:
        response = erase(staff, erasable)
        assert (response.status_code, response.json()["code"]) == (403, "admin_only")
        assert staff.get(f"/api/patients/{erasable}").status_code == 200

    def test_anonymous_other_clinic_and_unknown_are_refused(
        self,
        admin: TestClient,
        erasable: str,
        app: Any,
        factory: sessionmaker[Session],
        clock: FixedClock,
    ) -> None:
        with TestClient(app) as anonymous:
            refused = erase(anonymous, erasable)
            assert (refused.status_code, refused.json()["code"]) == (401, "not_authenticated")
        with TestClient(app) as hill:
            sign_in_staff(
                hill, factory, now=clock.now(), clinic_name="Hill Clinic",
                email="admin@hill.example", role=StaffRole.ADMIN,
            )  # fmt: skip
            foreign = erase(hill, erasable)
            assert (foreign.status_code, foreign.json()["code"]) == (404, "not_found")
        unknown = erase(admin, str(uuid.uuid4()))
        assert unknown.json() == foreign.json()
        assert admin.get(f"/api/patients/{erasable}").status_code == 200


class TestEraseService:
    def test_it_is_all_or_nothing_in_the_callers_transaction(
        self, erasable: str, factory: sessionmaker[Session], engine: Engine
    ) -> None:
        before = counts(engine)
        with pytest.raises(RuntimeError), transaction(factory) as session:
            patient = session.get(Patient, uuid.UUID(erasable))
            assert patient is not None
            erase_patient(session, patient=patient)
            assert session.get(Patient, uuid.UUID(erasable)) is None
            raise RuntimeError("a later step failed")
        assert counts(engine) == before

    def test_the_schema_has_no_table_the_models_do_not_know(self, engine: Engine) -> None:
        # The checks above walk SQLModel's metadata; a table made only by a migration would
        # escape them, so the database must hold exactly the modelled tables.
        in_database = set(inspect(engine).get_table_names()) - {"alembic_version"}
        assert in_database == set(SQLModel.metadata.tables)


class TestNothingOfThemInTheTrail:
    def test_no_audit_detail_keeps_the_name_notes_or_phone(
        self, admin: TestClient, staff: TestClient, erasable: str, factory: sessionmaker[Session]
    ) -> None:
        # Every audited way a person's words could reach a detail: searches, a reason, a note.
        assert staff.get("/api/patients", params={"q": NAME}).status_code == 200
        assert staff.get("/api/patients.csv", params={"q": NAME}).status_code == 200
        changed = staff.put(
            f"/api/patients/{erasable}/protocol",
            json={"version": 1, "reason": f"{NAME} asked, {PHONE}"},
        )
        assert changed.status_code == 200, changed.text
        [alert] = [a for a in staff.get("/api/alerts").json() if a["patient_id"] == erasable]
        noted = staff.post(
            f"/api/alerts/{alert['id']}/acknowledge", json={"note": f"called {NAME}"}
        )
        assert noted.status_code == 200
        assert erase(admin, erasable).status_code == 204
        with factory() as session:
            details = [json.dumps(e.detail) for e in session.scalars(select(AuditEvent))]
        assert len(details) > 10
        words = [NAME, *NAME.split(), PHONE, PHONE.replace(" ", ""), "hurts", "called"]
        kept = [d for d in details for w in words if w.lower() in d.lower()]
        assert kept == []


class TestNothingOfThemInTheFile:
    def test_the_sqlite_file_and_its_wal_no_longer_hold_the_name(
        self, admin: TestClient, staff: TestClient, phone: TestClient, database_url: str
    ) -> None:
        if not database_url.startswith("sqlite"):
            pytest.skip("PostgreSQL keeps dead tuples until VACUUM: docs/security/erasure.md")
        name, number = "Ottoline Wipeable", "+44 7700 900777"
        patient_id = make_rich_patient(staff, phone, name, number)
        path = Path(database_url.removeprefix("sqlite:///"))

        words = [name, number, f"{name} hurts"]  # the phone is stored as typed
        before = database_bytes(path)
        assert [w for w in words if w.encode() in before] == words  # so the check proves it
        # No checkpoint here: the erasure asks for one itself once it has committed.
        assert erase(admin, patient_id, confirm_name=name).status_code == 204
        left = database_bytes(path)
        assert [w for w in words if w.encode() in left] == []
