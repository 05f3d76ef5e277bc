"""Failed attempts counted in the database: refuse a key over its limit, record a failure."""

from __future__ import annotations

import hashlib
import math
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.config import Settings
from app.db import transaction
from app.error_codes import ErrorCode
from app.errors import TooManyRequests
from app.ratelimit.models import RateLimitHit

LOGIN_EMAIL = "login_email"
LOGIN_IP = "login_ip"
TOTP_ACCOUNT = "totp"
ENROL_IP = "enrol_ip"

TOO_MANY = "Too many failed attempts. Please wait a few minutes and try again."
# Rows of the recorded key are pruned on every failure; the whole scope (other keys that
# never come back, e.g. an attacker's addresses) on about one failure in this many, so a
# flood of failures does not turn every one of them into a scan of the table.
SCOPE_PRUNE_ONE_IN = 50


@dataclass(frozen=True)
class Limit:
    """At most `max_failures` failed attempts per key within any `window`."""

    scope: str
    max_failures: int
    window: timedelta


@dataclass(frozen=True)
class Counted:
    """A key that attempts are counted against under a limit; only its hash is stored."""

    limit: Limit
    key_hash: str


def key_hash(scope: str, key: str) -> str:
    """SHA-256 hex of scope and key: no raw e-mail address or IP address reaches the table."""
    return hashlib.sha256(f"{scope}\x00{key}".encode()).hexdigest()


def counted(limit: Limit, key: str) -> Counted:
    return Counted(limit=limit, key_hash=key_hash(limit.scope, key))


def login_email(settings: Settings, email: str) -> Counted:
    """Failed logins (and password re-checks) per e-mail address, known to us or not."""
    limit = Limit(LOGIN_EMAIL, settings.login_failures_per_email, settings.rate_limit_window)
    return counted(limit, email.strip().lower())


def login_ip(settings: Settings, ip: str) -> Counted:
    """Failed logins per client address, whichever e-mail addresses they try."""
    return counted(Limit(LOGIN_IP, settings.login_failures_per_ip, settings.rate_limit_window), ip)


def totp_account(settings: Settings, staff_id: uuid.UUID) -> Counted:
    """Wrong TOTP codes per staff account."""
    limit = Limit(TOTP_ACCOUNT, settings.totp_failures_per_account, settings.rate_limit_window)
    return counted(limit, str(staff_id))


def enrol_ip(settings: Settings, ip: str) -> Counted:
    """Unknown, used or expired enrolment codes per client address."""
    return counted(Limit(ENROL_IP, settings.enrol_failures_per_ip, settings.rate_limit_window), ip)


def seconds_until_allowed(session: Session, item: Counted, now: datetime) -> int | None:
    """None if `item` may try now; else how many seconds until one more attempt is allowed."""
    limit = item.limit
    # The max_failures-th newest failure in the window: once it leaves the window, one more
    # attempt is allowed. One indexed query answers both "limited?" and "until when?".
    nth_newest = session.exec(
        select(RateLimitHit.created_at)
        .where(
            RateLimitHit.scope == limit.scope,
            RateLimitHit.key_hash == item.key_hash,
            col(RateLimitHit.created_at) > now - limit.window,
        )
        .order_by(col(RateLimitHit.created_at).desc())
        .offset(limit.max_failures - 1)
        .limit(1)
    ).first()
    if nth_newest is None:
        return None
    return max(1, math.ceil((nth_newest + limit.window - now).total_seconds()))


def check(session: Session, items: Iterable[Counted], now: datetime) -> None:
    """Raise TooManyRequests (429, Retry-After) if any of `items` is over its limit."""
    waits = [
        wait for item in items if (wait := seconds_until_allowed(session, item, now)) is not None
    ]
    if waits:
        raise TooManyRequests(TOO_MANY, retry_after=max(waits), code=ErrorCode.TOO_MANY_ATTEMPTS)


def record_failure(factory: sessionmaker[Session], items: Sequence[Counted], now: datetime) -> None:
    """Count one failure against each of `items`, committed in a transaction of its own.

    The caller's transaction is about to be rolled back (the request fails); a hit added to it
    would vanish with it. Call this after that transaction has ended: on SQLite it holds the
    write lock this one needs.
    """
    if not items:
        return
    with transaction(factory) as session:
        for item in items:
            session.add(
                RateLimitHit(scope=item.limit.scope, key_hash=item.key_hash, created_at=now)
            )
            _prune_key(session, item, now)
        if secrets.randbelow(SCOPE_PRUNE_ONE_IN) == 0:
            for scope, window in {(i.limit.scope, i.limit.window) for i in items}:
                prune(session, scope=scope, before=now - window)


def _prune_key(session: Session, item: Counted, now: datetime) -> None:
    # Uses the (scope, key_hash, created_at) index: cheap enough to run on every failure.
    session.execute(
        delete(RateLimitHit).where(
            col(RateLimitHit.scope) == item.limit.scope,
            col(RateLimitHit.key_hash) == item.key_hash,
            col(RateLimitHit.created_at) <= now - item.limit.window,
        )
    )


def prune(session: Session, *, scope: str, before: datetime) -> int:
    """Delete a scope's hits at or before `before` (out of every window); how many went."""
    result = session.execute(
        delete(RateLimitHit).where(
            col(RateLimitHit.scope) == scope, col(RateLimitHit.created_at) <= before
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
