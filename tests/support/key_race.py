"""Child processes that make the same key file at once, one of them writing it slowly."""

from __future__ import annotations

import hashlib
import os
import time
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import IO, Any

from app.notifications.vapid import load_or_create
from app.staff.totp_secrets import load_or_create_key

WRITE_PAUSE = 1.5  # seconds the slow writer waits halfway through its file
OTHERS_LATER = 0.5  # seconds the others wait, so they look while it is halfway


class _HalfThenPause:
    """A file whose write() stops halfway for a while, as a preempted process would."""

    def __init__(self, file: IO[Any]) -> None:
        self._file = file

    def write(self, data: bytes) -> int:
        half = len(data) // 2
        self._file.write(data[:half])
        self._file.flush()
        time.sleep(WRITE_PAUSE)
        return half + self._file.write(data[half:])

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)

    def __enter__(self) -> _HalfThenPause:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()


def make_key(barrier: Barrier, path: Path, kind: str, slow: bool, answers: Queue[str]) -> None:
    """Load or create the key at `path` once every process is ready: put what this process
    would use (the VAPID key id, or a digest of the TOTP key), or the error it met."""
    if slow:
        real = os.fdopen
        os.fdopen = lambda *args, **kwargs: _HalfThenPause(real(*args, **kwargs))  # type: ignore[assignment]
    barrier.wait()
    if not slow:
        time.sleep(OTHERS_LATER)
    try:
        if kind == "vapid":
            answers.put(load_or_create(path, create=True).key_id)
        else:
            answers.put(hashlib.sha256(load_or_create_key(path, create=True)).hexdigest())
    except Exception as exc:  # reported to the test, which fails on it
        answers.put(f"error: {exc!r}")
