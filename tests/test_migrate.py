"""Alembic is the only thing that creates tables: the migration head must match the models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.schema import CreateIndex
from sqlmodel import SQLModel, select

import app.models  # noqa: F401  (every table on the metadata)
from app.db import session_factory
from app.migrate import upgrade_to_head
from app.tasks.models import Occurrence
from tests.support.factories import make_clinic_with_staff, make_patient
from tests.support.migrations import database_at_head


# SQLite's reflection skips indexes on expressions: the next test compares those instead.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_migration_head_matches_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_expression_indexes_are_as_the_models_declare_them_on_sqlite(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL reflects expression indexes: the comparison above covers them")
    declared = {
        index.name: str(CreateIndex(index).compile(dialect=engine.dialect)).strip()
        for table in SQLModel.metadata.tables.values()
        for index in table.indexes
        if not all(isinstance(part, Column) for part in index.expressions)
    }
    assert declared  # the patient list's lower(name) index, at least
    with engine.connect() as connection:
        stored = connection.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'index'")
        ).all()
    assert {name: sql for name, sql in stored if name in declared} == declared


def test_upgrade_is_idempotent_and_downgrade_removes_everything(tmp_path: Path) -> None:
    with database_at_head(tmp_path) as db:
        upgrade_to_head(db.engine)  # a second run at head is a no-op
        assert set(SQLModel.metadata.tables) <= set(inspect(db.engine).get_table_names())
        db.down("base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.up()
        assert set(SQLModel.metadata.tables) <= set(inspect(db.engine).get_table_names())


def test_0005_fills_each_rows_day_after_treatment_as_the_app_does(tmp_path: Path) -> None:
    """Back to 0004 (the column goes), up again: the filled days equal what sync stored."""
    now = datetime(2026, 4, 10, 12, 0, tzinfo=UTC)
    with database_at_head(tmp_path) as db:
        clinic, nurse = make_clinic_with_staff(db.factory, now=now - timedelta(days=30))
        for zone, treated in (
            ("Europe/London", datetime(2026, 3, 28, 23, 30, tzinfo=UTC)),  # before BST
            ("Pacific/Auckland", datetime(2026, 4, 1, 20, 0, tzinfo=UTC)),
        ):
            make_patient(
                db.factory, clinic=clinic, staff=nurse, now=treated, settings=db.settings,
                time_zone=zone, treatment={"performed_at": treated.isoformat()},
            )  # fmt: skip
        synced = _treatment_days(db.engine)
        assert len(synced) > 100 and None not in synced.values()
        db.down("0004")
        db.up("0005")
        assert _treatment_days(db.engine) == synced


def _treatment_days(engine: Engine) -> dict[object, int | None]:
    with session_factory(engine)() as session:
        return dict(session.exec(select(Occurrence.id, Occurrence.treatment_day)).all())
