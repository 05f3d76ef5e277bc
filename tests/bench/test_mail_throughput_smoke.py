"""The e-mail throughput benchmark (bench/mail_throughput.py) on a small scale, so it cannot rot."""

from __future__ import annotations

from bench.mail_throughput import run


def test_both_ways_send_every_message_and_reuse_opens_one_connection() -> None:
    result = run(messages=20, latency_ms=0)
    assert result["reused"]["connections"] == 1
    assert result["per_message"]["connections"] == 20
    assert result["reused"]["per_second"] > 0 and result["per_message"]["per_second"] > 0
