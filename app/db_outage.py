"""Telling a lost database connection from other database errors, and naming it in a log."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, OperationalError


def connection_lost(exc: DBAPIError) -> bool:
    """True for errors that pass once the database is back, so the work can simply wait."""
    # A dropped or refused connection, a terminated backend, a locked SQLite file: all pass.
    return exc.connection_invalidated or isinstance(exc, OperationalError)


def driver_message(exc: DBAPIError) -> str:
    """The first line of the driver's message, for a log line."""
    # The driver's message only: the statement and its parameters stay out of the log.
    return (str(exc.orig).strip() or type(exc.orig).__name__).splitlines()[0][:200]
