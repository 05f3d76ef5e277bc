"""Build bench/results/REPORT.md and its PNG plots from the benchmarks' JSON results.

Run: .venv/bin/python -m bench.report   (bench.run_all, i.e. `make bench`, runs it last)
Every figure is a ratio against a baseline timed in the same run (the machine is shared);
the tables beside them give the absolute numbers. A missing results file leaves its section
out with a note; the targets table says "not measured" for it.
"""

from __future__ import annotations

import gzip
import json
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, NullFormatter

from bench.common import RESULTS_DIR

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "app" / "web"
PWA_BUDGET = 60 * 1024
ME_TASKS = "GET /api/me/tasks?date (today)"
ME_WINDOW = "GET /api/me/tasks?from&to (120 days)"
LOAD_RESULTS = "load-200-postgresql"
COLOURS = {"sqlite": "#4c72b0", "postgresql": "#dd8452", "apscheduler": "#8c8c8c"}


def load(name: str, results: Path = RESULTS_DIR) -> dict[str, Any] | None:
    path = results / f"{name}.json"
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def fmt(value: float | None, digits: int = 0, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}{unit}"


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def save(
    figure: Any, out: Path, name: str, *, rect: tuple[float, float, float, float] | None = None
) -> str:
    figure.tight_layout(rect=rect)
    figure.savefig(out / name, dpi=110)
    plt.close(figure)
    return f"![{name}]({name})"


def plain_log(axis: Any) -> None:
    """Log scale with plain tick labels (0.5, 2, 300), not powers of ten."""
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axis.set_minor_formatter(NullFormatter())


def label_bars(axes: Axes, bars: Any, labels: list[str]) -> None:
    for bar, text in zip(bars, labels, strict=True):
        axes.annotate(
            text,
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=8,
            xytext=(0, 2),
            textcoords="offset points",
        )


# --- the PWA's first load ---------------------------------------------------------------------


def pwa_weight() -> dict[str, Any]:
    """gzip -9 size of every file app/web/sw.js precaches (its SHELL, index.html included), and
    of sw.js itself, which the browser fetches on the first visit too."""
    text = (WEB / "sw.js").read_text()
    found = re.search(r"const SHELL = \[(.*?)\];", text, re.S)
    shell = re.findall(r'"(/[^"]+)"', found[1]) if found else []
    files = [*shell, "/sw.js"]
    sizes = {
        name: len(gzip.compress((WEB / name.lstrip("/")).read_bytes(), 9))
        for name in files
        if (WEB / name.lstrip("/")).is_file()
    }
    return {"files": sizes, "total": sum(sizes.values()), "budget": PWA_BUDGET}


# --- targets ----------------------------------------------------------------------------------


def verdict(ok: bool | None) -> str:
    return "not measured" if ok is None else ("**met**" if ok else "**missed**")


