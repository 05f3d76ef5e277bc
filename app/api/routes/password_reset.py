"""The set-password link's routes: whose link it is, and setting the password with it."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from app.api.deps import ClockDep, SessionDep, SessionFactoryDep, SettingsDep
from app.error_codes import ErrorCode
from app.errors import Gone, NotFound, errors
from app.ratelimit import service as ratelimit
from app.ratelimit.guard import failures_counted
from app.shared.client_address import client_ip
from app.staff import audit, password_resets
from app.staff.models import PasswordResetHolder, PasswordResetToken, PasswordResetUse

router = APIRouter(prefix="/api/auth/password-reset", tags=["staff auth"])

LINK_REFUSALS = (
    ErrorCode.RESET_LINK_UNKNOWN,
    ErrorCode.RESET_LINK_USED,
    ErrorCode.RESET_LINK_EXPIRED,
    ErrorCode.TOO_MANY_ATTEMPTS,
)


@router.post("/check", responses=errors(*LINK_REFUSALS))
def check_link(
    body: PasswordResetToken,
    request: Request,
    session: SessionDep,
    factory: SessionFactoryDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> PasswordResetHolder:
    """Whose link it is and until when (nothing changes); a POST, so the token stays out of URLs.

    404 `reset_link_unknown`, 410 `reset_link_used` or `reset_link_expired`; each counts against
    the client address (429 `too_many_attempts` past the limit), as for enrolment codes.
    """
    now = clock.now()
    keys = [ratelimit.password_reset_ip(settings, client_ip(request))]
    with failures_counted(session, factory, now, {NotFound: keys, Gone: keys}):
        link, staff = password_resets.usable(session, token=body.token, now=now)
    return PasswordResetHolder(email=staff.email, name=staff.name, expires_at=link.expires_at)


@router.post(
    "",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(*LINK_REFUSALS, ErrorCode.INVALID_INPUT),
)
def set_password_with_link(
    body: PasswordResetUse,
    request: Request,
    session: SessionDep,
    factory: SessionFactoryDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> None:
    """Set a new password (the usual policy: 422 `invalid_input` says what is wrong, and the
    link still works); the link is used up and every session of the account ends."""
    now = clock.now()
    keys = [ratelimit.password_reset_ip(settings, client_ip(request))]
    with failures_counted(session, factory, now, {NotFound: keys, Gone: keys}):
        staff = password_resets.use(
            session, token=body.token, new_password=body.new_password, now=now
        )
    audit.record(
        session, staff=staff, action="staff.password_reset_use", now=now, ip=client_ip(request)
    )
