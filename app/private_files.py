"""Files only their owner may read (the VAPID key, the demo password): made once, mode 0600."""

from __future__ import annotations

import os
from pathlib import Path


def write_private_file(path: Path, content: bytes) -> None:
    """Create `path` readable by its owner only; FileExistsError rather than overwrite it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created with its final mode: there is no moment when others could open it.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
