"""Attempts counted in the database: reserve one, refuse a key over its limit, keep failures."""

from __future__ import annotations

import hashlib
import ipaddress
import math
import secrets
import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, col, select

from app.config import Settings
from app.db import transaction
from app.error_codes import ErrorCode
from app.errors import TooManyRequests
from app.ratelimit.models import RateLimitHit

LOGIN_ACCOUNT_CLIENT = "login_account_client"
LOGIN_IP = "login_ip"
TOTP_ACCOUNT = "totp"
ENROL_IP = "enrol_ip"
RESET_IP = "reset_ip"

TOO_MANY = "Too many failed attempts. Please wait a few minutes and try again."
# Rows of the recorded key are pruned on every failure; the whole scope (other keys that
# never come back, e.g. an attacker's addresses) on about one failure in this many, so a
# flood of failures does not turn every one of them into a scan of the table.
SCOPE_PRUNE_ONE_IN = 50
# The first wait of a progressive limit; each further failure doubles it. 30 s is no burden
# on a person who mistyped five times, and long enough that a script gains nothing by
# hammering; the cap (login_delay_max_minutes) is reached at the 10th failure.
FIRST_DELAY = timedelta(seconds=30)
# IPv6 addresses are counted by their /64: one subscriber gets a whole /64 and can change
# the rest of the address at will, so counting full addresses would let it dodge every limit.
IPV6_CLIENT_PREFIX = 64


@dataclass(frozen=True)
class Limit:
    """What one key may try, counting the attempts of the last `window`.

    Hard (`max_delay` None): at most `max_failures` per window; then wait until the oldest
    counted one leaves it. Progressive (`max_delay` set): `max_failures` are free, then each
    further attempt must come FIRST_DELAY x 2^k after the newest failure (k failures past
    the free ones), never more than `max_delay`. `cleared_by_success`: a success forgets the
    key's failures (only for keys a success proves belong to the person trying).
    """

    scope: str
    max_failures: int
    window: timedelta
    max_delay: timedelta | None = None
    cleared_by_success: bool = False


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


