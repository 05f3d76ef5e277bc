"""bench.load --trace: read the server's per-phase timings and say where slow requests went."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from bench.common import percentile

TRACE_PATH = Path(__file__).resolve().parent / "trace"  # holds the server's sitecustomize.py
# Phases that do not overlap: the wait for an in-flight slot, for a worker thread and for a
# pooled connection, SQL statements, commits, GC pauses. "rest" is the time none covers: the
# app's Python, and waiting for the GIL or the event loop. Beside them, not part of the sum,
# the CPU the worker threads spent on the request (its SQL's client side included).
PHASES = ("inflight_wait", "thread_wait", "pool_wait", "sql", "commit", "gc")
BESIDE = ("thread_cpu",)
_ID = re.compile(r"/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def endpoint(method: str, path: str) -> str:
    """'DELETE /api/me/tasks/3f…/complete' → 'DELETE /api/me/tasks/{id}/complete'."""
    return f"{method} {_ID.sub('/{id}', path)}"


def _ms(seconds: list[float], share: float) -> float:
    return round(percentile(sorted(seconds), share) * 1000, 2) if seconds else 0.0


def summarise(folder: Path) -> dict[str, Any]:
    """Per endpoint: the p99, and for its slowest 1 % the mean ms in each phase and the rest
    (the app's Python, waiting for the GIL, queueing on the event loop); beside that the GC
    pauses and the event loop's lateness over the whole run, all processes together."""
    requests: list[dict[str, Any]] = []
    pauses: list[float] = []
    generations: list[int] = []
    lags: list[float] = []
    for file in sorted(folder.glob("trace-*.json")):
        body = json.loads(file.read_text())
        requests += body["requests"]
        pauses += body["gc_pauses"]
        generations += body["gc_generations"]
        lags += body["loop_lags"]
    by_endpoint: dict[str, list[dict[str, Any]]] = {}
    for request in requests:
        by_endpoint.setdefault(endpoint(request["method"], request["path"]), []).append(request)
    endpoints = {}
    for name, rows in sorted(by_endpoint.items()):
        totals = sorted(row["total"] for row in rows)
        p99 = percentile(totals, 99)
        slow = [row for row in rows if row["total"] >= p99]  # p99 is one of them: never empty
        mean = {
            key: 1000 * sum(row.get(key, 0.0) for row in slow) / len(slow)
            for key in (*PHASES, *BESIDE, "total")
        }
        mean["rest"] = mean["total"] - sum(mean[phase] for phase in PHASES)
        endpoints[name] = {
            "count": len(rows),
            "p50_ms": round(percentile(totals, 50) * 1000, 2),
            "p99_ms": round(p99 * 1000, 2),
            "slowest_1pc": {key: round(value, 2) for key, value in mean.items()},
        }
    return {
        "endpoints": endpoints,
        "gc": {
            "pauses": len(pauses),
            "total_ms": round(1000 * sum(pauses), 1),
            "p99_ms": _ms(pauses, 99),
            "max_ms": _ms(pauses, 100),
            "by_generation": {
                str(g): {
                    "pauses": len(mine),
                    "total_ms": round(1000 * sum(mine), 1),
                    "max_ms": _ms(mine, 100),
                }
                for g in range(3)
                if (mine := [p for p, n in zip(pauses, generations, strict=True) if n == g])
            },
        },
        "loop_lag": {"p50_ms": _ms(lags, 50), "p99_ms": _ms(lags, 99), "max_ms": _ms(lags, 100)},
    }


def print_trace(trace: dict[str, Any]) -> None:
    print("  where the slowest 1 % of each endpoint's requests spent their time (server side, ms):")
    heads = ("p50", "p99", "total", *PHASES, "rest", *BESIDE)
    print(f"    {'endpoint':<44}" + "".join(f"{h:>14}" for h in heads))
    for name, row in trace["endpoints"].items():
        slow = row["slowest_1pc"]
        cells = [row["p50_ms"], row["p99_ms"], *(slow[h] for h in heads[2:])]
        print(f"    {name[:44]:<44}" + "".join(f"{c:>14.1f}" for c in cells))
    gc, lag = trace["gc"], trace["loop_lag"]
    print(
        f"  GC: {gc['pauses']} pauses, {gc['total_ms']:.0f} ms in all, p99 {gc['p99_ms']:.1f} ms,"
        f" longest {gc['max_ms']:.1f} ms; event loop late by p50 {lag['p50_ms']:.1f} ms,"
        f" p99 {lag['p99_ms']:.1f} ms, at most {lag['max_ms']:.1f} ms"
    )
    for generation, row in gc["by_generation"].items():
        print(
            f"    generation {generation}: {row['pauses']} collections, {row['total_ms']:.0f} ms,"
            f" longest {row['max_ms']:.1f} ms"
        )
