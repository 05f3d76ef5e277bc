"""TOTP seeds at rest: sealed under the key file, made once in development, needed in production."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.config import Settings
from app.shared.secret_box import SealBroken, SecretKeyMissing
from app.staff import totp, totp_secrets
from tests.support.hashing import PRODUCTION_PASSWORD_HASHING


@pytest.fixture(autouse=True)
def _suite_key_back() -> Iterator[None]:
    yield
    totp_secrets.use_key(os.urandom(64))  # as tests/conftest.py does: no test leaks its key


def settings(tmp_path: Path, env: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        env=env, vapid_private_key_file=tmp_path / "vapid.pem", _env_file=None,
        public_url="https://care.example.org", vapid_subject="mailto:ops@care.example.org",
        **(PRODUCTION_PASSWORD_HASHING if env == "production" else {}),
    )  # fmt: skip


def test_development_makes_an_owner_only_key_once(tmp_path: Path) -> None:
    totp_secrets.configure(settings(tmp_path, "development"))
    path = tmp_path / "totp-key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = path.read_bytes()
    sealed = totp_secrets.seal(totp.new_secret())
    totp_secrets.configure(settings(tmp_path, "development"))  # a restart
    assert path.read_bytes() == first
    totp_secrets.open_secret(sealed)  # still opens


def test_production_refuses_to_start_without_the_key(tmp_path: Path) -> None:
    with pytest.raises(SecretKeyMissing, match="AFTERCARE_TOTP_KEY_FILE"):
        totp_secrets.configure(settings(tmp_path, "production"))
    assert not (tmp_path / "totp-key").exists()


def test_a_sealed_seed_fits_its_column_and_checks_codes(tmp_path: Path) -> None:
    totp_secrets.configure(settings(tmp_path, "development"))
    seed = totp.new_secret()
    sealed = totp_secrets.seal(seed)
    assert len(sealed) <= 64 and seed not in sealed
    assert totp_secrets.open_secret(sealed) == seed
    now = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)
    assert totp.matching_step(sealed, totp.code_at(seed, now), now) == totp.time_step(now)


def test_a_seed_stored_before_sealing_still_works() -> None:
    seed = totp.new_secret()
    assert totp_secrets.open_secret(seed) == seed


def test_another_key_is_an_error_not_a_wrong_code(tmp_path: Path) -> None:
    totp_secrets.configure(settings(tmp_path, "development"))
    sealed = totp_secrets.seal(totp.new_secret())
    totp_secrets.use_key(os.urandom(64))
    with pytest.raises(SealBroken):
        totp_secrets.open_secret(sealed)


def test_the_setting_names_another_place(tmp_path: Path) -> None:
    chosen = tmp_path / "secrets" / "aftercare-totp.key"
    configured = settings(tmp_path, "development").model_copy(update={"totp_key_file": chosen})
    assert configured.totp_key_path == chosen
    totp_secrets.configure(configured)
    assert chosen.exists() and not (tmp_path / "totp-key").exists()