def client_key(ip: str) -> str:
    """The client address as limits count it: IPv4 as is, IPv6 by its /64 network."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ip.strip()
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/{IPV6_CLIENT_PREFIX}", strict=False))
    return str(address)


def login_account_client(settings: Settings, email: str, ip: str) -> Counted:
    """Wrong passwords for one e-mail address (known to us or not) from one client address.

    Progressive, never a lock on the account: the failures of one address never refuse
    the right password from another, so nobody can lock a clinician out from afar.
    """
    limit = Limit(
        LOGIN_ACCOUNT_CLIENT,
        settings.login_failures_per_account_client,
        settings.login_failure_memory,
        max_delay=settings.login_delay_max,
        cleared_by_success=True,
    )
    return counted(limit, f"{email.strip().lower()}\x00{client_key(ip)}")


def login_ip(settings: Settings, ip: str) -> Counted:
    """Failed logins per client address, whichever e-mail addresses they try."""
    limit = Limit(LOGIN_IP, settings.login_failures_per_ip, settings.rate_limit_window)
    return counted(limit, client_key(ip))


def totp_account(settings: Settings, staff_id: uuid.UUID) -> Counted:
    """Wrong TOTP codes per staff account, from any address.

    Per account (a code has only a million values, so guessing from many addresses must
    still be bounded): only someone who has the password can spend these, so it is no
    lever for a stranger; a clinician whose password is known must change it anyway.
    """
    limit = Limit(TOTP_ACCOUNT, settings.totp_failures_per_account, settings.rate_limit_window)
    return counted(limit, str(staff_id))


def enrol_ip(settings: Settings, ip: str) -> Counted:
    """Unknown, used or expired enrolment codes per client address."""
    limit = Limit(ENROL_IP, settings.enrol_failures_per_ip, settings.rate_limit_window)
    return counted(limit, client_key(ip))


def password_reset_ip(settings: Settings, ip: str) -> Counted:
    """Unknown, used or expired set-password links per client address (the enrolment limit:
    both are bearer links a guesser would sweep)."""
    limit = Limit(RESET_IP, settings.enrol_failures_per_ip, settings.rate_limit_window)
    return counted(limit, client_key(ip))


def progressive_delay(limit: Limit, failures: int) -> timedelta | None:
    """How long after its newest failure a progressive key waits with `failures` counted."""
    assert limit.max_delay is not None
    beyond = failures - limit.max_failures
    if beyond < 0:
        return None
    # min() before the power: 2**beyond for a large count would be an enormous number.
    doublings = min(beyond, 40)
    delay: timedelta = min(FIRST_DELAY * (2**doublings), limit.max_delay)
    return delay


def seconds_until_allowed(
    session: Session, item: Counted, now: datetime, *, excluding: Collection[int] = ()
) -> int | None:
    """None if `item` may try now; else how many seconds until one more attempt is allowed.

    `excluding`: the caller's own reservations, which are not attempts before it.
    """
    limit = item.limit
    window = (
        col(RateLimitHit.scope) == limit.scope,
        col(RateLimitHit.key_hash) == item.key_hash,
        col(RateLimitHit.created_at) > now - limit.window,
    )
    mine = (col(RateLimitHit.id).not_in(excluding),) if excluding else ()
    if limit.max_delay is not None:
        count, newest = session.execute(
            select(func.count(), func.max(RateLimitHit.created_at)).where(*window, *mine)
        ).one()
        delay = progressive_delay(limit, int(count))
        if delay is None or newest is None:
            return None
        # max() keeps the column's type (UTCDateTime): an aware UTC datetime on every database.
        wait = (newest + delay - now).total_seconds()
        return max(1, math.ceil(wait)) if wait > 0 else None
    # The max_failures-th newest attempt in the window: once it leaves the window, one more
    # attempt is allowed. One indexed query answers both "limited?" and "until when?".
    nth_newest = session.exec(
        select(RateLimitHit.created_at)
        .where(*window, *mine)
        .order_by(col(RateLimitHit.created_at).desc())
        .offset(limit.max_failures - 1)
        .limit(1)
    ).first()
    if nth_newest is None:
        return None
    return max(1, math.ceil((nth_newest + limit.window - now).total_seconds()))


def check(
    session: Session, items: Iterable[Counted], now: datetime, *, excluding: Collection[int] = ()
) -> None:
    """Raise TooManyRequests (429, Retry-After) if any of `items` is over its limit."""
    waits = [
        wait
        for item in items
        if (wait := seconds_until_allowed(session, item, now, excluding=excluding)) is not None
    ]
    if waits:
        raise TooManyRequests(TOO_MANY, retry_after=max(waits), code=ErrorCode.TOO_MANY_ATTEMPTS)


def record_failure(
    factory: sessionmaker[Session], items: Sequence[Counted], now: datetime
) -> list[int]:
    """Count one attempt against each of `items`, committed in a transaction of its own.

    This is also how an attempt is reserved before it is made: the row counts from the
    moment it is committed, so attempts made at once on any number of instances see each
    other (guard.reserved). Returns the new rows' ids, in the order of `items`.
    """
    if not items:
        return []
    with transaction(factory) as session:
        rows = [
            RateLimitHit(scope=item.limit.scope, key_hash=item.key_hash, created_at=now)
            for item in items
        ]
        session.add_all(rows)
        session.flush()
        for item in dict.fromkeys(items):
            _prune_key(session, item, now)
        if secrets.randbelow(SCOPE_PRUNE_ONE_IN) == 0:
            for scope, window in {(i.limit.scope, i.limit.window) for i in items}:
                prune(session, scope=scope, before=now - window)
        return [row.id for row in rows if row.id is not None]


def release(session: Session, ids: Collection[int]) -> None:
    """Forget reserved attempts (made and not failed, or never made): in `session`'s unit."""
    if ids:
        session.execute(delete(RateLimitHit).where(col(RateLimitHit.id).in_(ids)))


def clear(session: Session, item: Counted) -> None:
    """Forget every attempt of `item`'s key (a success proved the key is the owner's)."""
    session.execute(
        delete(RateLimitHit).where(
            col(RateLimitHit.scope) == item.limit.scope,
            col(RateLimitHit.key_hash) == item.key_hash,
        )
    )


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
