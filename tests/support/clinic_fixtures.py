"""Fixtures the staff patient tests share: another clinic's clinician, a seeded ward."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.clinics.models import Clinic
from app.clock import FixedClock
from app.config import Settings
from app.staff.models import StaffUser
from tests.adherence.world import Ward, build_ward
from tests.support.api import sign_in_staff


@pytest.fixture
def hill(app: Any, factory: sessionmaker[Session], clock: FixedClock) -> Iterator[TestClient]:
    """A clinician of another clinic, Hill Clinic, signed in."""
    with TestClient(app) as other:
        sign_in_staff(
            other, factory, now=clock.now(), clinic_name="Hill Clinic", email="dr@hill.example"
        )
        yield other


@pytest.fixture
def ward(
    riverside: tuple[Clinic, StaffUser],
    factory: sessionmaker[Session],
    settings: Settings,
    app: FastAPI,
) -> Ward:
    """Riverside's seeded patients (tests/adherence/world.py), signed in as its clinician."""
    clinic, nurse = riverside
    return build_ward(
        factory, settings, clinic=clinic, staff=nurse, key_id=app.state.vapid_keys.key_id
    )
