"""Files only their owner may read (the VAPID key, the demo password): made once, mode 0600."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def write_private_file(path: Path, content: bytes) -> None:
    """Create `path` readable by its owner only; FileExistsError rather than overwrite it.

    The file appears whole or not at all: processes starting together (`serve --workers`,
    several instances on one volume) may each try to make the same key, and one that finds
    it must never read a file another is still writing. The content goes to a temporary file
    first; a hard link then names it `path`, which fails if `path` exists, so exactly one
    creator wins and every other reads the winner's complete file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{secrets.token_hex(8)}.partial")
    # Created with its final mode: there is no moment when others could open it.
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(partial, path)
        except FileExistsError:
            raise
        except OSError:
            # A file system without hard links (some network and FUSE mounts): publish by
            # creating `path` exclusively instead, still never replacing an existing file.
            _write_exclusively(path, content)
    finally:
        partial.unlink(missing_ok=True)


def _write_exclusively(path: Path, content: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
