"""Metrics: one process's in memory; `serve --workers N`'s added up across its workers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app.notifications import metrics

ROOT = Path(__file__).resolve().parents[2]


def _in_a_process(code: str, metrics_dir: Path) -> str:
    env = os.environ | {metrics.MULTIPROCESS_DIR: str(metrics_dir)}
    done = subprocess.run(
        [sys.executable, "-c", f"from app.notifications import metrics\n{code}"],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return done.stdout


def test_a_scrape_of_any_worker_adds_up_every_workers_values(tmp_path: Path) -> None:
    # Two workers each sent one reminder and each set the queue depth at its last scrape;
    # a third answers the scrape: both sends count, and the depth is the latest one set.
    _in_a_process("metrics.sends.labels('sent').inc()\nmetrics.queue_depth.set(5)", tmp_path)
    _in_a_process("metrics.sends.labels('sent').inc()\nmetrics.queue_depth.set(7)", tmp_path)
    text = _in_a_process("import sys\nsys.stdout.write(metrics.exposition().decode())", tmp_path)
    assert 'aftercare_push_messages_total{outcome="sent"} 2.0' in text.splitlines()
    assert "aftercare_push_queue_due 7.0" in text.splitlines()


def test_without_workers_a_scrape_shows_this_processs_values() -> None:
    assert os.environ.get(metrics.MULTIPROCESS_DIR) is None
    before = metrics.sends.labels("sent")._value.get()
    metrics.sends.labels("sent").inc()
    text = metrics.exposition().decode()
    assert f'aftercare_push_messages_total{{outcome="sent"}} {before + 1}' in text.splitlines()
