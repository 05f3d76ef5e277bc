"""bench/scaling.py and bench/report.py on a tiny clinic, so `make bench` cannot rot unseen."""

from __future__ import annotations

import json
from pathlib import Path

from app.protocols.loader import load_protocol
from bench import report, scaling


class TestScalingSmallRun:
    def test_plans_cost_more_than_the_trivial_loop_and_are_counted(self) -> None:
        result = scaling.measure_plans(load_protocol(), 20)
        assert result["patients"] == 20
        assert result["occurrences"] >= 20 * 30  # every plan has dozens of occurrences
        assert result["patients_per_s"] > 0
        assert result["ratio_to_trivial"] > 1

    def test_a_clinic_is_seeded_timed_and_enrolled_into(self, tmp_path: Path) -> None:
        point, detailed = scaling.measure_size(
            f"sqlite:///{tmp_path / 'small.db'}",
            patients=30, runs=3, enrol_count=2, detail=True, tmp=tmp_path,
        )  # fmt: skip
        assert point["patients"] == 30
        assert point["occurrences"] > 30 * 30
        for figure in ("select_1", "first_page", "first_page_worst_adherence", "overview"):
            assert 0 < point[figure]["p50_ms"] <= point[figure]["p99_ms"]
            assert point[figure]["runs"] == 3
        assert point["enrolment"]["patients"] == 2
        assert point["enrolment"]["patients_per_s"] > 0
        assert detailed is not None
        assert detailed["queries"]["first page, sort=name"]["p50_ms"] > 0
        assert detailed["queries"]["GET /api/patients (whole request)"]["runs"] == 3

    def test_growth_reads_a_doubling_of_time_per_tenfold_size_as_sublinear(self) -> None:
        def point(patients: int, ms: float) -> dict[str, object]:
            timed = {"p50_ms": ms, "p99_ms": ms}
            return {
                "patients": patients, "select_1": timed, "first_page": timed,
                "first_page_worst_adherence": {"p50_ms": ms * 100, "p99_ms": ms * 100},
                "overview": {"p50_ms": ms * 30, "p99_ms": ms * 30},
                "enrolment": {"patients_per_s": 50.0},
            }  # fmt: skip

        small, large = point(1_000, 10.0), point(10_000, 20.0)
        large["overview"] = {"p50_ms": 300 * 1000.0, "p99_ms": 0}  # 1,000 x for 10 x
        rows = {row["figure"]: row for row in scaling.growth([small, large])}
        assert abs(rows["first_page"]["exponent"] - 0.30103) < 1e-4
        assert not rows["first_page"]["superlinear"]
        assert abs(rows["overview"]["exponent"] - 3.0) < 1e-9
        assert rows["overview"]["superlinear"]
        assert rows["enrolment (per patient)"]["exponent"] == 0


class TestReport:
    def test_missing_results_are_said_to_be_missing(self, tmp_path: Path) -> None:
        text = report.build(tmp_path).read_text()
        assert "## Targets" in text
        assert "not measured" in text
        assert "scaling.json is missing" in text
        # The PWA's weight needs no benchmark run: it is always measured.
        assert "patient PWA first load" in text
        assert "/sw.js" in text

    def test_scaling_results_become_tables_and_plots(self, tmp_path: Path) -> None:
        points = []
        for patients in (20, 40):
            point, _ = scaling.measure_size(
                f"sqlite:///{tmp_path / f'{patients}.db'}",
                patients=patients, runs=3, enrol_count=1, detail=False, tmp=tmp_path,
            )  # fmt: skip
            points.append(point)
        data = {
            "sizes": [20, 40], "full": False,
            "plan": [scaling.measure_plans(load_protocol(), 10)],
            "databases": {"sqlite": points}, "growth": {"sqlite": scaling.growth(points)},
            "dispatch": None,
        }  # fmt: skip
        (tmp_path / "scaling.json").write_text(json.dumps(data))
        text = report.build(tmp_path).read_text()
        assert "## Scaling (bench/scaling.py)" in text
        assert "| sqlite | 40 |" in text
        for image in ("scaling_plan_enrolment.png", "scaling_queries.png"):
            assert (tmp_path / image).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            assert f"]({image})" in text

    def test_the_pwa_weight_counts_every_precached_file(self) -> None:
        weight = report.pwa_weight()
        assert {"/index.html", "/app.js", "/sw.js"} <= set(weight["files"])
        assert weight["total"] == sum(weight["files"].values())
