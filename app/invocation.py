"""How to type the running `aftercare` command again, so a printed command can be pasted."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

COMMAND_NAME = "aftercare"


def pasteable_command(argv0: str | None = None, *, cwd: Path | None = None) -> str:
    """The running command as a shell in `cwd` finds it, e.g. `.venv/bin/aftercare`.

    A venv's `aftercare` is usually not on the PATH, so a bare `aftercare …` would fail: name
    the executable that runs, relative to `cwd` when it lies inside it.
    """
    argv0 = sys.argv[0] if argv0 is None else argv0
    cwd = Path.cwd() if cwd is None else cwd
    script = Path(argv0)
    if script.stem != COMMAND_NAME:  # `python -m app.cli`, or a test runner
        return f"{shlex.quote(shown_path(Path(sys.executable), cwd))} -m app.cli"
    if os.sep not in argv0 and shutil.which(argv0):
        return argv0  # the shell found it on the PATH, and will again
    return shlex.quote(shown_path(script, cwd))


def shown_path(path: Path, cwd: Path) -> str:
    """`path` relative to `cwd` when inside it (with ./ when it has no folder), else absolute."""
    absolute = Path(os.path.normpath(cwd / path))  # an absolute `path` replaces cwd
    try:
        inside = absolute.relative_to(cwd)
    except ValueError:
        return str(absolute)
    shown = str(inside)
    return shown if os.sep in shown else f".{os.sep}{shown}"
