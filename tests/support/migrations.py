"""A throwaway database at the migration head, for the tests that take a revision down and up."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.clinics.models import Clinic
from app.config import Settings
from app.db import make_engine, session_factory
from app.enrolment.service import IssuedLink
from app.migrate import alembic_config, upgrade_to_head
from app.patients.models import Patient
from app.staff.models import StaffUser
from tests.support.database import throwaway_database
from tests.support.factories import make_clinic_with_staff, make_patient

# When the migration tests' rows were made (0008's reads the real clock and keeps its own).
NOW = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Enrolled:
    """The clinic, its nurse, and the patient she enrolled with the link she was given."""

    clinic: Clinic
    nurse: StaffUser
    patient: Patient
    link: IssuedLink


@dataclass(frozen=True)
class MigratedDatabase:
    """One database at head: its engine, sessions, settings, and the way down and up again."""

    url: str
    engine: Engine
    factory: sessionmaker[Session]
    settings: Settings

    def down(self, revision: str) -> None:
        command.downgrade(alembic_config(self.url), revision)

    def up(self, revision: str = "head") -> None:
        command.upgrade(alembic_config(self.url), revision)

    def bound(self, value: uuid.UUID) -> uuid.UUID | str:
        """An id as raw SQL binds it: SQLite keeps 32 hex digits, PostgreSQL a uuid."""
        return value.hex if self.engine.dialect.name == "sqlite" else value

    def enrol(self, *, now: datetime = NOW, **patient_fields: object) -> Enrolled:
        """A clinic with a nurse who enrols one patient (Ada Lovelace unless told), at `now`."""
        clinic, nurse = make_clinic_with_staff(self.factory, now=now)
        patient, link = make_patient(
            self.factory, clinic=clinic, staff=nurse, now=now, settings=self.settings,
            **patient_fields,
        )  # fmt: skip
        return Enrolled(clinic, nurse, patient, link)


@contextmanager
def database_at_head(tmp_path: Path) -> Iterator[MigratedDatabase]:
    """A new database (SQLite, or PostgreSQL when the suite has one) at head, dropped after."""
    with throwaway_database(tmp_path) as url:
        engine = make_engine(url)
        try:
            upgrade_to_head(engine)
            settings = Settings(database_url=url, data_dir=tmp_path / "data")
            yield MigratedDatabase(url, engine, session_factory(engine), settings)
        finally:
            engine.dispose()
