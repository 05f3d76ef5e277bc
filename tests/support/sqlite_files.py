"""Read a live SQLite file's bytes from another process, so this one's locks on it survive.

POSIX drops every lock a process holds on a file when any descriptor it has on that file is
closed: `path.read_bytes()` beside open SQLite connections silently unlocks them (later
"disk I/O error"s and stale reads in unrelated tests). A child process's close does not.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

_CAT = "import sys; sys.stdout.buffer.write(open(sys.argv[1], 'rb').read())"


def file_bytes(path: Path) -> bytes:
    """The file's content, or b"" if there is none."""
    if not path.exists():
        return b""
    return subprocess.run(
        [sys.executable, "-c", _CAT, str(path)], check=True, capture_output=True
    ).stdout


def database_bytes(path: Path) -> bytes:
    """The database file and its WAL, one after the other."""
    return file_bytes(path) + file_bytes(path.with_name(f"{path.name}-wal"))
