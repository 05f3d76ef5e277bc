"""A clinic enrols patients only once they always have a number to call."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, func, select

from app.clinics.models import Clinic
from app.patients.models import Patient
from tests.support.api import new_patient_body


def set_clinic(factory: sessionmaker[Session], **fields: str) -> None:
    with factory() as session:
        clinic = session.exec(select(Clinic)).one()
        for name, value in fields.items():
            setattr(clinic, name, value)
        session.add(clinic)
        session.commit()


@pytest.mark.parametrize(
    ("fields", "code", "words"),
    [
        ({"phone": ""}, "clinic_phone_missing", "no phone number"),
        ({"out_of_hours_phone": ""}, "out_of_hours_missing", "no out-of-hours phone"),
        ({"phone": " ", "out_of_hours_phone": ""}, "clinic_phone_missing", "no phone number"),
    ],
)
def test_enrolment_is_refused_until_the_clinic_has_both_numbers(
    staff: TestClient,
    factory: sessionmaker[Session],
    fields: dict[str, str],
    code: str,
    words: str,
) -> None:
    set_clinic(factory, **fields)
    response = staff.post("/api/patients", json=new_patient_body())
    assert response.status_code == 409
    assert response.json()["code"] == code
    assert words in response.json()["detail"]
    assert "Settings" in response.json()["detail"]
    with factory() as session:
        assert session.exec(select(func.count()).select_from(Patient)).one() == 0


def test_with_both_numbers_enrolment_works(staff: TestClient) -> None:
    assert staff.post("/api/patients", json=new_patient_body()).status_code == 201
