"""Settings: AFTERCARE_* environment variables, a .env file, and clear refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from app.config import DEFAULT_SQLITE_URL, Settings


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
