"""Staff dependencies: CurrentStaff (a live session cookie) and AdminStaff (an admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.api.cookies import STAFF_COOKIE, session_token
from app.api.deps import ClockDep, SessionDep, SettingsDep
from app.error_codes import ErrorCode
from app.errors import Forbidden, NotAuthenticated
from app.shared.tokens import looks_like_token
from app.staff.models import StaffRole, StaffUser
from app.staff.service import staff_for_token


def current_staff(
    request: Request, session: SessionDep, clock: ClockDep, settings: SettingsDep
) -> StaffUser:
    token = session_token(request, STAFF_COOKIE, settings)
    staff = (
        staff_for_token(session, token=token, now=clock.now(), settings=settings)
        if looks_like_token(token)
        else None
    )
    if staff is None:
        raise NotAuthenticated("Please sign in.")
    return staff


CurrentStaff = Annotated[StaffUser, Depends(current_staff)]


async def admin_staff(staff: CurrentStaff) -> StaffUser:  # no I/O: no thread hop
    """A signed-in admin; clinicians get 403 (they know the page exists, it is not theirs)."""
    if staff.role != StaffRole.ADMIN:
        raise Forbidden("Only a clinic admin can do this.", code=ErrorCode.ADMIN_ONLY)
    return staff


AdminStaff = Annotated[StaffUser, Depends(admin_staff)]
