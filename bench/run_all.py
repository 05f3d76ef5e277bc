"""Run every benchmark in bench/ at sizes that fit a quarter of an hour, then build the report.

Run: .venv/bin/python -m bench.run_all [--postgres URL [--skip-if-unreachable]] [--full]
     [--only push_throughput scaling scheduler_peer load]      (`make bench` runs it)
Each benchmark runs in its own process, one after another (two cores: running them side by
side would measure each other). Sizes for the default run, about 13 minutes on 2 cores:
- push_throughput: 10,000 notifications due at once, push service answering at once and
  after 30 ms (SQLite);
- scaling: clinics of 1,000 and 10,000 patients on SQLite and PostgreSQL (100,000 with
  --full: about 40 minutes more), plans for 200 and 1,000 patients, 1/2/4 dispatch workers on
  PostgreSQL; it runs bench.patient_list's whole query set on its 10,000-patient databases;
- scheduler_peer: 10,000 reminders for 200 patients on SQLite (--full: the issue's 100,000
  for 2,000, on PostgreSQL too);
- load: 200 patients and 5 staff for 30 s on PostgreSQL;
- request_cost: a phone's requests over HTTP, 100 per configuration and round, 3 rounds, on
  SQLite (about a minute).
Then bench.report writes bench/results/REPORT.md and its plots. Results of the steps run are
deleted first, so the report never shows an older run's numbers as this one's. The exit
status is 1 when any step failed (the report is built all the same).
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from app.db import make_engine, normalise_url
from bench import report
from bench.common import RESULTS_DIR, describe, machine, write_results

STEPS = ("push_throughput", "scaling", "scheduler_peer", "load", "request_cost")


@dataclass
class Step:
    name: str
    module: str
    args: list[str]
    results: list[str]  # the JSON files it writes, under bench/results, without .json


def plan(postgres: str | None, *, full: bool) -> list[Step]:
    pg = ["--postgres", postgres] if postgres else []
    scaling = (
        shlex.split("--sizes 1000 10000 --detail-at 10000") + pg + (["--full"] if full else [])
    )
    peer = (
        pg
        if full
        else shlex.split(
            "--reminders 10000 --patients 200 --restart 2000 --schedule-cap 10 --fire-cap 20 "
            "--aftercare-cap 40"
        )
    )
    steps = [
        Step("push_throughput", "bench.push_throughput", ["--rows", "10000"], ["push_throughput"]),
        Step("scaling", "bench.scaling", scaling, ["scaling", "patient_list"]),
        Step("scheduler_peer", "bench.scheduler_peer", peer, ["scheduler_peer"]),
    ]
    if postgres:
        load = shlex.split("--patients 200 --staff 5 --seconds 30")
        load += ["--database-url", postgres, "--results", report.LOAD_RESULTS]
        steps.append(Step("load", "bench.load", load, [report.LOAD_RESULTS]))
    cost = shlex.split("--http --requests 100 --rounds 3 --results request_cost")
    steps.append(Step("request_cost", "bench.request_cost", cost, ["request_cost"]))
    return steps


def postgres_version(url: str) -> str | None:
    """The server's version when it answers, else None."""
    engine = make_engine(normalise_url(url))
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar_one()).split()[0]
    except OperationalError:
        return None
    finally:
        engine.dispose()


def run_step(step: Step) -> dict[str, Any]:
    print(f"\n=== {step.name}: python -m {step.module} {' '.join(step.args)}", flush=True)
    started = time.perf_counter()
    # Output goes straight to this terminal: a long step shows its progress as it goes.
    code = subprocess.call([sys.executable, "-m", step.module, *step.args])  # noqa: S603
    seconds = time.perf_counter() - started
    outcome = "ok" if code == 0 else f"failed (exit {code})"
    print(f"=== {step.name}: {outcome} in {seconds:.0f} s", flush=True)
    return {"name": step.name, "seconds": seconds, "outcome": outcome, "exit": code}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--postgres", default=None, help="a PostgreSQL server URL")
    parser.add_argument(
        "--skip-if-unreachable",
        action="store_true",
        help="run the SQLite parts alone when the PostgreSQL server does not answer",
    )
    parser.add_argument("--full", action="store_true", help="100,000 patients, full peer run")
    parser.add_argument("--only", nargs="+", choices=STEPS, default=None)
    args = parser.parse_args(argv)
    started, began = machine(), time.perf_counter()
    print(f"machine: {describe(started)}", flush=True)
    postgres, version = args.postgres, None
    if postgres:
        version = postgres_version(postgres)
        host = make_url(normalise_url(postgres)).host
        if version is None and not args.skip_if_unreachable:
            print(f"PostgreSQL at {host}: no answer", file=sys.stderr)
            return 2
        if version is None:
            print(f"PostgreSQL at {host}: no answer, its parts are skipped", flush=True)
            postgres = None
    steps = plan(postgres, full=args.full)
    chosen = [s for s in steps if args.only is None or s.name in args.only]
    # Every step's old results go (a skipped step's too), or only the chosen ones' with --only.
    names = set(args.only or STEPS)
    for step in plan("postgresql://", full=args.full):
        for name in step.results if step.name in names else []:
            (RESULTS_DIR / f"{name}.json").unlink(missing_ok=True)
    ran = [run_step(step) for step in chosen]
    shown = make_url(normalise_url(postgres)).render_as_string() if postgres else None
    write_results(
        "run",
        {
            "benchmark": "run_all",
            "machine": started,
            "load_average_end": machine()["load_average"],
            "wall_seconds": time.perf_counter() - began,
            "full": args.full,
            "postgres": f"{shown} (PostgreSQL {version})" if shown else None,
            "steps": ran,
        },
    )
    path = report.build()
    total = time.perf_counter() - began
    print(f"\nreport: {path}\nall steps: {total / 60:.1f} min", flush=True)
    return 1 if any(step["exit"] for step in ran) else 0


if __name__ == "__main__":
    sys.exit(main())
