"""Admin routes for the clinic's staff accounts: list, add, change (role, on call, disabled, how
they are alerted on call), issue a set-password link, reset a lost second factor."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Request, status
from sqlmodel import Session

from app.api.deps import ClockDep, SessionDep, SessionFactoryDep, SettingsDep
from app.api.staff_auth import AdminStaff
from app.config import Settings
from app.error_codes import ErrorCode
from app.errors import Conflict, errors
from app.ratelimit.guard import failures_counted
from app.ratelimit.service import Counted, Limit, counted
from app.shared.client_address import client_ip
from app.staff import accounts, audit, password_resets, second_factor
from app.staff.models import (
    IssuedPasswordReset,
    StaffAccount,
    StaffCreate,
    StaffUpdate,
    StaffUser,
)

router = APIRouter(prefix="/api/staff", tags=["staff accounts"])

STAFF_CREATE_TAKEN = "staff_create_taken"


def taken_tries(settings: Settings, admin_id: uuid.UUID) -> Counted:
    """Addresses with an account already, tried by one admin."""
    limit = Limit(
        STAFF_CREATE_TAKEN, settings.staff_create_taken_per_admin, settings.rate_limit_window
    )
    return counted(limit, str(admin_id))


@router.get("", responses=errors(ErrorCode.NOT_AUTHENTICATED, ErrorCode.ADMIN_ONLY))
def list_staff(admin: AdminStaff, session: SessionDep) -> list[StaffAccount]:
    """Every account of the admin's clinic, disabled ones last."""
    return [
        accounts.account_view(staff)
        for staff in accounts.list_for_clinic(session, clinic_id=admin.clinic_id)
    ]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=errors(
        ErrorCode.NOT_AUTHENTICATED,
        ErrorCode.ADMIN_ONLY,
        ErrorCode.EMAIL_TAKEN,
        ErrorCode.INVALID_INPUT,
        ErrorCode.TOO_MANY_ATTEMPTS,
    ),
)
def add_staff(
    body: StaffCreate,
    admin: AdminStaff,
    request: Request,
    session: SessionDep,
    factory: SessionFactoryDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> StaffAccount:
    """A new account in the admin's clinic; 409 `email_taken` if the address has one anywhere.

    The same 409 whichever clinic holds it; an admin who meets it more than
    `staff_create_taken_per_admin` times in the rate-limit window is refused (429
    `too_many_attempts`) until the window has passed, so addresses cannot be swept.
    """
    now = clock.now()
    with failures_counted(session, factory, now, {Conflict: [taken_tries(settings, admin.id)]}):
        staff = accounts.add(session, admin=admin, data=body, now=now)
    audit.record(
        session,
        staff=admin,
        action="staff.create",
        now=now,
        ip=client_ip(request),
        detail={"staff_id": str(staff.id), "role": staff.role},  # no address or name: ids
    )
    return accounts.account_view(staff)


@router.patch(
    "/{staff_id}",
    responses=errors(
        ErrorCode.NOT_AUTHENTICATED,
        ErrorCode.ADMIN_ONLY,
        ErrorCode.NOT_FOUND,
        ErrorCode.LAST_ADMIN,
        ErrorCode.INVALID_INPUT,
        ErrorCode.CHANNEL_NOT_OFFERED,
        ErrorCode.CHANNEL_NEEDS_ADDRESS,
    ),
)
def change_staff(
    staff_id: uuid.UUID,
    body: StaffUpdate,
    admin: AdminStaff,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> StaffAccount:
    """Change name, role, on call, disabled, mobile number or how they are also alerted when
    on call (`alert_channel`: push, email or sms); disabling ends the account's sessions.

    409 `last_admin` if the clinic would be left without an enabled admin; 422
    `channel_not_offered` for a channel this server does not send, `channel_needs_address` for
    texts without a number, `invalid_input` for a number without the country code.
    """
    now = clock.now()
    target = accounts.get_for_clinic(session, clinic_id=admin.clinic_id, staff_id=staff_id)
    changes = accounts.update(
        session, admin=admin, target=target, data=body, now=now,
        offered=settings.letter_channels,
    )  # fmt: skip
    if changes:
        audit.record(
            session,
            staff=admin,
            action="staff.update",
            now=now,
            ip=client_ip(request),
            detail={
                "staff_id": str(target.id),
                # A new name is free text: "changed" only; the role is kept, a privilege.
                "changes": audit.without_text(changes)
                | {key: changes[key] for key in ("role", "alert_channel") if key in changes},
            },
        )
    return accounts.account_view(target)


@router.post(
    "/{staff_id}/password-reset",
    status_code=status.HTTP_201_CREATED,
    responses=errors(
        ErrorCode.NOT_AUTHENTICATED,
        ErrorCode.ADMIN_ONLY,
        ErrorCode.NOT_FOUND,
        ErrorCode.ACCOUNT_DISABLED,
    ),
)
def issue_password_reset(
    staff_id: uuid.UUID,
    admin: AdminStaff,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> IssuedPasswordReset:
    """A one-time set-password link for the account, valid `password_reset_hours` (24).

    Shown once: only its hash is stored. It replaces the account's unused earlier link; the
    password itself stays until the link is used. 409 `account_disabled` for a disabled one.
    """
    now = clock.now()
    target = accounts.get_for_clinic(session, clinic_id=admin.clinic_id, staff_id=staff_id)
    issued = password_resets.issue(
        session, staff=target, issued_by=admin, now=now, settings=settings
    )
    _audit_for(session, admin, "staff.password_reset_issue", target, now, request)
    return issued


@router.post(
    "/{staff_id}/totp/reset",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(
        ErrorCode.NOT_AUTHENTICATED,
        ErrorCode.ADMIN_ONLY,
        ErrorCode.NOT_FOUND,
        ErrorCode.OWN_SECOND_FACTOR,
        ErrorCode.TOTP_NOT_ENABLED,
    ),
)
def reset_second_factor(
    staff_id: uuid.UUID,
    admin: AdminStaff,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
) -> None:
    """Turn a colleague's two-step sign-in off (a lost phone); their sessions end.

    Where their role requires it, they set up a new one at their next sign-in. 409
    `own_second_factor` for the admin's own account (Settings does that, with a code), 409
    `totp_not_enabled` when there is none.
    """
    now = clock.now()
    target = accounts.get_for_clinic(session, clinic_id=admin.clinic_id, staff_id=staff_id)
    second_factor.reset(session, admin=admin, target=target, now=now)
    _audit_for(session, admin, "staff.totp_reset", target, now, request)


def _audit_for(
    session: Session,
    admin: StaffUser,
    action: str,
    target: StaffUser,
    now: datetime,
    request: Request,
) -> None:
    """Record what the admin did to another account (named by its id only)."""
    audit.record(
        session, staff=admin, action=action, now=now, ip=client_ip(request),
        detail={"staff_id": str(target.id)},
    )  # fmt: skip
