"""The demo clinic: a clinic, an admin login and a patient, made once and found again on re-runs."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from app.clinics import service as clinic_service
from app.clinics.models import Clinic, ClinicSettingsUpdate
from app.config import Settings
from app.enrolment import service as enrolment
from app.errors import InvalidInput
from app.patients.models import Patient, PatientCreate, TreatmentCreate
from app.private_files import write_private_file
from app.protocols.loader import load_protocol
from app.staff import service as staff_service
from app.staff.models import StaffRole, StaffUser
from app.staff.passwords import password_problem, verify_password

DEMO_CLINIC = "Demo Vein Clinic"
DEMO_STAFF_EMAIL = "demo@aftercare.example"
DEMO_PATIENT = "Demo Patient"


@dataclass(frozen=True)
class Demo:
    """What a person needs to try the demo: the login, the patient, a fresh enrolment link."""

    password: str
    patient_id: uuid.UUID
    link: enrolment.IssuedLink


def demo_password(path: Path) -> str:
    """The demo login's password kept at `path`; made and kept there the first time."""
    try:
        password = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return _new_demo_password(path)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not text"
        raise InvalidInput(f"{path}: cannot read the demo password ({reason})") from exc
    if problem := password_problem(password):
        raise InvalidInput(f"{path}: {problem}; delete the file and run the demo again")
    return password


def _new_demo_password(path: Path) -> str:
    password = secrets.token_urlsafe(12)  # 16 characters
    try:
        write_private_file(path, f"{password}\n".encode())
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot keep the demo password there ({exc.strerror})") from exc
    return password


def set_up_demo(session: Session, *, settings: Settings, now: datetime) -> Demo:
    """Make the demo clinic, login and patient, or find them; issue a new enrolment link.

    The login keeps the password in settings.demo_password_file, so every run prints the same
    one; the patient keeps their id. Only the link is new: each link works once.
    """
    password = demo_password(settings.demo_password_file)
    clinic = session.exec(select(Clinic).where(Clinic.name == DEMO_CLINIC)).first()
    if clinic is None:
        clinic = staff_service.create_clinic(session, name=DEMO_CLINIC, now=now)
    # Set every time: a demo clinic made before these settings existed gets them too.
    clinic_service.update(
        session,
        clinic=clinic,
        data=ClinicSettingsUpdate(
            phone=clinic.phone or "+44 20 7946 0000",
            out_of_hours_phone=clinic.out_of_hours_phone or "+44 20 7946 0999",
            out_of_hours_name=clinic.out_of_hours_name or "the on-call nurse",
        ),
    )
    user = session.exec(select(StaffUser).where(StaffUser.email == DEMO_STAFF_EMAIL)).first()
    if user is None:
        user = staff_service.create_staff(
            session,
            clinic=clinic,
            email=DEMO_STAFF_EMAIL,
            password=password,
            now=now,
            role=StaffRole.ADMIN,
            name="Demo Admin",
        )
    elif not verify_password(user.password_hash, password):
        # A database older than the kept password (or one changed in the console): the
        # printed login must work, so the kept password wins.
        staff_service.set_password(session, staff=user, password=password)
    patient = session.exec(
        select(Patient).where(Patient.clinic_id == clinic.id, Patient.name == DEMO_PATIENT)
    ).first()
    if patient is None:
        patient, link = enrolment.create_patient(
            session,
            clinic=clinic,
            data=_demo_patient(now),
            protocol=load_protocol(settings.protocol),
            staff=user,
            now=now,
            settings=settings,
        )
    else:
        link = enrolment.issue_enrolment_link(session, patient=patient, now=now, settings=settings)
    return Demo(password=password, patient_id=patient.id, link=link)


def _demo_patient(now: datetime) -> PatientCreate:
    """A London patient treated at 10:00 today (yesterday if it is not 10:00 yet)."""
    zone = ZoneInfo("Europe/London")
    local_now = now.astimezone(zone)
    treated = datetime.combine(local_now.date(), time(10), tzinfo=zone)
    if treated > local_now:
        treated -= timedelta(days=1)
    return PatientCreate(
        name=DEMO_PATIENT,
        time_zone="Europe/London",
        stockings_advised=True,
        treatment=TreatmentCreate(performed_at=treated),
        confirm_without_doppler=True,  # a made-up patient: no scan was done
    )
