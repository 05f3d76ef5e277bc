"""Seeding for bench/load.py: a clinic, its staff and patients through the real services."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.clinics.models import Clinic
from app.config import Settings
from app.db import make_engine, session_factory, transaction
from app.enrolment.service import create_patient
from app.patients.models import PatientCreate
from app.protocols.loader import load_protocol
from app.reports.models import ReportCreate
from app.reports.service import submit
from app.staff.models import StaffUser
from tests.support.factories import STAFF_PASSWORD, add_staff, make_clinic_with_staff

PER_TRANSACTION = 25
URGENT_SHARE = 0.03  # patients who reported high pain before the run: open alerts to browse
LOCAL_HOUR = 6  # in every patient's zone, whenever the bench runs: see early_morning_zone
WAKE = "07:30"
FIRST = ("Ada", "Ben", "Cara", "Dev", "Elif", "Femi", "Gwen", "Hugo", "Ines", "Jon", "Kiri")
LAST = ("Able", "Brook", "Chen", "Dunn", "Evans", "Fox", "Green", "Hale", "Ito", "Jones")


@dataclass(frozen=True)
class Seeded:
    """What the driver needs: one enrolment code per patient, the staff logins, patient ids."""

    codes: list[str]
    staff_emails: list[str]
    patient_ids: list[uuid.UUID]
    password: str = STAFF_PASSWORD


def early_morning_zone(now: datetime) -> str:
    """A fixed-offset IANA zone where it is now LOCAL_HOUR o'clock (Etc/GMT signs are inverted).

    Enrolment plans only what is still ahead, so the tasks a patient can tick today must come
    soon: just before the wake time, everyone treated 2 to 20 days ago has the stockings (and
    on days 2-3 the cream) due at wake, within the early-tick allowance, whenever this runs.
    """
    # Offsets from -12 to +11 hours: Etc/GMT+12 to Etc/GMT-11 all exist.
    offset = (LOCAL_HOUR - now.astimezone(UTC).hour + 12) % 24 - 12
    if offset == 0:
        return "Etc/UTC"
    return f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def _patient(rng: random.Random, n: int, *, zone: str, now: datetime) -> PatientCreate:
    """Treated 2-20 days ago at 08:00-12:59 local, stockings advised: tasks due at wake today."""
    # Whole-hour offsets: the local hour starts when the UTC hour does, at LOCAL_HOUR there.
    hour_start = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    performed_at = hour_start - timedelta(
        days=rng.randrange(2, 21),
        hours=LOCAL_HOUR - rng.randrange(8, 13),
        minutes=-rng.randrange(60),
    )
    return PatientCreate.model_validate(
        {
            "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}-{n:04d}",
            "time_zone": zone,
            "wake_time": WAKE,
            "bed_time": "22:00",
            "stockings_advised": True,
            "treatment": {"performed_at": performed_at.isoformat()},
            "doppler_checked": True,
        }
    )


def _staff(
    factory: sessionmaker[Session], count: int, *, now: datetime
) -> tuple[Clinic, StaffUser, list[str]]:
    emails = [f"staff{n:02d}@load.example" for n in range(max(1, count))]
    clinic, first = make_clinic_with_staff(
        factory, now=now, clinic_name="Load Test Vein Clinic", email=emails[0]
    )
    for email in emails[1:]:
        add_staff(factory, colleague_of=emails[0], email=email, now=now)
    return clinic, first, emails[:count]


def seed(database_url: str, settings: Settings, *, patients: int, staff: int) -> Seeded:
    """Enrol `patients` and create `staff` accounts in a migrated, empty database.

    Every patient goes through create_patient (plan, occurrences, enrolment link) as the
    console would; a few report high pain through the triage service and open an alert.
    """
    rng = random.Random(20260327)  # noqa: S311 - repeatable test data, not secrets
    engine = make_engine(database_url)
    try:
        factory = session_factory(engine)
        now = datetime.now(UTC)
        zone = early_morning_zone(now)
        protocol = load_protocol(settings.protocol)
        clinic, nurse, emails = _staff(factory, staff, now=now)
        codes: list[str] = []
        ids: list[uuid.UUID] = []
        for start in range(0, patients, PER_TRANSACTION):
            with transaction(factory) as session:
                for n in range(start, min(patients, start + PER_TRANSACTION)):
                    patient, link = create_patient(
                        session,
                        clinic=clinic,
                        data=_patient(rng, n, zone=zone, now=now),
                        protocol=protocol,
                        staff=nurse,
                        now=now,
                        settings=settings,
                    )
                    if rng.random() < URGENT_SHARE:
                        report = ReportCreate(client_id=uuid.uuid4(), pain=8)
                        submit(session, patient=patient, clinic=clinic, data=report, now=now)
                    codes.append(link.code)
                    ids.append(patient.id)
        return Seeded(codes=codes, staff_emails=emails, patient_ids=ids)
    finally:
        engine.dispose()
