"""Engine factory, naming convention, and the request-scoped session that commits or rolls back."""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DataError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, create_engine

SQLITE_BUSY_TIMEOUT_MS = 10_000
# Execution option of a connection whose transactions begin DEFERRED on SQLite (read sessions).
DEFERRED_BEGIN = "aftercare_deferred_begin"
# Set on a deferred transaction's DBAPI connection once its first write has upgraded it.
_UPGRADED = "aftercare_upgraded"


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs (SQLAlchemy would pick psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for SQLite (WAL, busy timeout, foreign keys) or PostgreSQL (pre-ping)."""
    url = normalise_url(url)
    parsed = make_url(url)
    kwargs.setdefault("hide_parameters", True)  # no patient data in SQL logs or error messages
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            **kwargs,
        )
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin)
        event.listen(engine, "before_cursor_execute", _upgrade_before_first_write)
        event.listen(engine, "before_cursor_execute", _refuse_nul)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control from pysqlite so BEGIN IMMEDIATE below is honoured.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Deleted rows are overwritten with zeros, not just unlinked: an erased patient's name
    # must not stay readable in free pages of the file (docs/security/erasure.md).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _begin(connection: Any) -> None:
    # A deferred transaction that reads then writes cannot wait on busy_timeout when another
    # writer got there first ("database is locked" at once); taking the write lock up front can.
    # Read sessions (GET and HEAD requests, the login's account lookup) begin DEFERRED instead:
    # they take no write lock, so a patient's read never queues behind a writer (WAL readers
    # see the last commit). Their rare writes (a session's idle-timer refresh) are upgraded
    # by _upgrade_before_first_write below.
    connection.info[_UPGRADED] = False
    if connection.get_execution_options().get(DEFERRED_BEGIN):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _upgrade_before_first_write(
    connection: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool
) -> None:
    # The first write of a deferred transaction: end its read snapshot (nothing has been
    # written: a COMMIT of a read) and go on as BEGIN IMMEDIATE, which waits on busy_timeout
    # like any writer. Upgrading in place would fail at once under contention (SQLite does not
    # wait to turn a read transaction into a write one). The writes then see the newest data,
    # not the snapshot the reads saw: what PostgreSQL's READ COMMITTED gives every statement.
    if not connection.get_execution_options().get(DEFERRED_BEGIN):
        return
    if connection.info.get(_UPGRADED) or not connection.in_transaction():
        return
    # Inside a savepoint a COMMIT would end it too: such work stays a plain deferred one.
    if connection.in_nested_transaction() or not _writes(statement, context):
        return
    connection.info[_UPGRADED] = True
    driver = connection.connection.driver_connection
    driver.execute("COMMIT")
    driver.execute("BEGIN IMMEDIATE")


_NOT_WRITES = ("SELECT", "PRAGMA", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "WITH")


def _writes(statement: str, context: Any) -> bool:
    if context is not None and (context.isinsert or context.isupdate or context.isdelete):
        return True
    return not statement.lstrip().upper().startswith(_NOT_WRITES)


def deferred(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """The same sessions, but their transactions begin DEFERRED on SQLite (read sessions).

    Made once per factory (an engine with the option, sharing the pool and the listeners).
    """
    found = _deferred_factories.get(factory)
    if found is None:
        engine = factory.kw["bind"]
        found = sessionmaker(
            engine.execution_options(**{DEFERRED_BEGIN: True}),
            class_=factory.class_,
            expire_on_commit=factory.kw.get("expire_on_commit", True),
        )
        _deferred_factories[factory] = found
    return found


_deferred_factories: weakref.WeakKeyDictionary[sessionmaker[Session], sessionmaker[Session]] = (
    weakref.WeakKeyDictionary()
)


def _refuse_nul(
    _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, executemany: bool
) -> None:
    # PostgreSQL refuses a NUL character in text (a DataError, answered 422); SQLite would
    # store it. Refusing it here too keeps one behaviour whichever database runs, for any
    # value the request schemas did not already refuse.
    for row in parameters if executemany else (parameters,):
        values = row.values() if isinstance(row, dict) else row or ()
        if any(isinstance(value, str) and "\x00" in value for value in values):
            orig = sqlite3.DataError("a string contains a NUL character")
            raise DataError(statement, None, orig, hide_parameters=True)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (responses read them)."""
    return sessionmaker(engine, class_=Session, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session], *, read: bool = False) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception.

    `read=True` for work that only reads (or writes rarely): on SQLite it begins DEFERRED and
    takes the write lock only at its first write, if any.
    """
    with (deferred(factory) if read else factory)() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def undone_if(session: Session, undo: bool) -> Iterator[None]:
    """Run the block in a savepoint rolled back at its end when `undo` (a preview: the change
    is made, so what it would do is counted exactly, and then undone)."""
    savepoint = session.begin_nested() if undo else None
    try:
        yield
    finally:
        if savepoint is not None:
            savepoint.rollback()
