"""Private files: owner-only, never overwritten, and never seen half-written by another process."""

from __future__ import annotations

import hashlib
import multiprocessing
import multiprocessing.queues
from pathlib import Path

import pytest

from app.notifications.vapid import load_or_create
from app.private_files import write_private_file
from app.staff.totp_secrets import load_or_create_key
from tests.support.key_race import make_key


def test_written_once_owner_only_and_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "secret"
    write_private_file(path, b"first")
    with pytest.raises(FileExistsError):
        write_private_file(path, b"second")
    assert path.read_bytes() == b"first"
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["secret"]  # no temporary file left


@pytest.mark.parametrize("kind", ["vapid", "totp"])
def test_processes_starting_together_end_with_one_key(tmp_path: Path, kind: str) -> None:
    # `serve --workers N`, or instances sharing a volume, start at once. One writes its new
    # key slowly (preempted halfway); the others look while it is halfway. Each must make a
    # key or read the one that won, whole, and all must end using that one: a process that
    # read half a file would crash, and one that kept its own key would sign with a key the
    # others replaced.
    processes = 5
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes)
    answers: multiprocessing.queues.Queue[str] = context.Queue()
    path = tmp_path / "keys" / kind
    started = [
        context.Process(target=make_key, args=(barrier, path, kind, n == 0, answers))
        for n in range(processes)
    ]
    for process in started:
        process.start()
    got = [answers.get(timeout=60) for _ in started]
    for process in started:
        process.join(timeout=10)
    assert len(set(got)) == 1, got
    on_disk = (
        load_or_create(path, create=False).key_id
        if kind == "vapid"
        else hashlib.sha256(load_or_create_key(path, create=False)).hexdigest()
    )
    assert got[0] == on_disk
    assert [p.name for p in path.parent.iterdir()] == [kind]
