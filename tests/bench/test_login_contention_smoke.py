"""The login-contention benchmark (bench/login_contention.py) on a small scale, so it cannot rot."""

from __future__ import annotations

from bench.login_contention import run

CHEAP = {
    "password_hash_memory_kib": 8,
    "password_hash_time_cost": 1,
    "password_hash_parallelism": 1,
}


def test_both_phases_are_measured_and_the_logins_sign_in() -> None:
    result = run(None, seconds=1, per_second=4, hashing=CHEAP)
    assert result["database"] == "sqlite"
    for phase in ("idle", "with_logins"):
        assert result[phase]["count"] > 0
        assert set(result[phase]["statuses"]) == {200}
        assert result[phase]["p50_ms"] > 0
    assert result["login_answers"].get("200", 0) >= 1
    assert result["p50_ratio"] > 0
