"""The command the demo prints is the one that runs, as a shell in the same folder finds it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from app.invocation import pasteable_command, shown_path


def test_a_venv_command_is_named_by_its_path_relative_to_here(tmp_path: Path) -> None:
    assert pasteable_command(".venv/bin/aftercare", cwd=tmp_path) == ".venv/bin/aftercare"
    inside = str(tmp_path / ".venv" / "bin" / "aftercare")
    assert pasteable_command(inside, cwd=tmp_path) == ".venv/bin/aftercare"
    assert pasteable_command(inside, cwd=tmp_path / ".venv" / "bin") == "./aftercare"


def test_a_command_outside_here_is_named_by_its_absolute_path(tmp_path: Path) -> None:
    elsewhere = tmp_path / "my tools" / "aftercare"
    assert pasteable_command(str(elsewhere), cwd=tmp_path / "work") == f"'{elsewhere}'"


def test_a_command_found_on_the_path_keeps_its_short_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "aftercare").write_text("#!/bin/sh\n")
    (tmp_path / "aftercare").chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert pasteable_command("aftercare", cwd=Path("/")) == "aftercare"


def test_run_as_a_module_it_names_the_interpreter(tmp_path: Path) -> None:
    command = pasteable_command(str(tmp_path / "cli.py"), cwd=tmp_path)
    assert command == f"{shown_path(Path(sys.executable), tmp_path)} -m app.cli"


def test_shown_paths_are_normalised(tmp_path: Path) -> None:
    assert shown_path(Path("var/../var/demo-password"), tmp_path) == "var/demo-password"
    assert shown_path(Path("/etc/aftercare/key.pem"), tmp_path) == "/etc/aftercare/key.pem"
