"""Settings: AFTERCARE_* environment variables, a .env file, and clear refusals."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest
from argon2 import PasswordHasher
from pydantic import ValidationError

from app.config import DEFAULT_SQLITE_URL, Settings, StaffRoleName
from app.staff.models import StaffRole
from tests.support.hashing import CHEAP_PASSWORD_HASHING, PRODUCTION_PASSWORD_HASHING


def test_defaults_run_on_an_embedded_sqlite_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AFTERCARE_DATABASE_URL", raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url == DEFAULT_SQLITE_URL
    assert settings.env == "development"


def test_dotenv_is_read_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "AFTERCARE_DATABASE_URL=postgresql://a@db/x\nAFTERCARE_PUBLIC_URL=https://care.example/\n"
    )
    monkeypatch.delenv("AFTERCARE_DATABASE_URL", raising=False)
    monkeypatch.setenv("AFTERCARE_PUBLIC_URL", "https://from-env.example")
    settings = Settings(_env_file=env_file)  # type: ignore[call-arg]
    assert settings.database_url == "postgresql://a@db/x"
    assert settings.public_url == "https://from-env.example"
    assert settings.secure_cookies


@pytest.mark.parametrize(
    ("name", "value"),
    [("AFTERCARE_ENV", "staging"), ("AFTERCARE_ENROLMENT_LINK_DAYS", "0")],
)
def test_bad_values_are_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=name.removeprefix("AFTERCARE_").lower()):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_without_a_public_url_links_follow_the_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AFTERCARE_PUBLIC_URL", raising=False)
    unset = Settings(_env_file=None, database_url="sqlite://")  # type: ignore[call-arg]
    moved = unset.on_port(8011)
    assert moved.public_url == "http://127.0.0.1:8011"
    assert moved.database_url == "sqlite://"  # everything else as it was
    env_file = tmp_path / ".env"
    env_file.write_text("AFTERCARE_PUBLIC_URL=http://192.168.1.20:8000\n")
    in_dotenv = Settings(_env_file=env_file)  # type: ignore[call-arg]
    assert in_dotenv.on_port(8011).public_url == "http://192.168.1.20:8000"
    monkeypatch.setenv("AFTERCARE_PUBLIC_URL", "https://care.example.org/")
    from_env = Settings(_env_file=None)  # type: ignore[call-arg]
    assert from_env.on_port(8011).public_url == "https://care.example.org"


def test_an_empty_public_url_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFTERCARE_PUBLIC_URL", " ")  # as `make run` passes an unset PUBLIC_URL
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.public_url == "http://127.0.0.1:8000"
    assert settings.on_port(8011).public_url == "http://127.0.0.1:8011"


@pytest.mark.parametrize("value", ["192.168.1.20:8000", "ftp://care.example", "http://"])
def test_a_public_url_must_be_a_web_address(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("AFTERCARE_PUBLIC_URL", value)
    with pytest.raises(ValidationError, match="is not a web address"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_passwords_hash_at_argon2_cffis_cost_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CHEAP_PASSWORD_HASHING:  # the suite's own cheap cost, set for every test
        monkeypatch.delenv(name)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    made = PasswordHasher()
    assert settings.password_hash_memory_kib == made.memory_cost == 65536
    assert settings.password_hash_time_cost == made.time_cost == 3
    assert settings.password_hash_parallelism == made.parallelism == 4


PRODUCTION = {
    "env": "production",
    "public_url": "https://care.example.org",
    "vapid_subject": "mailto:ops@care.example.org",
}


def test_production_refuses_the_suites_cheap_password_hashing() -> None:
    with pytest.raises(ValidationError, match="below the production floor"):
        Settings(**PRODUCTION, _env_file=None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "weaker", [{"password_hash_memory_kib": 19 * 1024 - 1}, {"password_hash_time_cost": 1}]
)
def test_production_refuses_less_than_owasps_floor(weaker: dict[str, int]) -> None:
    with pytest.raises(ValidationError, match="AFTERCARE_PASSWORD_HASH_MEMORY_KIB"):
        Settings(**PRODUCTION, **PRODUCTION_PASSWORD_HASHING | weaker, _env_file=None)  # type: ignore[arg-type]
    floor = {"password_hash_memory_kib": 19 * 1024, "password_hash_time_cost": 2}
    assert Settings(**PRODUCTION, **floor, _env_file=None).env == "production"  # type: ignore[arg-type]


def test_argon2_needs_eight_kib_per_lane() -> None:
    with pytest.raises(ValidationError, match="at least 8 per lane"):
        Settings(password_hash_memory_kib=16, password_hash_parallelism=4, _env_file=None)  # type: ignore[call-arg]


class TestSecondFactorRoles:
    def test_admins_must_have_one_unless_told(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("AFTERCARE_TOTP_REQUIRED_ROLES", raising=False)  # the suite sets it
        assert Settings(_env_file=None).totp_required_roles == {"admin"}  # type: ignore[call-arg]

    @pytest.mark.parametrize(
        ("value", "roles"),
        [("", set()), ("admin", {"admin"}), (" Admin , clinician,", {"admin", "clinician"})],
    )
    def test_a_comma_separated_list_of_roles(
        self, monkeypatch: pytest.MonkeyPatch, value: str, roles: set[str]
    ) -> None:
        monkeypatch.setenv("AFTERCARE_TOTP_REQUIRED_ROLES", value)
        assert Settings(_env_file=None).totp_required_roles == roles  # type: ignore[call-arg]

    def test_an_unknown_role_is_refused_by_name(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("AFTERCARE_TOTP_REQUIRED_ROLES", "admin,nurse")
        with pytest.raises(ValidationError, match="totp_required_roles"):
            Settings(_env_file=None)  # type: ignore[call-arg]

    def test_the_role_names_are_the_staff_roles(self) -> None:
        assert set(get_args(StaffRoleName)) == {role.value for role in StaffRole}