def targets(data: dict[str, Any]) -> list[str]:
    rows: list[list[str]] = []
    push = data.get("push_throughput")
    runs = {r["latency_ms"]: r for r in push["results"]} if push else {}
    for latency in sorted(runs) or [None]:
        r = runs.get(latency) if latency is not None else None
        where = f"push service {latency:.0f} ms away" if latency is not None else ""
        rate_ok = r["dispatcher_per_s"] >= 1000 if r else None
        rows.append(
            [
                f"dispatcher ≥ 1,000 notifications/s ({where}, SQLite)",
                f"{fmt(r['dispatcher_per_s'])}/s" if r else "-",
                verdict(rate_ok),
            ]
        )
        x_ok = r["dispatcher_over_naive"] >= 5 if r else None
        rows.append(
            [
                f"dispatcher ≥ 5 x naive `pywebpush.webpush()` loop ({where})",
                f"{fmt(r['dispatcher_over_naive'], 1)} x ({fmt(r['naive_per_s'])}/s naive)"
                if r
                else "-",
                verdict(x_ok),
            ]
        )
        late_ok = r["lateness_s"]["p99"] < 10 if r else None
        rows.append(
            [
                f"p99 lateness < 10 s, {fmt(r['due'] if r else 10_000)} due at once ({where})",
                f"{fmt(r['lateness_s']['p99'], 2)} s (p50 {fmt(r['lateness_s']['p50'], 2)} s)"
                if r
                else "-",
                verdict(late_ok),
            ]
        )
    scaling = data.get("scaling")
    if scaling and scaling.get("dispatch"):
        one = next((r for r in scaling["dispatch"]["rounds"] if r["workers"] == 1), None)
        if one:
            rows.append(
                [
                    f"dispatcher ≥ 1,000/s, PostgreSQL, one `aftercare worker` "
                    f"({fmt(one['due'])} due, push service "
                    f"{scaling['dispatch']['latency_ms']:.0f} ms away)",
                    f"{fmt(one['per_s'])}/s, p99 lateness {fmt(one['lateness_p99_s'], 1)} s",
                    verdict(one["per_s"] >= 1000),
                ]
            )
    load_run = data.get(LOAD_RESULTS)
    tasks = load_run["endpoints"].get(ME_TASKS) if load_run else None
    label = "`GET /api/me/tasks` p99 < 25 ms, 200 concurrent patients, PostgreSQL"
    if load_run and tasks:
        label += f" ({load_run['staff']} staff too, {load_run['seconds']:.0f} s)"
        measured = (
            f"p99 {fmt(tasks['p99_ms'], 1)} ms (p50 {fmt(tasks['p50_ms'], 1)} ms; "
            f"{fmt(load_run['requests_per_second'])} requests/s)"
        )
    else:
        measured = "-"
    rows.append([label, measured, verdict(tasks["p99_ms"] < 25 if tasks else None)])
    lists = data.get("patient_list")
    for entry in (lists or {}).get("results", []) or [None]:
        if entry is None:
            rows.append(
                [
                    "clinic list, 10,000 patients, first page with adherence < 150 ms",
                    "-",
                    verdict(None),
                ]
            )
            continue
        first = entry["queries"]["first page, sort=name"]
        rows.append(
            [
                f"clinic list, {fmt(entry['patients'])} patients, first page with adherence "
                f"< 150 ms ({entry['database']}, p50)",
                f"p50 {fmt(first['p50_ms'], 1)} ms (p99 {fmt(first['p99_ms'], 1)} ms)",
                verdict(first["p50_ms"] < 150),
            ]
        )
    rows += _tail_targets(load_run) + _cost_targets(data.get("request_cost"))
    rows += _ceiling_targets(push)
    pwa = data["pwa"]
    rows.append(
        [
            "patient PWA first load < 60 KB compressed (gzip -9 of every precached file + sw.js)",
            f"{pwa['total'] / 1024:.1f} KB in {len(pwa['files'])} files",
            verdict(pwa["total"] < PWA_BUDGET),
        ]
    )
    return table(["target", "measured", "verdict"], rows)


# --- findings ---------------------------------------------------------------------------------


def findings(data: dict[str, Any]) -> list[str]:
    """What the numbers say, in sentences; the analysis behind them is in docs/scaling.md."""
    found: list[str] = []
    scaling = data.get("scaling")
    if scaling and scaling.get("growth"):
        rows = [(db, g) for db, gs in scaling["growth"].items() for g in gs]
        fast = [(db, g) for db, g in rows if g["superlinear"]]
        sizes = " -> ".join(f"{n:,}" for n in scaling["sizes"])
        if fast:
            found += [
                f"- Faster than linear ({sizes} patients): "
                + "; ".join(
                    f"{FIGURES.get(g['figure'], g['figure'])} on {db} (k = {g['exponent']:.2f})"
                    for db, g in fast
                )
                + "."
            ]
        else:
            found.append(
                f"- Nothing grew faster than linearly between {sizes} patients (k <= "
                f"{max(g['exponent'] for _, g in rows):.2f})."
            )
        pages = [g["exponent"] for _, g in rows if g["figure"] == "first_page"]
        if pages:
            found.append(
                f"- The list's first page hardly depends on the clinic's size (k = "
                f"{min(pages):.2f}-{max(pages):.2f}): only the count and the sort by name "
                "touch every patient of the clinic; each figure is grouped for the page's "
                "50 ids alone."
            )
        for db, points in scaling["databases"].items():
            last = points[-1]
            found.append(
                f"- {db}, {last['patients']:,} patients: the adherence overview takes "
                f"{last['overview']['p50_ms']:,.0f} ms and sorting the list by adherence "
                f"{last['first_page_worst_adherence']['p50_ms']:,.0f} ms; both grow linearly "
                "(every patient's tasks are counted, from the covering index on occurrence): "
                "see docs/scaling.md."
            )
        dispatch = scaling.get("dispatch")
        if dispatch:
            rounds = dispatch["rounds"]
            exact = all(r["sent"] == r["due"] == r["delivered"] for r in rounds)
            found.append(
                f"- Dispatch workers on PostgreSQL: {rounds[-1]['workers']} processes sent "
                f"{rounds[-1]['ratio_to_one']:.2f} x what one did. On "
                f"{(data.get('run') or {}).get('machine', {}).get('cores', 'these')} cores the "
                "workers, PostgreSQL and the push service share the CPU: this shows that "
                "workers can be added"
                + (" (each round: all sent, deliveries = reminders)" if exact else "")
                + ", not the ceiling of a bigger machine."
            )
    push = data.get("push_throughput")
    if push:
        instant = next((r for r in push["results"] if r["latency_ms"] == 0), None)
        if instant and instant["dispatcher_over_naive"] < 5:
            found.append(
                "- Against a push service that answers instantly on loopback, the naive loop "
                f"is CPU-bound too ({instant['naive_per_s']:,.0f}/s) and the dispatcher is "
                f"{instant['dispatcher_over_naive']:.1f} x faster, short of 5 x; with a "
                "30 ms answer, as from a real push service, it is far past it."
            )
    load_run = data.get(LOAD_RESULTS)
    if load_run:
        tasks = load_run["endpoints"].get(ME_TASKS, {})
        health = load_run["endpoints"].get("GET /api/health", {})
        if tasks.get("p99_ms", 0) >= 25:
            found.append(
                f"- `GET /api/me/tasks` p99 ({tasks['p99_ms']:.0f} ms) misses 25 ms while its "
                f"p50 is {tasks['p50_ms']:.0f} ms; `GET /api/health`, which touches no "
                f"database, has a p99 of {health.get('p99_ms', float('nan')):.0f} ms in the "
                "same run: the tail is the server, PostgreSQL and the load driver queueing "
                "for two shared cores, not the endpoint's work."
            )
    return ["## Findings", "", *found, ""] if found else []


