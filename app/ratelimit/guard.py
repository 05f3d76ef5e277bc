"""Wrap a route's attempt: refuse it when over a limit, count it when it fails."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.errors import AppError
from app.ratelimit.service import Counted, check, record_failure


@contextmanager
def failures_counted(
    session: Session,
    factory: sessionmaker[Session],
    now: datetime,
    counts: Mapping[type[AppError], Sequence[Counted]],
) -> Iterator[None]:
    """429 before the attempt if any counted key is over its limit (the attempt is not made).

    An AppError of one of the `counts` types raised inside counts a failure against its keys.
    The request's transaction is rolled back first: it would be rolled back anyway, and on
    SQLite it holds the write lock the count's own transaction needs.
    """
    check(session, {item for items in counts.values() for item in items}, now)
    try:
        yield
    except AppError as exc:
        items = [i for kind, group in counts.items() if isinstance(exc, kind) for i in group]
        if items:
            session.rollback()
            record_failure(factory, list(dict.fromkeys(items)), now)
        raise
