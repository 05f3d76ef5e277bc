"""Staff sign-in routes: log in (password, then TOTP), log out, who am I, password and TOTP."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Request, Response, status
from sqlmodel import Session

from app.api.cookies import (
    STAFF_COOKIE,
    clear_session_cookie,
    session_token,
    set_session_cookie,
)
from app.api.deps import ClockDep, SessionDep, SessionFactoryDep, SettingsDep
from app.api.staff_auth import CurrentStaff, SignedInStaff
from app.clinics.models import Clinic
from app.config import Settings
from app.error_codes import ErrorCode
from app.errors import AppError, NotAuthenticated, TooManyRequests, errors
from app.ratelimit import service as ratelimit
from app.ratelimit.guard import failures_counted, reserved
from app.shared.client_address import client_ip
from app.staff import alert_channel, audit, second_factor, service
from app.staff.models import (
    AlertChannelChange,
    LoginRequest,
    LoginResult,
    PasswordChange,
    PasswordCheck,
    StaffPublic,
    StaffUser,
    TotpCodeRequest,
    TotpDisableRequest,
    TotpSetup,
)
from app.staff.service import WrongCode, WrongPassword

router = APIRouter(prefix="/api/auth", tags=["staff auth"])


def public_staff(staff: StaffUser, clinic: Clinic, settings: Settings) -> StaffPublic:
    return StaffPublic(
        id=staff.id,
        email=staff.email,
        name=staff.name,
        role=staff.role,
        clinic_id=clinic.id,
        clinic_name=clinic.name,
        totp_enabled=staff.totp_enabled_at is not None,
        totp_required=second_factor.required(staff, settings),
        on_call=staff.on_call,
        phone=staff.phone,
        alert_channel=staff.alert_channel,
        alert_channels_offered=sorted(settings.letter_channels),
    )


def _user_agent(request: Request) -> str:
    return request.headers.get("user-agent", "")


def _set_cookie(response: Response, token: str, lifetime: timedelta, settings: Settings) -> None:
    set_session_cookie(
        response,
        name=STAFF_COOKIE,
        token=token,
        lifetime=lifetime,
        settings=settings,
        same_site="strict",
    )


def _audit(
    session: Session, staff: StaffUser, action: str, now: datetime, request: Request
) -> None:
    """Record a change to the staff member's own sign-in in the audit trail."""
    audit.record(session, staff=staff, action=action, now=now, ip=client_ip(request))


