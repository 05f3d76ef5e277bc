"""One-time set-password links: an admin or the command line issues one, its holder uses it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, delete, select

from app.config import Settings
from app.error_codes import ErrorCode
from app.errors import Conflict, Gone, NotFound
from app.shared.tokens import hash_token, looks_like_token, new_token
from app.staff.models import IssuedPasswordReset, PasswordResetLink, StaffUser
from app.staff.service import revoke_sessions, set_password

# The page that reads the token; a fragment, so the token never reaches a server log.
SET_PASSWORD_PAGE = "/console/#/set-password?token="  # noqa: S105 - a path, not a secret


def issue(
    session: Session,
    *,
    staff: StaffUser,
    issued_by: StaffUser | None,
    now: datetime,
    settings: Settings,
) -> IssuedPasswordReset:
    """A new link for `staff`, replacing any unused earlier one; the password is unchanged
    until the link is used (a reset someone did not ask for locks nobody out)."""
    if staff.disabled_at is not None:
        raise Conflict("The account is disabled: enable it first.", code=ErrorCode.ACCOUNT_DISABLED)
    session.exec(
        delete(PasswordResetLink).where(
            col(PasswordResetLink.staff_id) == staff.id, col(PasswordResetLink.used_at).is_(None)
        )
    )
    token, token_hash = new_token()
    link = PasswordResetLink(
        staff_id=staff.id,
        token_hash=token_hash,
        issued_by=issued_by.id if issued_by else None,
        created_at=now,
        expires_at=now + settings.password_reset_lifetime,
    )
    session.add(link)
    session.flush()
    return IssuedPasswordReset(
        url=f"{settings.public_url}{SET_PASSWORD_PAGE}{token}", expires_at=link.expires_at
    )


def usable(session: Session, *, token: str, now: datetime) -> tuple[PasswordResetLink, StaffUser]:
    """The link and its account, or why not: 404 unknown (a disabled account's too), 410
    used or expired. Locks the link's row, so two uses at once cannot both succeed."""
    link = (
        session.exec(
            select(PasswordResetLink)
            .where(PasswordResetLink.token_hash == hash_token(token))
            .with_for_update()
        ).first()
        if looks_like_token(token)
        else None
    )
    staff = session.get(StaffUser, link.staff_id) if link else None
    if link is None or staff is None or staff.disabled_at is not None:
        raise NotFound(
            "This set-password link is not one the clinic issued.",
            code=ErrorCode.RESET_LINK_UNKNOWN,
        )
    if link.used_at is not None:
        raise Gone(
            "This set-password link was already used: ask a clinic admin for a new one.",
            code=ErrorCode.RESET_LINK_USED,
        )
    if link.expires_at <= now:
        raise Gone(
            "This set-password link has expired: ask a clinic admin for a new one.",
            code=ErrorCode.RESET_LINK_EXPIRED,
        )
    return link, staff


def use(session: Session, *, token: str, new_password: str, now: datetime) -> StaffUser:
    """Set the password (the usual policy) and end every session of the account."""
    link, staff = usable(session, token=token, now=now)
    set_password(session, staff=staff, password=new_password)
    link.used_at = now
    session.add(link)
    revoke_sessions(session, staff_id=staff.id, now=now)
    session.flush()
    return staff
