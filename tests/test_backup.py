"""Backups of a live SQLite database: consistent under writes, verified, restorable."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.backup import BackupError, backup_sqlite, restore_sqlite, verify
from app.clinics.models import Clinic
from app.db import make_engine, session_factory
from app.migrate import alembic_config, upgrade_to_head
from app.staff.service import create_clinic

NOW = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """A migrated SQLite database file with one clinic in it (whatever the suite's backend)."""
    url = f"sqlite:///{tmp_path / 'live.db'}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    add_clinics(engine, ["Riverside Vein Clinic"])
    yield url, engine
    engine.dispose()


def add_clinics(engine: Engine, names: list[str]) -> None:
    with session_factory(engine)() as session, session.begin():
        for name in names:
            create_clinic(session, name=name, now=NOW, phone="+44 20 7946 0001")


def clinic_names(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return sorted(session.exec(select(Clinic.name)).all())
    finally:
        engine.dispose()


class TestBackup:
    def test_copy_holds_the_data_and_the_schema_revision(
        self, live: tuple[str, Engine], tmp_path: Path
    ) -> None:
        url, _ = live
        result = backup_sqlite(url, tmp_path / "backups" / "aftercare.db")

        assert result.schema_revision == HEAD
        assert result.size_bytes > 0
        assert clinic_names(f"sqlite:///{result.path}") == ["Riverside Vein Clinic"]

    def test_taken_while_the_service_writes_is_consistent(
        self, live: tuple[str, Engine], tmp_path: Path
    ) -> None:
        url, engine = live
        stop = threading.Event()

        def keep_writing() -> None:
            n = 0
            while not stop.is_set():
                add_clinics(engine, [f"Clinic {n}"])
                n += 1

        writer = threading.Thread(target=keep_writing)
        writer.start()
        try:
            result = backup_sqlite(url, tmp_path / "during-writes.db")
        finally:
            stop.set()
            writer.join()

        # Whatever moment the copy caught, it passes the integrity check and reads back whole.
        assert verify(result.path) == HEAD
        copied = clinic_names(f"sqlite:///{result.path}")
        assert "Riverside Vein Clinic" in copied
        assert len(copied) <= len(clinic_names(url))

    def test_refuses_to_overwrite_an_existing_file_unless_asked(
        self, live: tuple[str, Engine], tmp_path: Path
    ) -> None:
        url, _ = live
        target = tmp_path / "aftercare.db"
        target.write_bytes(b"an older backup")

        with pytest.raises(BackupError, match="exists"):
            backup_sqlite(url, target)
        assert target.read_bytes() == b"an older backup"

        backup_sqlite(url, target, overwrite=True)
        assert verify(target) == HEAD

    def test_refuses_to_write_over_the_database_itself(self, live: tuple[str, Engine]) -> None:
        url, _ = live
        with pytest.raises(BackupError, match="over the database"):
            backup_sqlite(url, Path(url.removeprefix("sqlite:///")), overwrite=True)
        assert clinic_names(url) == ["Riverside Vein Clinic"]

    def test_postgresql_is_pointed_at_pg_dump(self, tmp_path: Path) -> None:
        with pytest.raises(BackupError, match="pg_dump"):
            backup_sqlite("postgresql://postgres@127.0.0.1/aftercare", tmp_path / "x.db")

    def test_missing_database_is_a_clear_error(self, tmp_path: Path) -> None:
        with pytest.raises(BackupError, match="no database"):
            backup_sqlite(f"sqlite:///{tmp_path / 'nowhere.db'}", tmp_path / "x.db")
        assert not (tmp_path / "x.db").exists()


class TestOwnerOnly:
    """A backup holds every patient's record: only its owner may read it (mode 0600)."""

    @pytest.fixture
    def permissive_umask(self) -> Iterator[None]:
        previous = os.umask(0)  # what a careless shell or service manager might leave
        yield
        os.umask(previous)

    @pytest.mark.usefixtures("permissive_umask")
    def test_a_new_backup_is_0600(self, live: tuple[str, Engine], tmp_path: Path) -> None:
        url, _ = live
        result = backup_sqlite(url, tmp_path / "backups" / "aftercare.db")
        assert stat.S_IMODE(result.path.stat().st_mode) == 0o600
        assert [p.name for p in result.path.parent.iterdir()] == ["aftercare.db"]

    @pytest.mark.usefixtures("permissive_umask")
    def test_one_written_over_a_readable_file_is_0600(
        self, live: tuple[str, Engine], tmp_path: Path
    ) -> None:
        url, _ = live
        target = tmp_path / "aftercare.db"
        target.write_bytes(b"an older backup")
        target.chmod(0o644)
        backup_sqlite(url, target, overwrite=True)
        assert stat.S_IMODE(target.stat().st_mode) == 0o600

    @pytest.mark.usefixtures("permissive_umask")
    def test_a_database_restored_to_a_new_file_is_0600(
        self, live: tuple[str, Engine], tmp_path: Path
    ) -> None:
        url, _ = live
        backup = backup_sqlite(url, tmp_path / "backup.db").path
        fresh = tmp_path / "new" / "aftercare.db"
        restore_sqlite(backup, f"sqlite:///{fresh}")
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
        assert clinic_names(f"sqlite:///{fresh}") == ["Riverside Vein Clinic"]


class TestRestore:
    def test_brings_back_the_data_as_it_was(self, live: tuple[str, Engine], tmp_path: Path) -> None:
        url, engine = live
        backup = backup_sqlite(url, tmp_path / "before.db").path
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM clinic"))
        add_clinics(engine, ["Written after the backup"])
        engine.dispose()

        result = restore_sqlite(backup, url)

        assert result.schema_revision == HEAD
        assert clinic_names(url) == ["Riverside Vein Clinic"]
        with Session(make_engine(url)) as session:
            assert session.exec(select(func.count()).select_from(Clinic)).one() == 1

    def test_a_damaged_backup_is_refused_and_the_database_untouched(
        self, live: tuple[str, Engine], tmp_path: Path
    ) -> None:
        url, _ = live
        damaged = tmp_path / "damaged.db"
        damaged.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4096)

        with pytest.raises(BackupError):
            restore_sqlite(damaged, url)
        assert clinic_names(url) == ["Riverside Vein Clinic"]
