"""The national-chain simulation (bench/national.py) on a tiny chain, so it cannot rot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import common, national
from tests.support.database import postgres_server_url


@pytest.mark.skipif(postgres_server_url() is None, reason="needs AFTERCARE_TEST_DATABASE_URL")
def test_a_chain_of_three_clinics_is_copied_and_measured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(common, "RESULTS_DIR", tmp_path)
    server = postgres_server_url()
    assert server is not None

    assert (
        national.main(["--postgres", server, "--template", "40", "--copies", "3", "--runs", "1"])
        == 0
    )

    result = json.loads((tmp_path / "national.json").read_text())
    one, chain = result["one_clinic"], result["chain"]
    for name, rows in one["rows"].items():
        assert chain["rows"][name] == 3 * rows, name  # every row copied, references kept
    assert chain["due_in_wave"] == 3 * one["due_in_wave"] > 0
    assert set(chain["p50_ms"]) == set(one["p50_ms"])
    assert all(ms > 0 for ms in chain["p50_ms"].values())
