"""A cast for the security tests: two clinics, their staff and patients, each in its own browser."""

from __future__ import annotations

import functools
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.api.cookies import STAFF_COOKIE
from app.config import Settings
from app.db import transaction
from app.shared.tokens import hash_token
from app.staff.models import StaffRole, StaffSession, StaffUser
from app.staff.passwords import hash_password
from app.staff.service import create_clinic, open_session
from tests.support.factories import STAFF_PASSWORD, make_patient

Kind = Literal["anonymous", "patient", "staff"]

ACTORS = ("anonymous", "patient_1", "patient_2", "clinician_1", "admin_1", "clinician_2", "admin_2")


@dataclass(frozen=True)
class Actor:
    name: str
    kind: Kind
    clinic: int | None = None  # 1 or 2: whose data is theirs
    admin: bool = False


def actor(name: str) -> Actor:
    """`patient_1`, `admin_2`, … parsed into who they are."""
    if name == "anonymous":
        return Actor(name, "anonymous")
    role, clinic = name.split("_")
    kind: Kind = "patient" if role == "patient" else "staff"
    return Actor(name, kind, int(clinic), admin=role == "admin")


@dataclass
class ClinicWorld:
    """The ids one clinic's objects have: what another clinic's staff must not reach."""

    clinic_id: uuid.UUID
    patient_id: uuid.UUID
    patient_name: str
    patient_phone: str
    occurrence_id: uuid.UUID  # one of the patient's tasks
    treatment_id: uuid.UUID  # the patient's treatment
    alert_id: uuid.UUID  # an open emergency alert raised by the patient's report
    report_id: uuid.UUID  # that report
    admin_id: uuid.UUID
    clinician_id: uuid.UUID
    spare_device_id: uuid.UUID  # a second phone of the patient (revoking it signs no actor out)
    # A second session of the clinician, in no browser (ending it signs no actor out).
    spare_staff_session_id: uuid.UUID
    appointment_key: str
    carer_id: uuid.UUID  # a carer the clinic invited for the patient (no phone signed in yet)

    def ids(self) -> dict[str, str]:
        """Path parameter values naming this clinic's objects."""
        return {
            "patient_id": str(self.patient_id),
            "occurrence_id": str(self.occurrence_id),
            "treatment_id": str(self.treatment_id),
            "alert_id": str(self.alert_id),
            "report_id": str(self.report_id),
            "staff_id": str(self.clinician_id),
            "device_id": str(self.spare_device_id),
            "session_id": str(self.spare_staff_session_id),
            "carer_id": str(self.carer_id),
            "key": self.appointment_key,
        }


@dataclass
class Cast:
    browsers: dict[str, TestClient]
    clinics: dict[int, ClinicWorld]

    def __getitem__(self, name: str) -> TestClient:
        return self.browsers[name]


PATIENT_NAMES = {1: "Ada Lovelace", 2: "Grace Hopper"}
PATIENT_PHONES = {1: "+44 7700 900111", 2: "+44 7700 900222"}


@functools.cache
def _password_hash() -> str:
    # argon2 costs a tenth of a second or more per hash: the matrix and the fuzzer build a cast
    # per test, so every account shares one hash of STAFF_PASSWORD made once per run.
    return hash_password(STAFF_PASSWORD)


def _staff(
    session: Session, *, clinic_id: uuid.UUID, email: str, role: StaffRole, now: datetime
) -> StaffUser:
    """What create_staff makes, with the shared hash."""
    staff = StaffUser(
        clinic_id=clinic_id,
        email=email,
        name=email.split("@")[0].title(),
        password_hash=_password_hash(),
        role=role,
        created_at=now,
    )
    session.add(staff)
    session.flush()
    return staff


