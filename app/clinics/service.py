"""Clinic settings use cases: read, change (admins), and when a new alert escalates."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from app.clinics.models import ClinicSettings, ClinicSettingsUpdate
from app.clinics.opening_hours import add_open_minutes
from app.errors import Conflict
from app.staff.models import Clinic

log = logging.getLogger("aftercare.clinics")


def to_settings(clinic: Clinic) -> ClinicSettings:
    return ClinicSettings(
        id=clinic.id,
        name=clinic.name,
        phone=clinic.phone,
        emergency_number=clinic.emergency_number,
        time_zone=clinic.time_zone,
        opening_hours=clinic.opening_hours,
        alert_escalation_minutes=clinic.alert_escalation_minutes,
    )


def update(session: Session, *, clinic: Clinic, data: ClinicSettingsUpdate) -> dict[str, Any]:
    """Apply the given fields; returns what changed as {field: new value} (for the audit).

    Alerts already raised keep their `escalate_at`: new hours apply to new alerts only.
    """
    changes = {
        name: value
        for name, value in data.model_dump(exclude_unset=True).items()
        if value is not None and getattr(clinic, name) != value
    }
    if "name" in changes:
        taken = session.exec(
            select(Clinic.id).where(Clinic.name == changes["name"], col(Clinic.id) != clinic.id)
        ).first()
        if taken is not None:
            raise Conflict(f"a clinic named {changes['name']!r} already exists", code="name_taken")
    for name, value in changes.items():
        setattr(clinic, name, value)
    session.add(clinic)
    session.flush()
    return changes


def escalation_time(clinic: Clinic, created_at: datetime) -> datetime:
    """`created_at` plus the clinic's escalation minutes of opening time.

    Stored settings are validated when written; should they still be unusable, the alert
    escalates after plain minutes rather than not at all (and the report is never refused).
    """
    minutes = clinic.alert_escalation_minutes
    try:
        return add_open_minutes(
            created_at, minutes, clinic.opening_hours, ZoneInfo(clinic.time_zone)
        )
    except (ValueError, KeyError, RuntimeError):  # ZoneInfoNotFoundError is a KeyError
        log.warning("clinic=%s has unusable opening hours or zone: plain minutes", clinic.id)
        return created_at + timedelta(minutes=minutes)
