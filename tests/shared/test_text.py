"""Control characters in typed text are refused with 422, on SQLite as on PostgreSQL.

Through the API, against the suite's database (SQLite, or PostgreSQL when
AFTERCARE_TEST_DATABASE_URL is set: run both). PostgreSQL would refuse a NUL itself; SQLite
stored it before, and now both refuse it with the field named.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import DataError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, func, select

from app.clock import FixedClock
from app.db import transaction
from app.patients.models import Patient
from app.reports.models import SymptomReport
from app.shared.text import check_line, check_text
from app.staff.models import StaffRole, StaffUser
from tests.support.api import new_patient_body, sign_in_staff
from tests.support.factories import STAFF_PASSWORD, make_clinic_with_staff


@pytest.mark.parametrize("text", ["a\x00b", "a\nb", "a\tb", "a\rb", "\x1b[31m", "a\x7f"])
def test_a_line_refuses_every_control_character(text: str) -> None:
    with pytest.raises(ValueError, match="control characters"):
        check_line(text)


@pytest.mark.parametrize("text", ["a\x00b", "\x1b[31m", "a\x0bb", "a\x7f"])
def test_a_text_refuses_control_characters(text: str) -> None:
    with pytest.raises(ValueError, match="control characters"):
        check_text(text)


@pytest.mark.parametrize("text", ["Zoë O'Brien-Łukasz", "", "日本語", "two\nlines\tand\r\ntabs"])
def test_a_text_keeps_layout_and_any_letters(text: str) -> None:
    assert check_text(text) == text


def count(factory: sessionmaker[Session], model: Any) -> int:
    with factory() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def refused_for(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "invalid_input"
    assert body["errors"][0]["field"] == field.split(".")[-1]  # where, for the form
    assert "must not contain control characters" in body["detail"]  # what, in words
    assert "\x00" not in response.text and "\\u0000" not in response.text  # never echoed


def test_a_patient_name_or_treatment_note_with_nul_is_refused(
    staff: TestClient, factory: sessionmaker[Session]
) -> None:
    refused_for(staff.post("/api/patients", json=new_patient_body(name="Ada\x00")), "name")
    body = new_patient_body()
    body["treatment"]["notes"] = "left leg\x00"
    refused_for(staff.post("/api/patients", json=body), "treatment.notes")
    assert count(factory, Patient) == 0


def test_a_report_note_with_nul_is_refused(me: TestClient, factory: sessionmaker[Session]) -> None:
    body = {"client_id": str(uuid.uuid4()), "pain": 2, "note": "it hurts\x00"}
    refused_for(me.post("/api/me/reports", json=body), "note")
    multi_line = {"client_id": str(uuid.uuid4()), "pain": 2, "note": "it hurts\nhere"}
    assert me.post("/api/me/reports", json=multi_line).status_code == 201
    assert count(factory, SymptomReport) == 1


def test_staff_and_clinic_names_with_nul_are_refused(
    client: TestClient, factory: sessionmaker[Session], clock: FixedClock
) -> None:
    sign_in_staff(
        client, factory, now=clock.now(), email="admin@riverside.example", role=StaffRole.ADMIN
    )
    new = {"email": "new@riverside.example", "name": "Ann\x00", "password": STAFF_PASSWORD}
    refused_for(client.post("/api/staff", json=new), "name")
    [me] = [a for a in client.get("/api/staff").json()]
    refused_for(client.patch(f"/api/staff/{me['id']}", json={"name": "A\x00"}), "name")
    refused_for(client.patch("/api/clinic", json={"name": "River\x00side"}), "name")
    refused = client.patch("/api/clinic", json={"out_of_hours_name": "NHS\n111"})
    refused_for(refused, "out_of_hours_name")
    assert count(factory, StaffUser) == 1


def test_a_nul_that_reaches_the_database_is_refused_there_too(
    factory: sessionmaker[Session], clock: FixedClock
) -> None:
    # What no request schema checks (a command, an import) meets the same refusal as on
    # PostgreSQL: a DataError, which a request answers with 422.
    make_clinic_with_staff(factory, now=clock.now())
    with pytest.raises(DataError), transaction(factory) as session:
        nurse = session.exec(select(StaffUser)).one()
        nurse.name = "Nu\x00rse"
        session.add(nurse)
    with factory() as session:
        assert session.exec(select(StaffUser)).one().name == ""
