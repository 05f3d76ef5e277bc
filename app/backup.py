"""Online backup of a SQLite database to a checked file, and its restore (PostgreSQL: pg_dump)."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from app.db import normalise_url
from app.error_codes import ErrorCode
from app.errors import AppError
from app.private_files import write_private_file

# Copy this many pages per step so writers are only briefly held up during a long backup.
PAGES_PER_STEP = 1024


class BackupError(AppError):
    code = ErrorCode.BACKUP_FAILED


@dataclass(frozen=True)
class BackupResult:
    """What was written: where, how big, and at which schema revision."""

    path: Path
    size_bytes: int
    schema_revision: str | None


def sqlite_path(database_url: str) -> Path:
    """The file behind a sqlite:/// URL; a clear error for PostgreSQL or in-memory databases."""
    url = make_url(normalise_url(database_url))
    if url.get_backend_name() == "postgresql":
        raise BackupError(
            "this database is PostgreSQL: back it up with pg_dump "
            "(pg_dump --format=custom --file=aftercare.dump DBNAME), restore with pg_restore"
        )
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise BackupError("only a SQLite database file can be backed up by this command")
    return Path(url.database)


def backup_sqlite(database_url: str, target: Path, *, overwrite: bool = False) -> BackupResult:
    """Copy the live database to `target` while the service keeps running, then verify the copy.

    The copy goes to a temporary file beside `target` and is renamed into place only after an
    integrity check, so a failed or interrupted backup never leaves a half-written file behind
    under the target's name.
    """
    source_path = sqlite_path(database_url)
    if not source_path.is_file():
        raise BackupError(f"no database at {source_path}")
    if target.exists() and not overwrite:
        raise BackupError(f"{target} exists; pass --overwrite to replace it")
    if target.resolve() == source_path.resolve():
        raise BackupError("the backup cannot be written over the database itself")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    # Owner-only from the start (SQLite gives its journal the same mode): a backup holds every
    # patient's record, and a copy others can read outlives any erasure. Encrypt it before it
    # leaves the machine (docs/security/erasure.md).
    write_private_file(partial, b"")
    try:
        _copy_online(source_path, partial)
        revision = verify(partial)
        os.replace(partial, target)
    finally:
        # The copy is in WAL mode like its source: reading it to verify leaves -wal and -shm
        # files beside it, which the rename does not take along.
        for leftover in (partial, *_sidecars(partial)):
            leftover.unlink(missing_ok=True)
    return BackupResult(path=target, size_bytes=target.stat().st_size, schema_revision=revision)


def restore_sqlite(backup: Path, database_url: str) -> BackupResult:
    """Replace the database's content with a verified backup (stop the service first).

    The backup API writes into the existing file page by page under SQLite's own locking, so
    WAL and journal files stay consistent; a plain file copy over a database in WAL mode would not.
    """
    if not backup.is_file():
        raise BackupError(f"no backup at {backup}")
    revision = verify(backup)
    target_path = sqlite_path(database_url)
    if not target_path.exists():
        write_private_file(target_path, b"")  # a new database: owner-only, as its backups
    _copy_online(backup, target_path)
    return BackupResult(
        path=target_path, size_bytes=target_path.stat().st_size, schema_revision=revision
    )


def verify(path: Path) -> str | None:
    """Run SQLite's integrity check on a backup; its Alembic revision (None if never migrated)."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
            problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise BackupError(f"{path} failed its integrity check: {problems[0]}")
            has_version = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchone()
            if has_version is None:
                return None
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            return str(row[0]) if row else None
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a readable SQLite database: {exc}") from exc


def _sidecars(path: Path) -> tuple[Path, Path]:
    return path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")


def _copy_online(source_path: Path, target_path: Path) -> None:
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    target = sqlite3.connect(target_path)
    try:
        source.backup(target, pages=PAGES_PER_STEP)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"backup of {source_path} failed: {exc}") from exc
    finally:
        target.close()
        source.close()
