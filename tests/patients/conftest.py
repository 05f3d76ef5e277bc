"""Fixtures the staff patient-route tests share: a clinician of another clinic."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.clock import FixedClock
from tests.support.api import sign_in_staff


@pytest.fixture
def hill(app: Any, factory: sessionmaker[Session], clock: FixedClock) -> Iterator[TestClient]:
    """A clinician of another clinic, Hill Clinic, signed in."""
    with TestClient(app) as other:
        sign_in_staff(
            other, factory, now=clock.now(), clinic_name="Hill Clinic", email="dr@hill.example"
        )
        yield other
