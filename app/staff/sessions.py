"""A staff member's own sessions: the live ones, ending one, ending all but the one in use."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import Session, SQLModel, col, select

from app.config import Settings
from app.errors import NotFound
from app.shared.tokens import hash_token
from app.staff.models import StaffSession, StaffUser
from app.staff.service import revoke_sessions


class OwnSession(SQLModel):
    """One of the signed-in user's sessions, as they see it (never its token or hash)."""

    id: uuid.UUID
    created_at: datetime
    last_seen_at: datetime
    ip: str
    user_agent: str
    current: bool  # the session this request came with
    # Password given, second-factor code not yet: someone who knows the password, perhaps.
    second_factor_pending: bool


def _live(staff: StaffUser, now: datetime, settings: Settings) -> ColumnElement[bool]:
    """A session of the account that still opens something (as staff_for_token judges it)."""
    return and_(
        col(StaffSession.staff_id) == staff.id,
        col(StaffSession.revoked_at).is_(None),
        col(StaffSession.expires_at) > now,
        # A pending session has only its short absolute expiry; a full one also its idle limit.
        or_(
            col(StaffSession.second_factor_pending).is_(True),
            col(StaffSession.last_seen_at) > now - settings.staff_session_idle,
        ),
    )


def live_sessions(
    session: Session, *, staff: StaffUser, token: str, now: datetime, settings: Settings
) -> list[OwnSession]:
    """The account's live sessions, the one in use first, then the most recently seen."""
    current = hash_token(token)
    rows = session.exec(
        select(StaffSession)
        .where(_live(staff, now, settings))
        .order_by(col(StaffSession.last_seen_at).desc(), col(StaffSession.created_at).desc())
    ).all()
    views = [
        OwnSession(
            id=row.id,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            ip=row.ip,
            user_agent=row.user_agent,
            current=row.token_hash == current,
            second_factor_pending=row.second_factor_pending,
        )
        for row in rows
    ]
    return sorted(views, key=lambda view: not view.current)  # stable: keeps recency order


def end_session(
    session: Session,
    *,
    staff: StaffUser,
    session_id: uuid.UUID,
    token: str,
    now: datetime,
    settings: Settings,
) -> bool:
    """End one of the account's live sessions; True if it was the one in use.

    NotFound for another account's session, an ended one or an unknown id: answered alike,
    so session ids of other people cannot be probed.
    """
    row = session.exec(
        select(StaffSession).where(StaffSession.id == session_id, _live(staff, now, settings))
    ).first()
    if row is None:
        raise NotFound("No such session.")
    row.revoked_at = now
    session.add(row)
    session.flush()
    return row.token_hash == hash_token(token)


def end_others(
    session: Session, *, staff: StaffUser, token: str, now: datetime, settings: Settings
) -> int:
    """End every session of the account but the one in use; how many live ones ended."""
    live = live_sessions(session, staff=staff, token=token, now=now, settings=settings)
    revoke_sessions(session, staff_id=staff.id, now=now, keep_token_hash=hash_token(token))
    return sum(not view.current for view in live)
