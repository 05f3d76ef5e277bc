"""Append-only audit trail of staff reads and changes: add an event, read a page of them."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, func, select

from app.db import transaction
from app.staff.models import AuditEvent, StaffUser

# The trail outlives erasure, so a detail holds ids, counts, flags and code-made names, never
# text a person typed (a search term kept a patient's name after erasure). Numbers, booleans
# and null are always allowed; a string only under one of these keys, in the form given.
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_CODE = re.compile(r"^[a-z0-9_.:/+-]{1,100}$")  # lower case: no capitalised name passes by
_INSTANT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:\d\d|Z)?$")
_HEX = re.compile(r"^[0-9a-f]{16,64}$")
STRING_KEYS: dict[str, re.Pattern[str]] = {
    "alert_id": _UUID,
    "report_id": _UUID,  # a symptom report the clinic marked seen
    "device_id": _UUID,
    "carer_id": _UUID,  # a carer link: the helper as that patient named them
    "staff_id": _UUID,
    "session_id": _UUID,  # one of a staff member's own sessions, ended by them
    "treatment_id": _UUID,
    "requested_id": _UUID,  # the patient id a refused request asked for
    "key": _CODE,  # an occurrence key the planner made: hydrocortisone/t2/d1/morning
    "protocol": _CODE,
    "role": _CODE,
    "sort": _CODE,
    "status": _CODE,
    "reminders": _CODE,
    "alerts": _CODE,
    "refused": _CODE,  # the error code a refused request was answered with
    "reason": _CODE,  # why, as a code the service chose (wrong_password, locked): never typed
    "outcome": _CODE,
    "step": _CODE,  # which sign-in step: password or totp
    "by": _CODE,  # who made a change no staff member made: command_line
    "changed": _CODE,  # field names
    "booked_at": _INSTANT,
    "performed_at": _INSTANT,  # a treatment's time, before and after a correction
    "method": _CODE,
    "language": _CODE,  # a patient's language code: en, pl
    "channel": _CODE,  # a reminder channel chosen: email, sms or none
    "alert_channel": _CODE,  # how a staff member is alerted when on call: push, email or sms
    "due_at": _INSTANT,  # a visit's time, before or after a booking changed it
    "overridden": _CODE,  # the warnings (error codes) a "book anyway" went past
    "digest": _HEX,
}
_KEY = re.compile(r"^[a-z_]{1,40}$")

# Refusals are recorded in a transaction of their own; more than this from one staff member
# in a minute is a scan, and its first rows already say so: the rest would only flood the log.
REFUSALS_PER_MINUTE = 30
# The console polls the alerts inbox every 5 s: an unchanged answer is recorded once a while.
UNCHANGED_READ_INTERVAL = timedelta(minutes=10)


class FreeTextInAudit(ValueError):
    """A programming error: a detail would keep text the erasure of a patient could not reach."""


def check_detail(detail: Mapping[str, Any], *, under: str | None = None) -> None:
    """Raise FreeTextInAudit unless every value is a number, flag, null or a registered string."""
    for key, value in detail.items():
        if not _KEY.match(key):
            raise FreeTextInAudit(f"audit detail key {key!r} is not an identifier")
        _check_value(value, key=key, under=under)


def _check_value(value: Any, *, key: str, under: str | None) -> None:
    if value is None or isinstance(value, bool | int | float):
        return
    if isinstance(value, Mapping):
        check_detail(value, under=key)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_value(item, key=key, under=under)
    elif isinstance(value, str):
        pattern = STRING_KEYS.get(key)
        if pattern is None or not pattern.match(value):
            where = f"{under}.{key}" if under else key
            raise FreeTextInAudit(f"audit detail {where} may not hold this text (see STRING_KEYS)")
    else:
        raise FreeTextInAudit(f"audit detail {key} has a {type(value).__name__}")


def without_text(changes: Mapping[str, Any]) -> dict[str, Any]:
    """{field: new value} for numbers and flags, {field: True} for the rest (it changed)."""
    return {
        name: value if value is None or isinstance(value, bool | int | float) else True
        for name, value in changes.items()
    }


def digest(parts: Iterable[str]) -> str:
    """A short hash of what a read showed (ids and states, never names): tells reads apart."""
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def record(
    session: Session,
    *,
    staff: StaffUser | None,
    action: str,
    now: datetime,
    patient_id: uuid.UUID | None = None,
    ip: str = "",
    detail: dict[str, Any] | None = None,
    clinic_id: uuid.UUID | None = None,
) -> None:
    """Add one audit event to the caller's transaction (it is kept only if the change is).

    `clinic_id` places an event no staff member made (the command line) in a clinic's trail.
    """
    check_detail(detail or {})
    session.add(
        _event(
            clinic_id=staff.clinic_id if staff else clinic_id,
            staff_id=staff.id if staff else None,
            patient_id=patient_id,
            action=action,
            detail=detail or {},
            ip=ip,
            now=now,
        )
    )


def _event(
    *,
    clinic_id: uuid.UUID | None,
    staff_id: uuid.UUID | None,
    patient_id: uuid.UUID | None,
    action: str,
    detail: dict[str, Any],
    ip: str,
    now: datetime,
) -> AuditEvent:
    """One event row, as every recording path writes it (its detail already checked)."""
    return AuditEvent(
        clinic_id=clinic_id,
        staff_id=staff_id,
        patient_id=patient_id,
        action=action,
        detail=detail,
        ip=ip[:64],
        created_at=now,
    )


def record_unless_unchanged(
    session: Session,
    *,
    staff: StaffUser,
    action: str,
    now: datetime,
    ip: str,
    detail: dict[str, Any],
) -> bool:
    """Record a read unless this staff member's last one of `action` showed the same (same
    detail, its `digest` included) less than UNCHANGED_READ_INTERVAL ago. True if recorded."""
    last = session.exec(
        select(AuditEvent.detail, AuditEvent.created_at)
        .where(AuditEvent.staff_id == staff.id, AuditEvent.action == action)
        .order_by(col(AuditEvent.id).desc())
        .limit(1)
    ).first()
    if last is not None and last[0] == detail and now - last[1] < UNCHANGED_READ_INTERVAL:
        return False
    record(session, staff=staff, action=action, now=now, ip=ip, detail=detail)
    return True


def record_refusal(
    factory: sessionmaker[Session],
    *,
    staff_id: uuid.UUID,
    clinic_id: uuid.UUID,
    action: str,
    now: datetime,
    ip: str,
    patient_id: uuid.UUID | None,
    detail: dict[str, Any],
) -> bool:
    """Record a refused request in a transaction of its own (the request's is rolled back).

    At most REFUSALS_PER_MINUTE per staff member; True if recorded. The caller must have
    ended its own transaction first: on SQLite it holds the write lock this one needs.
    """
    check_detail(detail)
    with transaction(factory) as session:
        recent = session.exec(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.staff_id == staff_id,
                AuditEvent.action == action,
                col(AuditEvent.created_at) > now - timedelta(minutes=1),
            )
        ).one()
        if recent >= REFUSALS_PER_MINUTE:
            return False
        session.add(
            _event(
                clinic_id=clinic_id,
                staff_id=staff_id,
                patient_id=patient_id,
                action=action,
                detail=detail,
                ip=ip,
                now=now,
            )
        )
    return True


# The patient page reads the record, then its plan, reports, visits and devices: one view.
VIEW = "patient.read"
PARTS_OF_A_VIEW = frozenset({"plan.read", "reports.read", "appointments.read", "devices.read"})
VIEW_LASTS = timedelta(minutes=10)


def part_of_a_view(
    session: Session, *, action: str, staff_id: uuid.UUID, patient_id: uuid.UUID, now: datetime
) -> bool:
    """Whether this read is part of a view already recorded: the same staff member read the
    same record within VIEW_LASTS. Then it is not recorded again (the trail says who viewed
    whose record, once per visit to the page, not once per panel)."""
    if action not in PARTS_OF_A_VIEW:
        return False
    return (
        session.exec(
            select(AuditEvent.id).where(
                AuditEvent.staff_id == staff_id,
                AuditEvent.patient_id == patient_id,
                AuditEvent.action == VIEW,
                col(AuditEvent.created_at) > now - VIEW_LASTS,
            )
        ).first()
        is not None
    )
