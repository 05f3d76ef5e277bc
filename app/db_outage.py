"""Telling a lost or full database from other database errors, and naming it in a log."""

from __future__ import annotations

import sqlite3
from enum import StrEnum

from sqlalchemy.exc import DBAPIError, OperationalError


class Outage(StrEnum):
    """Why the database cannot do the work now, though the request itself is fine."""

    UNREACHABLE = "unavailable"  # a dropped or refused connection, a server shutting down
    FULL = "full"  # no space left for a write


# PostgreSQL's SQLSTATEs for a server that is away or busy for now: connection exceptions
# (08…), an operator or crash shutdown and "the database system is starting up" (57P01 to 57P03),
# too many connections (53300). 53100 is disk_full.
_PG_AWAY_CLASSES = ("08",)
_PG_AWAY = {"57P01", "57P02", "57P03", "53300"}
_PG_DISK_FULL = "53100"
_SQLITE_AWAY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN}
_SQLITE_PRIMARY = 0xFF  # an extended result code's low byte is its primary code


def connection_lost(exc: DBAPIError) -> bool:
    """True for errors that pass once the database is back, so the work can simply wait."""
    # A dropped or refused connection, a terminated backend, a locked SQLite file: all pass.
    return exc.connection_invalidated or isinstance(exc, OperationalError)


def outage(exc: DBAPIError) -> Outage | None:
    """The outage behind a database error, or None when it is a bug or a bad value.

    Narrower than connection_lost: a request answered 503 must be worth retrying, and a
    missing table or a syntax error (also OperationalError on SQLite) is not.
    """
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)  # psycopg's; None for a failed connect
    extended = getattr(orig, "sqlite_errorcode", None)
    sqlite_code = None if extended is None else extended & _SQLITE_PRIMARY
    if sqlstate == _PG_DISK_FULL or sqlite_code == sqlite3.SQLITE_FULL:
        return Outage.FULL
    if exc.connection_invalidated:
        return Outage.UNREACHABLE
    if sqlite_code is not None:
        return Outage.UNREACHABLE if sqlite_code in _SQLITE_AWAY else None
    if isinstance(exc, OperationalError) and (
        sqlstate is None or sqlstate.startswith(_PG_AWAY_CLASSES) or sqlstate in _PG_AWAY
    ):
        return Outage.UNREACHABLE
    return None


def driver_message(exc: DBAPIError) -> str:
    """The first line of the driver's message, for a log line."""
    # The driver's message only: the statement and its parameters stay out of the log.
    return (str(exc.orig).strip() or type(exc.orig).__name__).splitlines()[0][:200]