# --- sections ---------------------------------------------------------------------------------


def section_push(push: dict[str, Any], out: Path) -> list[str]:
    runs = push["results"]
    figure, axes = plt.subplots(figsize=(7, 3.8))
    width = 0.25
    names = ["naive loop (baseline)", "Aftercare dispatcher", "crypto-only ceiling"]
    keys = ["naive_per_s", "dispatcher_per_s", "crypto_ceiling_per_s"]
    for i, (name, key) in enumerate(zip(names, keys, strict=True)):
        values = [r[key] / r["naive_per_s"] for r in runs]
        bars = axes.bar([n + (i - 1) * width for n in range(len(runs))], values, width, label=name)
        label_bars(
            axes, bars, [f"{r[key]:,.0f}/s\n{r[key] / r['naive_per_s']:.1f} x" for r in runs]
        )
    axes.set_xticks(range(len(runs)))
    axes.set_xticklabels([f"push service answers after {r['latency_ms']:.0f} ms" for r in runs])
    axes.set_ylabel("throughput ÷ naive loop (same run)")
    axes.set_yscale("log")
    plain_log(axes.yaxis)
    axes.axhline(5, color="red", linestyle=":", linewidth=1, label="target: 5 x naive")
    axes.set_title(f"Web Push: {runs[0]['due']:,} notifications due at once (SQLite)")
    axes.legend(fontsize=8, loc="upper left")
    axes.margins(y=0.25)
    image = save(figure, out, "push_throughput.png")
    rows = [
        [
            f"{r['latency_ms']:.0f} ms",
            fmt(r["naive_per_s"]),
            fmt(r["dispatcher_per_s"]),
            fmt(r["crypto_ceiling_per_s"]),
            fmt(r["dispatcher_over_naive"], 1) + " x",
            fmt(r["lateness_s"]["p50"], 2),
            fmt(r["lateness_s"]["p99"], 2),
            f"{r['sent']:,} / {r['due']:,}",
        ]
        for r in runs
    ]
    return [
        "## Web Push dispatch (bench/push_throughput.py)",
        "",
        "All three in one run against the same loopback push service (its own process, "
        "checking VAPID and decrypting every message). Naive: one `pywebpush.webpush()` call "
        "after another. Ceiling: encryption and signing alone, no HTTP.",
        "",
        *table(
            [
                "push service latency",
                "naive /s",
                "dispatcher /s",
                "ceiling /s",
                "dispatcher ÷ naive",
                "lateness p50 (s)",
                "lateness p99 (s)",
                "sent",
            ],
            rows,
        ),
        "",
        image,
        "",
    ]


