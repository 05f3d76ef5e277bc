"""Start-up objects frozen out of the collector's passes: in a serving process, after its start."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _in_a_fresh_interpreter(code: str, tmp_path: Path) -> str:
    """Run `code` where freezing cannot touch this test process; its printed last line."""
    env = {
        "AFTERCARE_DATABASE_URL": f"sqlite:///{tmp_path / 'gc.db'}",
        "AFTERCARE_DISPATCHER_ENABLED": "false",
        "AFTERCARE_VAPID_PRIVATE_KEY_FILE": str(tmp_path / "vapid.pem"),
        "AFTERCARE_TOTP_KEY_FILE": str(tmp_path / "totp.key"),
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_freezing_collects_the_garbage_first_and_keeps_the_rest(tmp_path: Path) -> None:
    code = """
import gc, weakref
from app.gc_tuning import freeze_start_up_objects
class Node: pass
a, b = Node(), Node()
a.other, b.other = b, a  # a cycle: only the collector frees it
gone = weakref.ref(a)
del a, b
kept = [Node()]
freeze_start_up_objects()
print(gone() is None, gc.get_freeze_count() > 0, gc.is_tracked(kept))
"""
    assert _in_a_fresh_interpreter(code, tmp_path) == "True True True"


def test_a_serving_app_freezes_once_started_and_a_test_app_never(tmp_path: Path) -> None:
    code = """
import gc
from fastapi.testclient import TestClient
from app.migrate import upgrade_to_head
from app.db import make_engine
from app.config import Settings
from app.main import app_from_environment
upgrade_to_head(make_engine(Settings().database_url))
counts = []
for freeze in (False, True):
    app = app_from_environment(freeze_start_up=freeze)
    before = gc.get_freeze_count()
    with TestClient(app) as client:  # runs the app's start-up
        assert client.get("/api/health").status_code == 200
        counts.append(gc.get_freeze_count() - before)
print(counts[0] == 0, counts[1] > 50_000)
"""
    assert _in_a_fresh_interpreter(code, tmp_path) == "True True"
