"""Revision 0009: plaintext TOTP seeds are sealed with the key file, and opened again going down."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Engine

from app.db import make_engine, transaction
from app.db import session_factory as factory_of
from app.migrate import alembic_config, upgrade_to_head
from app.shared.secret_box import read_key
from app.staff import totp, totp_secrets
from app.staff.models import StaffUser
from tests.support.database import throwaway_database
from tests.support.factories import make_clinic_with_staff
from tests.support.migrations import NOW


@pytest.fixture(autouse=True)
def _suite_key_back() -> Iterator[None]:
    yield
    totp_secrets.use_key(os.urandom(64))


def stored(engine: Engine) -> list[str | None]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT totp_secret FROM staff_user ORDER BY email"))
        return [row[0] for row in rows]


def test_0009_seals_plaintext_seeds_and_opens_them_going_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "totp-key"
    monkeypatch.setenv("AFTERCARE_TOTP_KEY_FILE", str(key_file))
    seed = totp.new_secret()
    with throwaway_database(tmp_path) as url:
        engine = make_engine(url)
        try:
            upgrade_to_head(engine)
            # Made through today's models, then taken down to 0008 (no second factor yet).
            factory = factory_of(engine)
            _, nurse = make_clinic_with_staff(factory, now=NOW, email="a@riverside.example")
            make_clinic_with_staff(factory, now=NOW, clinic_name="Hill", email="b@hill.example")
            command.downgrade(alembic_config(url), "0008")
            with engine.begin() as connection:  # as 0008's app stored it: in clear
                connection.execute(
                    text("UPDATE staff_user SET totp_secret = :s WHERE email = :e"),
                    {"s": seed, "e": "a@riverside.example"},
                )

            command.upgrade(alembic_config(url), "head")
            sealed, untouched = stored(engine)
            assert untouched is None
            assert sealed is not None and sealed.startswith("v1:") and seed not in sealed
            assert key_file.exists()  # development: made on first need
            totp_secrets.use_key(read_key(key_file))
            assert totp_secrets.open_secret(sealed) == seed
            with transaction(factory) as session:  # and the app reads it through the ORM
                row = session.get(StaffUser, nurse.id)
                assert row is not None and row.totp_secret == sealed

            command.downgrade(alembic_config(url), "0008")
            assert stored(engine) == [seed, None]
        finally:
            engine.dispose()


def test_0009_needs_no_key_when_no_one_has_a_second_factor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AFTERCARE_ENV", "production")  # which would refuse to make one
    monkeypatch.setenv("AFTERCARE_TOTP_KEY_FILE", str(tmp_path / "nowhere"))
    with throwaway_database(tmp_path) as url:
        engine = make_engine(url)
        try:
            upgrade_to_head(engine)
            make_clinic_with_staff(factory_of(engine), now=NOW)
            command.downgrade(alembic_config(url), "0008")
            command.upgrade(alembic_config(url), "head")
        finally:
            engine.dispose()
    assert not (tmp_path / "nowhere").exists()
