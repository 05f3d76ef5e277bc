"""Wrap a route's attempt: reserve it against its limits first, keep it only if it fails.

Why reserve first: checking the count and then recording a failure after the attempt lets
every attempt that starts before the first failure is written pass the check (on PostgreSQL
10, 20 and 19 passwords were checked against a limit of 5 under 10, 25 and 50 attempts at
once). Here an attempt's row is committed *before* the attempt, and the count that decides
is read after that commit and includes every other committed reservation. Of any attempts
made at once, the last one to commit sees all the others, so no more than the limit pass,
on any number of instances and on any database, with no lock held during the attempt.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app.db import transaction
from app.errors import AppError
from app.ratelimit.service import Counted, check, clear, record_failure, release


class Attempt:
    """One attempt's reservations; `succeeded` forgets them in the caller's transaction."""

    def __init__(self, reservations: dict[Counted, int]) -> None:
        self.reservations = reservations
        self.done = False

    def succeeded(self, session: Session) -> None:
        """The attempt worked: forget its reservations (and the failures of keys a success
        clears) in `session`, so they go with the success's own commit."""
        release(session, list(self.reservations.values()))
        for item in self.reservations:
            if item.limit.cleared_by_success:
                clear(session, item)
        self.done = True


@contextmanager
def reserved(
    factory: sessionmaker[Session],
    now: datetime,
    counts: Mapping[type[AppError], Sequence[Counted]],
) -> Iterator[Attempt]:
    """429 before the attempt if any counted key is over its limit (the attempt is not made).

    Inside, an AppError of one of the `counts` types keeps the reservations of its keys as
    failures (no write: they are already stored); any other outcome forgets them, in the
    caller's transaction through `Attempt.succeeded`, else in a transaction of their own.
    """
    items = list(dict.fromkeys(item for group in counts.values() for item in group))
    # A read first: a client hammering a key it is refused on costs no write at all.
    with transaction(factory, read=True) as session:
        check(session, items, now)
    ids = record_failure(factory, items, now)
    attempt = Attempt(dict(zip(items, ids, strict=True)))
    try:
        with transaction(factory, read=True) as session:
            check(session, items, now, excluding=ids)
    except AppError:
        _forget(factory, ids)  # refused: it checked nothing, so it is not a failure
        raise
    try:
        yield attempt
    except BaseException as exc:
        kept = {item for kind, group in counts.items() if isinstance(exc, kind) for item in group}
        # Even after `succeeded`: its deletion was rolled back with the failing transaction.
        _forget(factory, [i for item, i in attempt.reservations.items() if item not in kept])
        raise
    if not attempt.done:
        _forget(factory, ids)


def _forget(factory: sessionmaker[Session], ids: Sequence[int]) -> None:
    if ids:
        with transaction(factory) as session:
            release(session, ids)


@contextmanager
def failures_counted(
    session: Session,
    factory: sessionmaker[Session],
    now: datetime,
    counts: Mapping[type[AppError], Sequence[Counted]],
) -> Iterator[None]:
    """`reserved` around work done in the request's `session`.

    The request's transaction is ended first: on SQLite it holds the write lock the
    reservation's own transaction needs, and the attempt (often an argon2 password check)
    should run with no lock held. Nothing is lost: what it read stays loaded, and the work
    goes on in a new transaction. A failure rolls the work back before its reservations are
    sorted out, for the same lock.
    """
    session.commit()
    with reserved(factory, now, counts) as attempt:
        try:
            yield
        except BaseException:
            session.rollback()
            raise
        attempt.succeeded(session)
