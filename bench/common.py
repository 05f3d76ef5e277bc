"""Helpers the benchmarks share: rates, percentiles, memory, the machine, databases, results."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import resource
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from app.db import make_engine, normalise_url

RESULTS_DIR = Path(__file__).parent / "results"


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values (NaN when there are none)."""
    return values[min(len(values) - 1, int(p / 100 * len(values)))] if values else float("nan")


def peak_rss_mb() -> float:
    """This process's resident-set high-water mark, in MiB.

    VmHWM where Linux has it: ru_maxrss survives exec, so a spawned child would report its
    parent's peak from before the exec.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, IndexError, ValueError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def reset_peak_rss() -> None:
    """Restart the high-water mark from the current RSS, so a phase's peak is its own.

    Linux only (writing 5 to /proc/self/clear_refs); elsewhere the peak covers start-up too.
    """
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def current_rss_mb() -> float:
    """Resident set size now, from /proc (NaN where there is none)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return float("nan")
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def machine() -> dict[str, Any]:
    """What the numbers were measured on: they only compare within one run on one machine."""
    cpu = platform.processor() or platform.machine()
    memory_gb = float("nan")
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gb = round(int(line.split()[1]) / 2**20, 1)
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": memory_gb,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "system": f"{platform.system()} {platform.release()}",
        # Other work on the machine while measuring: absolute numbers suffer, ratios less so.
        "load_average": [round(x, 1) for x in os.getloadavg()],
    }


def describe(info: dict[str, Any]) -> str:
    return (
        f"{info['cpu']}, {info['cores']} cores, {info['memory_gb']} GB, "
        f"Python {info['python']}, SQLite {info['sqlite']}, {info['system']}, "
        f"load average {' '.join(str(x) for x in info['load_average'])}"
    )


def write_results(name: str, data: dict[str, Any]) -> Path:
    """Write bench/results/<name>.json (the report is built from these files)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return path


def reachable(url: str) -> bool:
    """Whether the database at `url` answers (a SQLite file always can be made)."""
    url = normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        return True
    engine = make_engine(url)
    try:
        with engine.connect():
            return True
    except OperationalError:
        return False
    finally:
        engine.dispose()
