"""Clinic settings use cases: read, change (admins), and when a new alert escalates."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from app.clinics.models import Clinic, ClinicSettings, ClinicSettingsUpdate, OfferedLanguage
from app.clinics.opening_hours import closed_periods, next_change
from app.error_codes import ErrorCode
from app.errors import Conflict, InvalidInput
from app.i18n.languages import offered

log = logging.getLogger("aftercare.clinics")


def to_settings(clinic: Clinic, *, pseudo_locales: bool = False) -> ClinicSettings:
    """The clinic's settings as staff read them, with the languages patients may have."""
    return ClinicSettings(
        id=clinic.id,
        name=clinic.name,
        phone=clinic.phone,
        out_of_hours_phone=clinic.out_of_hours_phone,
        out_of_hours_name=clinic.out_of_hours_name,
        emergency_number=clinic.emergency_number,
        time_zone=clinic.time_zone,
        opening_hours=clinic.opening_hours,
        alert_escalation_minutes=clinic.alert_escalation_minutes,
        fallback_after_minutes=clinic.fallback_after_minutes,
        fallback_tasks=list(clinic.fallback_tasks),
        sms_per_day=clinic.sms_per_day,
        emails_per_day=clinic.emails_per_day,
        languages=[
            OfferedLanguage(code=lang.code, name=lang.name)
            for lang in offered(pseudo_locales=pseudo_locales)
        ],
    )


def update(
    session: Session,
    *,
    clinic: Clinic,
    data: ClinicSettingsUpdate,
    task_codes: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Apply the given fields; returns what changed as {field: new value} (for the audit).

    Alerts already raised keep their `escalate_at`: new hours apply to new alerts only.
    `task_codes`: the protocols' task codes, which `fallback_tasks` may name.
    """
    unknown = sorted(set(data.fallback_tasks or ()) - task_codes)
    if unknown:
        raise InvalidInput(
            f"{unknown[0]!r} is not a task of the protocol: name tasks by their code, "
            f"one of {', '.join(sorted(task_codes))}"
        )
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
            raise Conflict(
                f"a clinic named {changes['name']!r} already exists", code=ErrorCode.NAME_TAKEN
            )
    for name, value in changes.items():
        setattr(clinic, name, value)
    session.add(clinic)
    session.flush()
    return changes


def is_open(clinic: Clinic, instant: datetime) -> tuple[bool, datetime | None]:
    """(open at `instant`, when that changes): see `opening_hours.next_change`. Unusable
    stored hours or zone count as always open (the patient is told to call the clinic, and
    the clinic's phone is always set before patients are enrolled)."""
    try:
        return next_change(instant, clinic.opening_hours, ZoneInfo(clinic.time_zone))
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        log.warning("clinic=%s has unusable opening hours or zone: taken as open", clinic.id)
        return True, None


def closed_periods_of(
    clinic: Clinic, start: datetime, days: int
) -> list[tuple[datetime, datetime]]:
    """The clinic's closed periods meeting the next `days` days (`opening_hours.closed_periods`);
    unusable stored hours or zone count as always open, as in `is_open`."""
    try:
        return closed_periods(start, days, clinic.opening_hours, ZoneInfo(clinic.time_zone))
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return []


def escalation_time(clinic: Clinic, created_at: datetime) -> datetime:
    """When a new alert escalates if nobody acknowledges it: the clinic's escalation minutes
    after `created_at`, at any hour.

    Opening hours never delay it: out of hours the alert goes to the on-call staff at once and
    runs on their clock, and an alert raised just before closing must not wait for the next
    opening. (While the clinic stays open, minutes of opening time are plain minutes anyway.)
    """
    return created_at + timedelta(minutes=clinic.alert_escalation_minutes)
