"""An admin's management of the clinic's staff accounts: list, add, change, disable."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.clinics.models import Clinic
from app.error_codes import ErrorCode
from app.errors import Conflict, NotFound
from app.staff import alert_channel
from app.staff.models import StaffAccount, StaffCreate, StaffRole, StaffUpdate, StaffUser
from app.staff.service import create_staff, revoke_sessions


def account_view(staff: StaffUser) -> StaffAccount:
    return StaffAccount(
        id=staff.id,
        email=staff.email,
        name=staff.name,
        role=staff.role,
        on_call=staff.on_call,
        phone=staff.phone,
        alert_channel=staff.alert_channel,
        totp_enabled=staff.totp_enabled_at is not None,
        disabled=staff.disabled_at is not None,
        created_at=staff.created_at,
    )


def list_for_clinic(session: Session, *, clinic_id: uuid.UUID) -> list[StaffUser]:
    """The clinic's accounts, enabled first, then by name and e-mail address."""
    return list(
        session.exec(
            select(StaffUser)
            .where(StaffUser.clinic_id == clinic_id)
            .order_by(
                col(StaffUser.disabled_at).is_not(None),
                func.lower(col(StaffUser.name)),
                col(StaffUser.email),
            )
        ).all()
    )


def get_for_clinic(session: Session, *, clinic_id: uuid.UUID, staff_id: uuid.UUID) -> StaffUser:
    """The clinic's account, or NotFound (also when it belongs to another clinic)."""
    staff = session.get(StaffUser, staff_id)
    if staff is None or staff.clinic_id != clinic_id:
        raise NotFound("No such staff account.")
    return staff


def add(session: Session, *, admin: StaffUser, data: StaffCreate, now: datetime) -> StaffUser:
    """A new account in the admin's clinic (password policy and unique e-mail as everywhere)."""
    clinic = session.get(Clinic, admin.clinic_id)
    assert clinic is not None  # foreign key
    return create_staff(
        session,
        clinic=clinic,
        email=str(data.email),
        password=data.password,
        now=now,
        role=data.role,
        name=data.name,
    )


def update(
    session: Session,
    *,
    admin: StaffUser,
    target: StaffUser,
    data: StaffUpdate,
    now: datetime,
    offered: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Apply the fields sent; returns what changed (for the audit trail).

    Refuses (409 `last_admin`) a change that would leave the clinic without an enabled admin,
    and (422) alerts by a channel this server cannot send (`offered`) or by text without a
    number. Disabling ends the account's sessions and takes it off call.
    """
    # Lock the clinic's row: two admins demoting each other at once are serialised, so the
    # second sees the first's change and cannot take away the last admin (PostgreSQL; SQLite
    # transactions are serialised anyway).
    session.exec(select(Clinic).where(Clinic.id == admin.clinic_id).with_for_update()).one()
    session.refresh(target)
    was_enabled_admin = _is_enabled_admin(target)
    before = _changeable(target)
    if data.name is not None:
        target.name = data.name.strip()
    if data.role is not None:
        target.role = data.role.value
    if data.disabled is True and target.disabled_at is None:
        target.disabled_at = now
    elif data.disabled is False:
        target.disabled_at = None
    if data.on_call is not None:
        target.on_call = data.on_call
    if target.disabled_at is not None:
        target.on_call = False  # a disabled account must not be the one alerts go to
    after = _changeable(target)
    changes = {field: value for field, value in after.items() if before[field] != value}
    changes |= alert_channel.apply(
        target, phone=data.phone, alert_channel=data.alert_channel, offered=offered
    )
    if (
        was_enabled_admin
        and not _is_enabled_admin(target)
        and _other_enabled_admins(session, target) == 0
    ):
        raise Conflict(
            "The clinic needs at least one enabled admin: make someone else admin first.",
            code=ErrorCode.LAST_ADMIN,
        )
    session.add(target)
    if changes.get("disabled") is True:
        revoke_sessions(session, staff_id=target.id, now=now)
    session.flush()
    return changes


def _changeable(staff: StaffUser) -> dict[str, Any]:
    return {
        "name": staff.name,
        "role": str(staff.role),
        "on_call": staff.on_call,
        "disabled": staff.disabled_at is not None,
    }


def _is_enabled_admin(staff: StaffUser) -> bool:
    return staff.role == StaffRole.ADMIN and staff.disabled_at is None


def _other_enabled_admins(session: Session, staff: StaffUser) -> int:
    return session.exec(
        select(func.count())
        .select_from(StaffUser)
        .where(
            StaffUser.clinic_id == staff.clinic_id,
            StaffUser.id != staff.id,
            StaffUser.role == StaffRole.ADMIN,
            col(StaffUser.disabled_at).is_(None),
        )
    ).one()
