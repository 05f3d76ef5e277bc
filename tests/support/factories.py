"""Builders for test data through the real services (no hand-made rows)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.clinics.models import Clinic
from app.config import Settings
from app.db import transaction
from app.enrolment.service import IssuedLink, create_patient
from app.patients.models import Patient, PatientCreate
from app.protocols.loader import load_protocol
from app.staff.models import StaffRole, StaffUser
from app.staff.service import create_clinic, create_staff

STAFF_PASSWORD = "correct horse battery staple"


def make_clinic_with_staff(
    factory: sessionmaker[Session],
    *,
    now: datetime,
    clinic_name: str = "Riverside Vein Clinic",
    email: str = "nurse@riverside.example",
    role: StaffRole = StaffRole.CLINICIAN,
) -> tuple[Clinic, StaffUser]:
    with transaction(factory) as session:
        clinic = create_clinic(
            session,
            name=clinic_name,
            now=now,
            phone="+44 20 7946 0001",
            out_of_hours_phone="+44 20 7946 0999",
        )
        staff = create_staff(
            session, clinic=clinic, email=email, password=STAFF_PASSWORD, now=now, role=role
        )
    return clinic, staff


def add_staff(
    factory: sessionmaker[Session],
    *,
    colleague_of: str,
    email: str,
    now: datetime,
    role: StaffRole = StaffRole.CLINICIAN,
    name: str = "",
) -> StaffUser:
    """Another staff account in the clinic of the account `colleague_of` (an e-mail)."""
    with transaction(factory) as session:
        colleague = session.exec(select(StaffUser).where(StaffUser.email == colleague_of)).one()
        clinic = session.get(Clinic, colleague.clinic_id)
        assert clinic is not None
        return create_staff(
            session,
            clinic=clinic,
            email=email,
            password=STAFF_PASSWORD,
            now=now,
            role=role,
            name=name,
        )


def make_patient(
    factory: sessionmaker[Session],
    *,
    clinic: Clinic,
    staff: StaffUser | None,
    now: datetime,
    settings: Settings,
    protocol_version: int | None = None,
    **fields: object,
) -> tuple[Patient, IssuedLink]:
    """Enrol a patient on the configured protocol, at `protocol_version` (None: the newest, as
    the app does; a number: as if enrolled while that version was the newest)."""
    data = {
        "name": "Ada Lovelace",
        "time_zone": "Europe/London",
        "stockings_advised": True,
        "treatment": {"performed_at": now.isoformat()},
        "doppler_checked": True,
    } | fields
    with transaction(factory) as session:
        return create_patient(
            session,
            clinic=clinic,
            data=PatientCreate.model_validate(data),
            protocol=load_protocol(settings.protocol, protocol_version),
            staff=staff,
            now=now,
            settings=settings,
        )
