"""Alembic is the only thing that creates tables: the migration head must match the models."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import app.models  # noqa: F401  (every table on the metadata)
from app.db import make_engine
from app.migrate import alembic_config, upgrade_to_head
from tests.support.database import throwaway_database


def test_migration_head_matches_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_upgrade_is_idempotent_and_downgrade_removes_everything(tmp_path: Path) -> None:
    with throwaway_database(tmp_path) as url:
        engine = make_engine(url)
        try:
            upgrade_to_head(engine)
            upgrade_to_head(engine)  # a second run at head is a no-op
            assert set(SQLModel.metadata.tables) <= set(inspect(engine).get_table_names())
            command.downgrade(alembic_config(url), "base")
            assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
            command.upgrade(alembic_config(url), "head")
            assert set(SQLModel.metadata.tables) <= set(inspect(engine).get_table_names())
        finally:
            engine.dispose()
