"""A signed-in staff member's own sessions: list them, end one, end all the others."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel

from app.api.cookies import STAFF_COOKIE, clear_session_cookie, session_token
from app.api.deps import ClockDep, SessionDep, SettingsDep
from app.api.staff_auth import SignedInStaff
from app.error_codes import ErrorCode
from app.errors import errors
from app.shared.client_address import client_ip
from app.staff import audit, sessions
from app.staff.sessions import OwnSession

router = APIRouter(prefix="/api/staff/me/sessions", tags=["staff auth"])


class EndedSessions(BaseModel):
    ended: int  # live sessions ended by this request


@router.get("", responses=errors(ErrorCode.NOT_AUTHENTICATED))
def list_own_sessions(
    staff: SignedInStaff,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> list[OwnSession]:
    """Where this account is signed in: the session in use first (`current`), then by last use.

    Sessions waiting for a second-factor code are listed too (`second_factor_pending`):
    someone got the password right there.
    """
    return sessions.live_sessions(
        session,
        staff=staff,
        token=session_token(request, STAFF_COOKIE, settings),
        now=clock.now(),
        settings=settings,
    )


@router.delete(
    "/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(ErrorCode.NOT_AUTHENTICATED, ErrorCode.NOT_FOUND),
)
def end_own_session(
    session_id: uuid.UUID,
    staff: SignedInStaff,
    request: Request,
    response: Response,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> None:
    """Sign one of your sessions out; 404 for one that is not yours or has ended.

    Ending the session in use signs this browser out (its cookie is cleared).
    """
    now = clock.now()
    was_current = sessions.end_session(
        session,
        staff=staff,
        session_id=session_id,
        token=session_token(request, STAFF_COOKIE, settings),
        now=now,
        settings=settings,
    )
    audit.record(
        session,
        staff=staff,
        action="staff.session_end",
        now=now,
        ip=client_ip(request),
        detail={"session_id": str(session_id), "current": was_current},
    )
    if was_current:
        clear_session_cookie(response, name=STAFF_COOKIE, settings=settings)


@router.post("/end-others", responses=errors(ErrorCode.NOT_AUTHENTICATED))
def end_other_sessions(
    staff: SignedInStaff,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> EndedSessions:
    """Sign out everywhere else: every session of this account but this one ends."""
    now = clock.now()
    ended = sessions.end_others(
        session,
        staff=staff,
        token=session_token(request, STAFF_COOKIE, settings),
        now=now,
        settings=settings,
    )
    audit.record(
        session,
        staff=staff,
        action="staff.sessions_end_others",
        now=now,
        ip=client_ip(request),
        detail={"ended": ended},
    )
    return EndedSessions(ended=ended)
