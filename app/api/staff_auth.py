"""Staff dependencies: SignedInStaff (a live session), CurrentStaff (and any required second
factor on), AdminStaff (an admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from app.api.cookies import STAFF_COOKIE, session_token
from app.api.deps import ClockDep, SessionDep, SettingsDep
from app.error_codes import ErrorCode
from app.errors import Forbidden, NotAuthenticated
from app.shared.tokens import looks_like_token
from app.staff import second_factor
from app.staff.models import StaffRole, StaffUser
from app.staff.service import staff_for_token


def signed_in_staff(
    request: Request, session: SessionDep, clock: ClockDep, settings: SettingsDep
) -> StaffUser:
    """The staff member of a live, full session, whether or not they owe a second factor."""
    token = session_token(request, STAFF_COOKIE, settings)
    staff = (
        staff_for_token(session, token=token, now=clock.now(), settings=settings)
        if looks_like_token(token)
        else None
    )
    if staff is None:
        raise NotAuthenticated("Please sign in.")
    return staff


# Only for what someone owing a second factor may still do: see who they are, set the factor
# up, and look after their own sessions.
SignedInStaff = Annotated[StaffUser, Depends(signed_in_staff)]


async def current_staff(staff: SignedInStaff, settings: SettingsDep) -> StaffUser:  # no I/O
    """A signed-in staff member with the second factor on wherever their role requires one."""
    if second_factor.owed(staff, settings):
        raise Forbidden(
            "Your role needs two-step sign-in: turn it on before using the console.",
            code=ErrorCode.SECOND_FACTOR_REQUIRED,
        )
    return staff


CurrentStaff = Annotated[StaffUser, Depends(current_staff)]


async def admin_staff(staff: CurrentStaff) -> StaffUser:  # no I/O: no thread hop
    """A signed-in admin; clinicians get 403 (they know the page exists, it is not theirs)."""
    if staff.role != StaffRole.ADMIN:
        raise Forbidden("Only a clinic admin can do this.", code=ErrorCode.ADMIN_ONLY)
    return staff


AdminStaff = Annotated[StaffUser, Depends(admin_staff)]


def _depends_on(dependant: Dependant, call: object) -> bool:
    return any(d.call is call or _depends_on(d, call) for d in dependant.dependencies)


def route_refusals(route: APIRoute) -> list[ErrorCode]:
    """The codes a route can answer with because of these dependencies (for OpenAPI)."""
    return [ErrorCode.SECOND_FACTOR_REQUIRED] if _depends_on(route.dependant, current_staff) else []