def _browser(app: FastAPI, stack: ExitStack) -> TestClient:
    return stack.enter_context(TestClient(app))


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def build_cast(
    app: FastAPI,
    factory: sessionmaker[Session],
    settings: Settings,
    *,
    now: datetime,
    stack: ExitStack,
    clinics: tuple[int, ...] = (1, 2),
) -> Cast:
    """Every actor of ACTORS (for the given clinics) signed in, in a browser of their own."""
    browsers: dict[str, TestClient] = {"anonymous": _browser(app, stack)}
    worlds: dict[int, ClinicWorld] = {}
    for k in clinics:
        with transaction(factory) as session:
            clinic = create_clinic(
                session,
                name=f"Clinic {k}",
                now=now,
                phone=f"+44 20 7946 000{k}",
                out_of_hours_phone=f"+44 20 7946 099{k}",
            )
            admin = _staff(
                session,
                clinic_id=clinic.id,
                email=f"admin{k}@clinic{k}.example",
                role=StaffRole.ADMIN,
                now=now,
            )
            clinician = _staff(
                session,
                clinic_id=clinic.id,
                email=f"nurse{k}@clinic{k}.example",
                role=StaffRole.CLINICIAN,
                now=now,
            )
            tokens = {
                name: open_session(
                    session, staff=staff, now=now, lifetime=settings.staff_session_absolute
                )
                for name, staff in ((f"admin_{k}", admin), (f"clinician_{k}", clinician))
            }
            spare_token = open_session(
                session, staff=clinician, now=now, lifetime=settings.staff_session_absolute
            )
            spare_session = session.exec(
                select(StaffSession).where(StaffSession.token_hash == hash_token(spare_token))
            ).one()
        for name, token in tokens.items():
            browsers[name] = _browser(app, stack)
            browsers[name].cookies.set(STAFF_COOKIE, token)
        patient, link = make_patient(
            factory,
            clinic=clinic,
            staff=admin,
            now=now,
            settings=settings,
            name=PATIENT_NAMES[k],
            phone=PATIENT_PHONES[k],
            treatment={"performed_at": (now - timedelta(hours=2)).isoformat()},
        )
        phone = browsers[f"patient_{k}"] = _browser(app, stack)
        _ok(phone.post("/api/enrol", json={"code": link.code}))
        # A second phone, paired with a re-issued link: the device id the matrix aims at.
        admin_browser = browsers[f"admin_{k}"]
        reissued = _ok(admin_browser.post(f"/api/patients/{patient.id}/enrolment"), 201)
        first = {d["id"] for d in _ok(admin_browser.get(f"/api/patients/{patient.id}/devices"))}
        _ok(_browser(app, stack).post("/api/enrol", json={"code": reissued["code"]}))
        devices = _ok(admin_browser.get(f"/api/patients/{patient.id}/devices"))
        (spare_id,) = {d["id"] for d in devices} - first
        days = {"from": now.date().isoformat(), "to": (now + timedelta(days=2)).date().isoformat()}
        tasks = _ok(phone.get("/api/me/tasks", params=days))
        report = {"client_id": str(uuid.uuid4()), "pain": 3, "signs": ["chest_pain_breathless"]}
        _ok(phone.post("/api/me/reports", json=report), 201)
        alerts = _ok(admin_browser.get("/api/alerts"))
        appointments = _ok(admin_browser.get(f"/api/patients/{patient.id}/appointments"))
        record = _ok(admin_browser.get(f"/api/patients/{patient.id}"))
        carer = _ok(
            admin_browser.post(f"/api/patients/{patient.id}/carers", json={"name": "Helper"}), 201
        )
        worlds[k] = ClinicWorld(
            clinic_id=clinic.id,
            patient_id=patient.id,
            patient_name=PATIENT_NAMES[k],
            patient_phone=PATIENT_PHONES[k],
            occurrence_id=uuid.UUID(next(t["id"] for t in tasks if t["kind"] == "task")),
            treatment_id=uuid.UUID(record["treatments"][0]["id"]),
            alert_id=uuid.UUID(alerts[0]["id"]),
            report_id=uuid.UUID(alerts[0]["report"]["id"]),
            admin_id=admin.id,
            clinician_id=clinician.id,
            spare_device_id=uuid.UUID(spare_id),
            spare_staff_session_id=spare_session.id,
            appointment_key=appointments[-1]["key"],
            carer_id=uuid.UUID(carer["carer"]["id"]),
        )
    return Cast(browsers=browsers, clinics=worlds)
