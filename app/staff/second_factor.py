"""TOTP second factor of a staff account: set up, turn on, turn off, required, reset by an admin."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from app.config import Settings
from app.error_codes import ErrorCode
from app.errors import Conflict, Forbidden
from app.shared.qr import qr_svg
from app.shared.tokens import hash_token
from app.staff import totp, totp_secrets
from app.staff.models import StaffUser, TotpSetup
from app.staff.service import (
    WRONG_CODE,
    WrongCode,
    check_password,
    clinic_of,
    revoke_sessions,
    use_totp_code,
)


def required(staff: StaffUser, settings: Settings) -> bool:
    """Whether the staff member's role must sign in with a second factor (the clinic's setting)."""
    return staff.role in settings.totp_required_roles


def owed(staff: StaffUser, settings: Settings) -> bool:
    """Whether a second factor is required of the staff member and not yet turned on."""
    return staff.totp_enabled_at is None and required(staff, settings)


def set_up(session: Session, *, staff: StaffUser, password: str) -> TotpSetup:
    """A new secret for the account, not in force until `enable` sees a code made from it.

    Running it again before enabling replaces the secret (a lost or mistyped QR code).
    """
    check_password(staff, password)
    if staff.totp_enabled_at is not None:
        raise Conflict(
            "Two-step sign-in is already on; turn it off first to set up a new device.",
            code=ErrorCode.TOTP_ALREADY_ENABLED,
        )
    secret = totp.new_secret()
    staff.totp_secret = totp_secrets.seal(secret)  # only the authenticator sees it in clear
    staff.totp_last_step = None
    session.add(staff)
    session.flush()
    uri = totp.otpauth_uri(secret, email=staff.email, clinic_name=clinic_of(session, staff).name)
    return TotpSetup(secret=secret, otpauth_uri=uri, qr_svg=qr_svg(uri))


def enable(
    session: Session,
    *,
    staff: StaffUser,
    code: str,
    now: datetime,
    settings: Settings,
    keep_token: str,
) -> None:
    """Turn TOTP on: the code proves the authenticator holds the secret. From the next login.

    Where the role requires it, every other session of the account ends: each was opened
    with the password alone and was kept out of the console for that, so the code typed here
    must not let it in (someone else may hold the password).
    """
    if staff.totp_enabled_at is not None:
        raise Conflict("Two-step sign-in is already on.", code=ErrorCode.TOTP_ALREADY_ENABLED)
    if staff.totp_secret is None:
        raise Conflict("Set up two-step sign-in first.", code=ErrorCode.TOTP_NOT_SET_UP)
    if not use_totp_code(session, staff=staff, code=code, now=now):
        raise WrongCode(WRONG_CODE)
    staff.totp_enabled_at = now
    session.add(staff)
    session.flush()
    if required(staff, settings):
        revoke_sessions(session, staff_id=staff.id, now=now, keep_token_hash=hash_token(keep_token))


def disable(
    session: Session,
    *,
    staff: StaffUser,
    password: str,
    code: str,
    now: datetime,
    settings: Settings,
) -> None:
    """Turn TOTP off and forget the secret; needs both the password and a current code.

    Refused first (no password checked, nothing counted) where the role requires it.
    """
    if required(staff, settings):
        raise Forbidden(
            "Your role needs two-step sign-in, so it cannot be turned off.",
            code=ErrorCode.TOTP_REQUIRED_FOR_ROLE,
        )
    check_password(staff, password)
    if staff.totp_enabled_at is None:
        raise Conflict("Two-step sign-in is not on.", code=ErrorCode.TOTP_NOT_ENABLED)
    if not use_totp_code(session, staff=staff, code=code, now=now):
        raise WrongCode(WRONG_CODE)
    _forget(session, staff)


def reset(session: Session, *, admin: StaffUser, target: StaffUser, now: datetime) -> None:
    """An admin turns a colleague's TOTP off (a lost phone) and ends their sessions.

    Their next sign-in is with the password alone, and where the role requires a second factor
    they set up a new one before anything else. Not for one's own account (Settings is, with a
    code): a stolen admin session must not be able to remove the factor.
    """
    if target.id == admin.id:
        raise Conflict(
            "Change your own two-step sign-in under Settings.", code=ErrorCode.OWN_SECOND_FACTOR
        )
    if target.totp_enabled_at is None and target.totp_secret is None:
        raise Conflict("Two-step sign-in is not on.", code=ErrorCode.TOTP_NOT_ENABLED)
    clear(session, staff=target, now=now)


def clear(session: Session, *, staff: StaffUser, now: datetime) -> None:
    """Forget the account's second factor and end its sessions (an admin's or the CLI's reset)."""
    revoke_sessions(session, staff_id=staff.id, now=now)
    _forget(session, staff)


def _forget(session: Session, staff: StaffUser) -> None:
    staff.totp_secret = None
    staff.totp_last_step = None
    staff.totp_enabled_at = None
    session.add(staff)
    session.flush()
