"""Staff sign-in routes: log in, log out, who am I."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from sqlmodel import Session

from app.cookies import STAFF_COOKIE, clear_session_cookie, set_session_cookie
from app.deps import ClockDep, SessionDep, SettingsDep
from app.errors import error_responses
from app.staff import service
from app.staff.auth import CurrentStaff
from app.staff.models import LoginRequest, StaffPublic, StaffUser

router = APIRouter(prefix="/api/auth", tags=["staff auth"])


def _public(session: Session, staff: StaffUser) -> StaffPublic:
    clinic = service.clinic_of(session, staff)
    return StaffPublic(
        id=staff.id,
        email=staff.email,
        name=staff.name,
        role=staff.role,
        clinic_id=clinic.id,
        clinic_name=clinic.name,
    )


@router.post("/login", responses=error_responses(401, 422))
def log_in(
    body: LoginRequest,
    response: Response,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> StaffPublic:
    """Check e-mail and password; on success set the HttpOnly staff session cookie."""
    staff, token = service.log_in(
        session, email=body.email, password=body.password, now=clock.now(), settings=settings
    )
    set_session_cookie(
        response,
        name=STAFF_COOKIE,
        token=token,
        lifetime=settings.staff_session_absolute,
        settings=settings,
        same_site="strict",
    )
    return _public(session, staff)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def log_out(
    request: Request,
    response: Response,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> None:
    """End the session on the server and clear the cookie; safe to repeat."""
    token = request.cookies.get(STAFF_COOKIE)
    if token:
        service.log_out(session, token=token, now=clock.now())
    clear_session_cookie(response, name=STAFF_COOKIE, settings=settings)


@router.get("/me", responses=error_responses(401))
def who_am_i(staff: CurrentStaff, session: SessionDep) -> StaffPublic:
    return _public(session, staff)