def section_patient_list(lists: dict[str, Any], out: Path) -> list[str]:
    entries = lists["results"]
    labels = [q for q in entries[0]["queries"] if q != "SELECT 1 (baseline)"]
    figure, axes = plt.subplots(figsize=(8, 0.42 * len(labels) + 1.6))
    height = 0.8 / len(entries)
    for i, entry in enumerate(entries):
        values = [entry["queries"].get(q, {}).get("p50_ratio", float("nan")) for q in labels]
        positions = [n + i * height for n in range(len(labels))]
        bars = axes.barh(
            positions,
            values,
            height,
            label=entry["database"],
            color=COLOURS.get(entry["database"]),
        )
        for bar, q in zip(bars, labels, strict=True):
            ms = entry["queries"].get(q, {}).get("p50_ms")
            if ms is not None:
                axes.annotate(
                    f" {ms:.1f} ms",
                    (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                    va="center",
                    fontsize=7,
                )
    axes.set_yticks([n + height * (len(entries) - 1) / 2 for n in range(len(labels))])
    axes.set_yticklabels(labels, fontsize=8)
    axes.invert_yaxis()
    axes.set_xscale("log")
    plain_log(axes.xaxis)
    axes.set_xlabel("p50 ÷ p50 of SELECT 1 on the same database (log)")
    axes.set_title(f"Clinic list, {entries[0]['patients']:,} patients: query time ÷ SELECT 1")
    axes.legend(fontsize=8, loc="lower right")
    axes.margins(x=0.15)
    image = save(figure, out, "patient_list.png")
    rows = []
    for q in entries[0]["queries"]:
        cells = [q]
        for entry in entries:
            got = entry["queries"].get(q)
            cells.append(f"{fmt(got['p50_ms'], 1)} / {fmt(got['p99_ms'], 1)}" if got else "-")
        rows.append(cells)
    rows.append(
        ["CSV rows for every patient (s)"] + [fmt(entry["csv_all_seconds"], 2) for entry in entries]
    )
    return [
        "## Clinic patient list (bench/patient_list.py, run by bench/scaling.py on its "
        f"{entries[0]['patients']:,}-patient databases)",
        "",
        "One clinic seeded with real plans (a fifth re-treated), ticks, devices and alerts; "
        "every query in a fresh session, as a request runs it. p50 / p99 in ms:",
        "",
        *table(["query", *[e["database"] for e in entries]], rows),
        "",
        image,
        "",
    ]


FIGURES = {
    "first_page": "first page (by name)",
    "first_page_worst_adherence": "first page, worst adherence first",
    "overview": "adherence overview",
}


def section_scaling(scaling: dict[str, Any], out: Path) -> list[str]:
    lines = [
        "## Scaling (bench/scaling.py)",
        "",
        f"Clinic sizes {', '.join(f'{n:,}' for n in scaling['sizes'])} patients"
        + (
            " (`--full`)."
            if scaling["full"]
            else "; 100,000 is behind `python -m bench.run_all --full` (about 40 minutes more "
            "on this machine)."
        ),
        "",
    ]
    # plan computation and enrolment
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    plans = scaling["plan"]
    bars = left.bar(
        [f"{p['patients']:,}" for p in plans],
        [p["ratio_to_trivial"] for p in plans],
        color="#55a868",
    )
    label_bars(left, bars, [f"{p['patients_per_s']:,.0f} patients/s" for p in plans])
    left.set_xlabel("patients planned in one batch")
    left.set_ylabel("time ÷ trivial loop of same size")
    left.set_title("Plan computation (pure careplan)")
    left.margins(y=0.2)
    plan_ms = 1000 / plans[-1]["patients_per_s"]  # one patient's plan, same run
    highest = 1.0
    for database, points in scaling["databases"].items():
        xs = [p["patients"] for p in points]
        ys = [1000 / p["enrolment"]["patients_per_s"] / plan_ms for p in points]
        highest = max(highest, *ys)
        right.plot(xs, ys, marker="o", label=database, color=COLOURS.get(database))
        for x, y, p in zip(xs, ys, points, strict=True):
            right.annotate(
                f"{p['enrolment']['patients_per_s']:.0f}/s",
                (x, y),
                fontsize=8,
                xytext=(4, 4),
                textcoords="offset points",
            )
    right.set_xscale("log")
    right.set_ylim(0, highest * 1.25)
    right.set_xlabel("patients already in the clinic")
    right.set_ylabel("time per patient ÷ its plan alone")
    right.set_title("Enrolment through the service (plan + writes)")
    right.set_xticks([p["patients"] for p in next(iter(scaling["databases"].values()), [])])
    plain_log(right.xaxis)
    right.legend(fontsize=8)
    image_plan = save(figure, out, "scaling_plan_enrolment.png")

    # queries against size
    databases = list(scaling["databases"].items())
    figure, axes_list = plt.subplots(
        1, len(databases), figsize=(5.2 * len(databases), 4), squeeze=False
    )
    for axes, (database, points) in zip(axes_list[0], databases, strict=True):
        xs = [p["patients"] for p in points]
        for key, name in FIGURES.items():
            ys = [p[key]["p50_ratio"] for p in points]
            axes.plot(xs, ys, marker="o", label=name)
            axes.annotate(
                f"{points[-1][key]['p50_ms']:,.0f} ms",
                (xs[-1], ys[-1]),
                fontsize=8,
                xytext=(4, 0),
                textcoords="offset points",
            )
        first = points[0]["overview"]["p50_ratio"]
        axes.plot(
            xs,
            [first * x / xs[0] for x in xs],
            linestyle=":",
            color="grey",
            label="linear from the first point (overview)",
        )
        axes.set_xscale("log")
        axes.set_yscale("log")
        plain_log(axes.xaxis)
        plain_log(axes.yaxis)
        axes.set_xticks(xs)
        axes.set_xlabel("patients in the clinic")
        axes.set_ylabel("p50 ÷ p50 of SELECT 1")
        axes.set_title(database)
        axes.margins(x=0.25)
    handles, names = axes_list[0][0].get_legend_handles_labels()
    figure.legend(handles, names, loc="lower center", ncol=len(names), fontsize=8)
    figure.suptitle("Clinic queries against clinic size (ratio to SELECT 1, same database)")
    image_queries = save(figure, out, "scaling_queries.png", rect=(0, 0.08, 1, 1))

    plan_rows = [
        [
            fmt(p["patients"]),
            fmt(p["occurrences"]),
            fmt(p["patients_per_s"]),
            fmt(p["patients_per_cpu_s"]),
            fmt(p["ratio_to_trivial"], 0) + " x",
        ]
        for p in plans
    ]
    lines += [
        "### Plan computation and enrolment",
        "",
        *table(
            [
                "patients",
                "occurrences",
                "patients/s (wall)",
                "patients per CPU-second",
                "÷ trivial loop",
            ],
            plan_rows,
        ),
        "",
    ]
    rows = []
    for database, points in databases:
        for p in points:
            e = p["enrolment"]
            rows.append(
                [
                    database,
                    fmt(p["patients"]),
                    fmt(p["occurrences"]),
                    fmt(p["seed_seconds"], 0),
                    f"{fmt(p['select_1']['p50_ms'], 2)}",
                    f"{fmt(p['first_page']['p50_ms'], 1)} / {fmt(p['first_page']['p99_ms'], 1)}",
                    f"{fmt(p['first_page_worst_adherence']['p50_ms'], 1)} / "
                    f"{fmt(p['first_page_worst_adherence']['p99_ms'], 1)}",
                    f"{fmt(p['overview']['p50_ms'], 0)} / {fmt(p['overview']['p99_ms'], 0)}",
                    f"{fmt(e['patients_per_s'], 1)} ({fmt(e['p50_ms'], 0)} ms)",
                ]
            )
    lines += [
        image_plan,
        "",
        "### The clinic's queries and enrolment against its size",
        "",
        "Times in ms, p50 / p99; enrolment in patients/s through `create_patient` (plan, "
        "occurrences, outbox rows, link; one transaction each) into the full clinic.",
        "",
        *table(
            [
                "database",
                "patients",
                "occurrences",
                "seed (s)",
                "SELECT 1",
                "first page",
                "first page, worst adherence",
                "adherence overview",
                "enrolment /s (p50)",
            ],
            rows,
        ),
        "",
        image_queries,
        "",
        "Growth between sizes, as the exponent k in time ∝ Nᵏ (0: independent of the "
        "clinic's size, 1: linear; above 1.1 is marked):",
        "",
    ]
    growth_rows = []
    for database, found in scaling["growth"].items():
        for g in found:
            if g["figure"] == "select_1":
                continue
            mark = " **faster than linear**" if g["superlinear"] else ""
            growth_rows.append(
                [
                    database,
                    FIGURES.get(g["figure"], g["figure"]),
                    f"{g['from']:,} → {g['to']:,}",
                    fmt(g["time_ratio"], 2) + " x",
                    fmt(g["exponent"], 2) + mark,
                ]
            )
    lines += [*table(["database", "figure", "sizes", "time", "k"], growth_rows), ""]
    dispatch = scaling.get("dispatch")
    if dispatch:
        rounds = dispatch["rounds"]
        figure, axes = plt.subplots(figsize=(6, 3.8))
        xs = [r["workers"] for r in rounds]
        axes.plot(xs, [r["ratio_to_one"] for r in rounds], marker="o", label="measured")
        axes.plot(xs, xs, linestyle=":", color="grey", label="ideal (linear in workers)")
        for r in rounds:
            axes.annotate(
                f"{r['per_s']:,.0f}/s",
                (r["workers"], r["ratio_to_one"]),
                fontsize=8,
                xytext=(4, -10),
                textcoords="offset points",
            )
        axes.set_xticks(xs)
        axes.set_xlabel("`aftercare worker` processes")
        axes.set_ylabel("throughput ÷ one worker")
        axes.set_title(
            f"Dispatch on PostgreSQL: {dispatch['rows']:,} due at once, "
            f"push service {dispatch['latency_ms']:.0f} ms away",
            fontsize=10,
        )
        axes.legend(fontsize=8)
        axes.set_ylim(bottom=0)
        image = save(figure, out, "dispatch_workers.png")
        rows = [
            [
                str(r["workers"]),
                fmt(r["per_s"]),
                fmt(r["ratio_to_one"], 2) + " x",
                fmt(r["drain_seconds"], 1),
                fmt(r["lateness_p50_s"], 1),
                fmt(r["lateness_p99_s"], 1),
                fmt(r["worker_cpu_ms_per_sent"], 2),
                f"{r['sent']:,} / {r['due']:,}",
                fmt(r["delivered"]),
            ]
            for r in rounds
        ]
        lines += [
            "### Dispatch with several worker processes (PostgreSQL)",
            "",
            *table(
                [
                    "workers",
                    "sent /s",
                    "÷ one worker",
                    "drain (s)",
                    "lateness p50 (s)",
                    "lateness p99 (s)",
                    "worker CPU ms / message",
                    "sent",
                    "delivered",
                ],
                rows,
            ),
            "",
            image,
            "",
        ]
    return lines


def section_peer(peer: dict[str, Any], out: Path) -> list[str]:
    results = peer["results"]
    keys = {
        "schedule_seconds": "time to schedule\n(lower is better)",
        "fire_per_s": "firing throughput\n(higher is better)",
        "lateness_p50": "lateness p50\n(lower is better)",
        "lateness_p99": "lateness p99\n(lower is better)",
        "cpu_per_sent": "CPU per delivery\n(lower is better)",
        "peak_rss": "peak memory\n(lower is better)",
    }
    figure, axes = plt.subplots(figsize=(9, 4.2))
    width = 0.8 / len(results)
    for i, result in enumerate(results):
        values = [result["ratios"].get(k, float("nan")) for k in keys]
        bars = axes.bar(
            [n + i * width for n in range(len(keys))],
            values,
            width,
            label=result["store"],
            color=COLOURS.get(result["store"]),
        )
        label_bars(axes, bars, [f"{v:.2f}" for v in values])
    axes.axhline(1, color="black", linewidth=1, linestyle=":", label="APScheduler (baseline)")
    axes.set_xticks([n + width * (len(results) - 1) / 2 for n in range(len(keys))])
    axes.set_xticklabels(list(keys.values()), fontsize=8)
    axes.set_ylabel("Aftercare ÷ APScheduler")
    axes.set_title(
        f"{peer['plan']['reminders']:,} reminders, {peer['plan']['patients']:,} patients: "
        "Aftercare's outbox ÷ APScheduler alone",
        fontsize=10,
    )
    axes.legend(fontsize=8, loc="upper right")
    axes.set_ylim(0, max(1.0, *(v for r in results for v in r["ratios"].values())) * 1.2)
    image = save(figure, out, "scheduler_peer.png")
    rows = []
    for result in results:
        for side in ("apscheduler", "aftercare"):
            s = result[side]
            restart = s.get("restart", {})
            due = restart.get("due")
            lost = restart.get("delivered_0")
            twice = restart.get("delivered_2_plus")
            rows.append(
                [
                    result["store"],
                    "APScheduler " + peer.get("apscheduler", "")
                    if side == "apscheduler"
                    else "Aftercare",
                    fmt(s["schedule"].get("extrapolated_seconds"), 1),
                    fmt(s["fire"].get("per_s")),
                    f"{fmt(s['fire'].get('lateness_p50_s'), 1)} / "
                    f"{fmt(s['fire'].get('lateness_p99_s'), 1)}"
                    + (" (extrap.)" if s["fire"].get("extrapolated") else ""),
                    fmt(s["fire"].get("process", {}).get("peak_rss_mb"), 0),
                    f"{fmt(lost)} lost, {fmt(twice)} sent twice of {fmt(due)}" if due else "-",
                ]
            )
    return [
        "## Peer comparison: APScheduler alone vs the outbox (bench/scheduler_peer.py)",
        "",
        f"Same reminders, same loopback push service; sizes for `make bench`: "
        f"{peer['plan']['reminders']:,} reminders for {peer['plan']['patients']:,} patients "
        f"(the issue's 100,000 for 2,000 run with `--full`). After a SIGKILL half-way, "
        "APScheduler has already deleted the jobs it handed to its thread pool; Aftercare "
        "re-claims its in-flight batch after the lease (the `Topic` header makes a real push "
        "service replace the repeat).",
        "",
        *table(
            [
                "store",
                "scheduler",
                "schedule all (s)",
                "fire /s",
                "lateness p50 / p99 (s)",
                "peak RSS (MB)",
                "after a restart",
            ],
            rows,
        ),
        "",
        image,
        "",
    ]


def _tail_targets(load_run: dict[str, Any] | None) -> list[list[str]]:
    """Each endpoint's p99 against `GET /api/health`'s p99 in the same load run."""
    if not load_run or "p99_targets" not in load_run:
        return [["every endpoint's p99 within 3 x (patient) or 5 x (staff) of health's", "-",
                 verdict(None)]]  # fmt: skip
    health = load_run["endpoints"]["GET /api/health"]["p99_ms"]
    rows = []
    for label, aim in load_run["p99_targets"].items():
        p99 = load_run["endpoints"][label]["p99_ms"]
        rows.append(
            [
                f"`{label}` p99 ≤ {aim['target']:g} x `GET /api/health` p99 (load, same run)",
                f"{fmt(aim['p99_ratio'], 1)} x ({fmt(p99, 1)} ms against {fmt(health, 1)} ms)",
                verdict(aim["met"]),
            ]
        )
    return rows


def _cost_targets(costs: dict[str, Any] | None) -> list[list[str]]:
    """A phone's GETs at most 2 ms of server CPU each, as `aftercare serve` runs."""
    if not costs:
        return [["a phone's GET ≤ 2 ms of server CPU (request_cost --http)", "-", verdict(None)]]
    served = next((c for c in costs["configs"] if "serve" in c["label"]), costs["configs"][-1])
    base = costs["configs"][0]
    rows = []
    for cost, baseline in zip(served["costs"], base["costs"], strict=True):
        if not cost["request"].startswith("GET /api/me"):
            continue
        rows.append(
            [
                f"`{cost['request']}` ≤ 2 ms of server CPU ({served['label']})",
                f"{fmt(cost['cpu_ms'], 2)} ms ({fmt(cost['cpu_ms'] / baseline['cpu_ms'], 2)} x "
                f"{base['label']})",
                verdict(cost["cpu_ms"] <= 2.0),
            ]
        )
    return rows


def _ceiling_targets(push: dict[str, Any] | None) -> list[list[str]]:
    """The dispatcher at half the crypto-only ceiling, ~0.18 ms of CPU per message."""
    first = min(push["results"], key=lambda r: r["latency_ms"]) if push else None
    if first is None:
        return [["dispatcher ≥ 0.5 x crypto-only ceiling", "-", verdict(None)]]
    return [
        [
            "dispatcher ≥ 0.5 x the crypto-only ceiling (push service answering at once)",
            f"{fmt(first['dispatcher_over_ceiling'], 2)} x ({fmt(first['dispatcher_per_s'])}/s "
            f"against {fmt(first['crypto_ceiling_per_s'])}/s)",
            verdict(first["dispatcher_over_ceiling"] >= 0.5),
        ],
        [
            "dispatcher ≤ 0.18 ms of CPU per message (push service answering at once)",
            f"{fmt(first['dispatcher_cpu_ms'], 3)} ms (naive loop {fmt(first['naive_cpu_ms'], 3)}"
            " ms)",
            verdict(first["dispatcher_cpu_ms"] <= 0.18),
        ],
    ]


def section_load(run: dict[str, Any], out: Path) -> list[str]:
    endpoints = {k: v for k, v in run["endpoints"].items() if v.get("count")}
    labels = list(endpoints)
    figure, axes = plt.subplots(figsize=(8, 0.38 * len(labels) + 1.6))
    health = endpoints.get("GET /api/health", {}).get("p50_ms") or float("nan")
    p50 = [endpoints[k]["p50_ms"] / health for k in labels]
    p99 = [endpoints[k]["p99_ms"] / health for k in labels]
    positions = list(range(len(labels)))
    axes.barh([p - 0.2 for p in positions], p50, 0.4, label="p50")
    axes.barh([p + 0.2 for p in positions], p99, 0.4, label="p99")
    for p, k in zip(positions, labels, strict=True):
        axes.annotate(
            f" {endpoints[k]['p50_ms']:.1f} / {endpoints[k]['p99_ms']:.1f} ms",
            (p99[p], p + 0.2),
            va="center",
            fontsize=7,
        )
    axes.set_yticks(positions)
    axes.set_yticklabels(labels, fontsize=8)
    axes.invert_yaxis()
    axes.set_xscale("log")
    plain_log(axes.xaxis)
    axes.set_xlabel("time ÷ p50 of GET /api/health during the run (log)")
    axes.set_title(
        f"Load: {run['patients']} patients + {run['staff']} staff on {run['backend']}", fontsize=10
    )
    axes.legend(fontsize=8, loc="lower right")
    axes.margins(x=0.3)
    image = save(figure, out, "load.png")
    rows = [
        [k, fmt(v["count"]), fmt(v.get("errors", 0)), fmt(v["p50_ms"], 1), fmt(v["p99_ms"], 1)]
        for k, v in endpoints.items()
    ]
    return [
        "## Load: 200 patients on PostgreSQL (bench/load.py)",
        "",
        f"The server as `aftercare serve` runs it (one uvicorn process) on a throwaway "
        f"PostgreSQL database; {run['patients']} patients and {run['staff']} staff played by "
        f"an httpx driver for {run['seconds']:.0f} s, thinking {run['think_seconds']:g} s on "
        f"average: {run['requests_per_second']:.0f} requests/s, {run['errors']} errors, "
        f"{run['server_cpu_ms_per_request']:.1f} ms of server CPU per request. The driver "
        "shares the two cores with the server and PostgreSQL.",
        "",
        *table(["endpoint", "requests", "errors", "p50 ms", "p99 ms"], rows),
        "",
        image,
        "",
    ]


def section_request_cost(run: dict[str, Any], _out: Path) -> list[str]:
    configs = run["configs"]
    requests = [c["request"] for c in configs[0]["costs"]]
    rows = []
    for config in configs:
        cells = [
            f"{cost['cpu_ms']:.2f} ({cost['cpu_ms'] / base['cpu_ms']:.2f} x)"
            for cost, base in zip(config["costs"], configs[0]["costs"], strict=True)
        ]
        rows.append([config["label"], *cells])
    return [
        "## Server CPU per request over HTTP (bench/request_cost.py --http)",
        "",
        f"One uvicorn server per configuration on {run['backend']}, driven over one keep-alive "
        f"connection each; the server process's CPU ms per request, cheapest of "
        f"{run['rounds']} interleaved rounds of {run['requests']}, and its ratio to the "
        "baseline in the same run.",
        "",
        *table(["configuration", *requests], rows),
        "",
    ]


def section_pwa(pwa: dict[str, Any]) -> list[str]:
    rows = [[f"`{name}`", fmt(size)] for name, size in pwa["files"].items()]
    rows.append(["**total**", f"**{pwa['total']:,}** of {pwa['budget']:,}"])
    return [
        "## Patient PWA first load",
        "",
        "gzip -9 of every file the service worker precaches (`SHELL` in app/web/sw.js, "
        "index.html included) and of sw.js itself, in bytes:",
        "",
        *table(["file", "gzip bytes"], rows),
        "",
    ]


# --- the report -------------------------------------------------------------------------------


def machine_lines(run: dict[str, Any] | None, data: dict[str, Any]) -> list[str]:
    info = (run or {}).get("machine") or next(
        (d["machine"] for d in data.values() if isinstance(d, dict) and "machine" in d), None
    )
    if info is None:
        return []
    start = " ".join(str(x) for x in info.get("load_average", []))
    end = " ".join(str(x) for x in (run or {}).get("load_average_end", []))
    lines = [
        f"- Machine: {info['cpu']}, {info['cores']} cores, {info['memory_gb']} GB RAM, "
        f"Python {info['python']}, SQLite {info['sqlite']}, {info['system']}",
        f"- Load average (1, 5, 15 min) at start: {start}" + (f"; at end: {end}" if end else ""),
    ]
    if run:
        lines.append(
            f"- `make bench` took {run['wall_seconds'] / 60:.1f} min"
            + (" with `--full`" if run.get("full") else "")
            + f"; PostgreSQL: {run['postgres'] or 'not reachable, its parts skipped'}"
        )
    return lines


def build(results: Path = RESULTS_DIR) -> Path:
    """REPORT.md and the plots in `results`, from the JSON files found there."""
    results.mkdir(parents=True, exist_ok=True)
    names = (
        "push_throughput",
        "patient_list",
        "scaling",
        "scheduler_peer",
        LOAD_RESULTS,
        "request_cost",
    )
    data: dict[str, Any] = {name: load(name, results) for name in names}
    data["pwa"] = pwa_weight()
    run = load("run", results)
    lines = [
        "# Aftercare benchmarks",
        "",
        f"Generated by `make bench` (bench/run_all.py, bench/report.py) on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Every figure is a ratio against a baseline "
        "timed in the same run, because the machine is shared and its load moves absolute "
        "numbers; the tables give the absolute numbers.",
        "",
        *machine_lines(run, data),
        "",
    ]
    if run:
        lines += [
            *table(
                ["step", "wall (s)", "outcome"],
                [[s["name"], fmt(s["seconds"], 0), s["outcome"]] for s in run["steps"]],
            ),
            "",
        ]
    data["run"] = run
    lines += ["## Targets", "", *targets(data), "", *findings(data)]
    sections: list[tuple[str, Callable[[dict[str, Any], Path], list[str]]]] = [
        ("push_throughput", section_push),
        ("scaling", section_scaling),
        ("patient_list", section_patient_list),
        ("scheduler_peer", section_peer),
        (LOAD_RESULTS, section_load),
        ("request_cost", section_request_cost),
    ]
    for name, section in sections:
        found = data.get(name)
        if found is None:
            lines += [f"## {name}", "", f"No results (bench/results/{name}.json is missing).", ""]
            continue
        try:
            lines += section(found, results)
        except (KeyError, TypeError, ValueError, IndexError, ZeroDivisionError) as exc:
            lines += [f"## {name}", "", f"Results could not be read: {exc!r}", ""]
    lines += section_pwa(data["pwa"])
    path = results / "REPORT.md"
    path.write_text("\n".join(lines).rstrip() + "\n")
    return path


def main() -> None:
    print(f"report: {build()}")


if __name__ == "__main__":
    main()