@router.post(
    "/login",
    responses=errors(ErrorCode.WRONG_CREDENTIALS, ErrorCode.TOO_MANY_ATTEMPTS, ErrorCode.BUSY),
)
def log_in(
    body: LoginRequest,
    request: Request,
    response: Response,
    factory: SessionFactoryDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> LoginResult:
    """Check e-mail and password; set the HttpOnly session cookie.

    With TOTP on, the cookie holds a pending session that opens only POST /login/totp.
    Failures count per e-mail address from this client address (a growing wait, never a
    lock on the account) and per client address; over a limit the answer is 429 before the
    password is even looked at. 503 `busy` when the process is checking as many passwords
    as it allows at once. No request transaction: the use case opens short ones around the
    password check (a sync route runs in a worker thread, so argon2 never blocks the loop).
    """
    now = clock.now()
    ip = client_ip(request)
    keys = [
        ratelimit.login_account_client(settings, body.email, ip),
        ratelimit.login_ip(settings, ip),
    ]
    try:
        with reserved(factory, now, {NotAuthenticated: keys}) as attempt:
            staff, clinic, token, pending = service.log_in(
                factory,
                email=body.email,
                password=body.password,
                now=now,
                settings=settings,
                ip=ip,
                user_agent=_user_agent(request),
                on_success=attempt.succeeded,
            )
    except TooManyRequests as refused:
        service.record_refusal(
            factory, email=body.email, step="password", retry_after=refused.retry_after,
            now=now, ip=ip,
        )  # fmt: skip
        raise
    lifetime = service.PENDING_SESSION_LIFETIME if pending else settings.staff_session_absolute
    _set_cookie(response, token, lifetime, settings)
    if pending:
        return LoginResult(second_factor_required=True, staff=None)
    return LoginResult(second_factor_required=False, staff=public_staff(staff, clinic, settings))


@router.post(
    "/login/totp",
    responses=errors(
        ErrorCode.NOT_AUTHENTICATED, (ErrorCode.WRONG_CODE, 401), ErrorCode.TOO_MANY_ATTEMPTS
    ),
)
def log_in_second_factor(
    body: TotpCodeRequest,
    request: Request,
    response: Response,
    session: SessionDep,
    factory: SessionFactoryDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> LoginResult:
    """The TOTP code after the password; the pending session is replaced by a new, full one."""
    now = clock.now()
    ip = client_ip(request)
    pending, staff = service.pending_login(
        session, token=session_token(request, STAFF_COOKIE, settings), now=now
    )
    keys = [ratelimit.totp_account(settings, staff.id)]
    staff_id, email = staff.id, staff.email  # a failure expires `staff` with its rollback
    try:
        with failures_counted(session, factory, now, {NotAuthenticated: keys}):
            token = service.finish_login(
                session,
                pending=pending,
                staff=staff,
                code=body.code,
                now=now,
                settings=settings,
                ip=ip,
                user_agent=_user_agent(request),
            )
    except TooManyRequests as refused:
        service.record_refusal(
            factory, email=email, step="totp", retry_after=refused.retry_after,
            now=now, ip=ip,
        )  # fmt: skip
        raise
    except NotAuthenticated as failed:
        if failed.code == ErrorCode.WRONG_CODE:
            service.record_failed_code(factory, staff_id=staff_id, now=now, ip=ip)
        raise
    _set_cookie(response, token, settings.staff_session_absolute, settings)
    clinic = service.clinic_of(session, staff)
    return LoginResult(second_factor_required=False, staff=public_staff(staff, clinic, settings))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def log_out(
    request: Request,
    response: Response,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> None:
    """End the session on the server and clear the cookie; safe to repeat."""
    token = session_token(request, STAFF_COOKIE, settings)
    if token:
        service.log_out(session, token=token, now=clock.now(), ip=client_ip(request))
    clear_session_cookie(response, name=STAFF_COOKIE, settings=settings)


@router.get("/me", responses=errors(ErrorCode.NOT_AUTHENTICATED))
def who_am_i(staff: SignedInStaff, session: SessionDep, settings: SettingsDep) -> StaffPublic:
    """Who is signed in; `totp_required` and not `totp_enabled`: the factor is to be set up."""
    return public_staff(staff, service.clinic_of(session, staff), settings)


@router.patch(
    "/me",
    responses=errors(
        ErrorCode.NOT_AUTHENTICATED,
        ErrorCode.INVALID_INPUT,
        ErrorCode.CHANNEL_NOT_OFFERED,
        ErrorCode.CHANNEL_NEEDS_ADDRESS,
    ),
)
def change_own_alert_channel(
    body: AlertChannelChange,
    staff: CurrentStaff,
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> StaffPublic:
    """Your own mobile number and how you are also alerted when on call (`alert_channel`:
    push only, email to your sign-in address, or sms to `phone`); fields left out stay.

    422 `channel_not_offered` for a channel this server does not send, `channel_needs_address`
    for texts without a number, `invalid_input` for a number without the country code. Whether
    you are on call is the admin's to set (Staff).
    """
    now = clock.now()
    changes = alert_channel.apply(
        staff, phone=body.phone, alert_channel=body.alert_channel,
        offered=settings.letter_channels,
    )  # fmt: skip
    if changes:
        session.add(staff)
        session.flush()
        audit.record(
            session, staff=staff, action="staff.alert_channel_change", now=now,
            ip=client_ip(request), detail={"changes": changes},
        )  # fmt: skip
    return public_staff(staff, service.clinic_of(session, staff), settings)


@router.post(
    "/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(
        ErrorCode.NOT_AUTHENTICATED,
        ErrorCode.WRONG_PASSWORD,
        ErrorCode.INVALID_INPUT,
        ErrorCode.TOO_MANY_ATTEMPTS,
        ErrorCode.BUSY,
    ),
)
def change_password(
    body: PasswordChange,
    staff: SignedInStaff,
    request: Request,
    session: SessionDep,
    factory: SessionFactoryDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> None:
    """New password (policy as for new accounts); every other session of the account ends.

    A wrong current password is 422 `wrong_password` and counts like a failed login.
    """
    now = clock.now()
    keys = [ratelimit.login_account_client(settings, staff.email, client_ip(request))]
    with failures_counted(session, factory, now, {WrongPassword: keys}):
        service.change_password(
            session,
            staff=staff,
            current_password=body.current_password,
            new_password=body.new_password,
            keep_token=session_token(request, STAFF_COOKIE, settings),
            now=now,
        )
    _audit(session, staff, "staff.password_change", now, request)


@router.post(
    "/totp/setup",
    responses=errors(
        ErrorCode.NOT_AUTHENTICATED,
        ErrorCode.WRONG_PASSWORD,
        ErrorCode.TOTP_ALREADY_ENABLED,
        ErrorCode.TOO_MANY_ATTEMPTS,
        ErrorCode.BUSY,
    ),
)
def set_up_totp(
    body: PasswordCheck,
    staff: SignedInStaff,
    request: Request,
    session: SessionDep,
    factory: SessionFactoryDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> TotpSetup:
    """A new secret and its QR code; two-step sign-in is on only once /totp/enable sees a code."""
    now = clock.now()
    keys = [ratelimit.login_account_client(settings, staff.email, client_ip(request))]
    with failures_counted(session, factory, now, {WrongPassword: keys}):
        return second_factor.set_up(session, staff=staff, password=body.password)


@router.post(
    "/totp/enable",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(
        ErrorCode.NOT_AUTHENTICATED,
        ErrorCode.TOTP_ALREADY_ENABLED,
        ErrorCode.TOTP_NOT_SET_UP,
        (ErrorCode.WRONG_CODE, 422),
        ErrorCode.TOO_MANY_ATTEMPTS,
    ),
)
def enable_totp(
    body: TotpCodeRequest,
    staff: SignedInStaff,
    request: Request,
    session: SessionDep,
    factory: SessionFactoryDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> None:
    """Turn two-step sign-in on with a first code; 422 `wrong_code` counts as a failed code.

    Where the role requires it, the account's other sessions end (opened without the code).
    """
    now = clock.now()
    keys = [ratelimit.totp_account(settings, staff.id)]
    with failures_counted(session, factory, now, {WrongCode: keys}):
        second_factor.enable(
            session, staff=staff, code=body.code, now=now, settings=settings,
            keep_token=session_token(request, STAFF_COOKIE, settings),
        )  # fmt: skip
    _audit(session, staff, "staff.totp_enable", now, request)


@router.post(
    "/totp/disable",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(
        ErrorCode.NOT_AUTHENTICATED,
        ErrorCode.WRONG_PASSWORD,
        ErrorCode.TOTP_REQUIRED_FOR_ROLE,
        ErrorCode.TOTP_NOT_ENABLED,
        (ErrorCode.WRONG_CODE, 422),
        ErrorCode.TOO_MANY_ATTEMPTS,
        ErrorCode.BUSY,
    ),
)
def disable_totp(
    body: TotpDisableRequest,
    staff: CurrentStaff,
    request: Request,
    session: SessionDep,
    factory: SessionFactoryDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> None:
    """Turn two-step sign-in off: password and a current code (422 wrong_password/wrong_code)."""
    now = clock.now()
    counts: dict[type[AppError], list[ratelimit.Counted]] = {
        WrongPassword: [ratelimit.login_account_client(settings, staff.email, client_ip(request))],
        WrongCode: [ratelimit.totp_account(settings, staff.id)],
    }
    with failures_counted(session, factory, now, counts):
        second_factor.disable(
            session, staff=staff, password=body.password, code=body.code, now=now,
            settings=settings,
        )  # fmt: skip
    _audit(session, staff, "staff.totp_disable", now, request)
