"""Throwaway test databases: a SQLite file, or a fresh PostgreSQL database per test run."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from app.db import make_engine, normalise_url

TEST_DATABASE_ENV = "AFTERCARE_TEST_DATABASE_URL"


def postgres_server_url() -> str | None:
    """The PostgreSQL server tests should use, if the environment names one."""
    url = os.environ.get(TEST_DATABASE_ENV, "").strip()
    return normalise_url(url) if url else None


@contextmanager
def throwaway_database(tmp_dir: Path) -> Iterator[str]:
    """Yield the URL of an empty database that is removed afterwards."""
    server = postgres_server_url()
    if server is None:
        yield f"sqlite:///{tmp_dir / 'aftercare-test.db'}"
        return
    name = f"aftercare_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(
        make_url(server).set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def empty_all_tables(engine: Engine) -> None:
    """Delete every row, children first, keeping the schema (faster than re-migrating)."""
    from sqlmodel import SQLModel

    tables = list(reversed(SQLModel.metadata.sorted_tables))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())
