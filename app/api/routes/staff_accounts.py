"""Admin routes for the clinic's staff accounts: list, add, change (role, on call, disabled)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status

from app.api.deps import ClockDep, SessionDep, SessionFactoryDep, SettingsDep
from app.api.staff_auth import AdminStaff
from app.config import Settings
from app.error_codes import ErrorCode
from app.errors import Conflict, errors
from app.ratelimit.guard import failures_counted
from app.ratelimit.service import Counted, Limit, counted
from app.shared.client_address import client_ip
from app.staff import accounts, audit
from app.staff.models import StaffAccount, StaffCreate, StaffUpdate

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
        ErrorCode.NOT_AUTHENTICATED, ErrorCode.ADMIN_ONLY, ErrorCode.NOT_FOUND, ErrorCode.LAST_ADMIN
    ),
)
def change_staff(
    staff_id: uuid.UUID,
    body: StaffUpdate,
    admin: AdminStaff,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
) -> StaffAccount:
    """Change name, role, on call or disabled; disabling ends the account's sessions.

    409 `last_admin` if the clinic would be left without an enabled admin.
    """
    now = clock.now()
    target = accounts.get_for_clinic(session, clinic_id=admin.clinic_id, staff_id=staff_id)
    changes = accounts.update(session, admin=admin, target=target, data=body, now=now)
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
                | ({"role": changes["role"]} if "role" in changes else {}),
            },
        )
    return accounts.account_view(target)
