"""Prometheus metrics of the notification engine (per instance; scrape every instance)."""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

# Set by `aftercare serve --workers N` for its workers (before they import prometheus_client):
# each keeps its values in files there, and a scrape, answered by whichever worker took the
# connection, adds up every worker's. Without it, values live in this process's memory.
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

registry = CollectorRegistry()

sends = Counter(
    "aftercare_push_messages_total",
    "Outbox messages settled or rescheduled by this process, by outcome.",
    ["outcome"],
    registry=registry,
)
device_responses = Counter(
    "aftercare_push_device_responses_total",
    "Push service answers per device, by HTTP status class (or 'none' for no answer).",
    ["status"],
    registry=registry,
)
letter_answers = Counter(
    "aftercare_letter_answers_total",
    "Mail server and SMS gateway answers, by channel and answer (sent, retry, refused).",
    ["channel", "answer"],
    registry=registry,
)
queue_depth = Gauge(
    "aftercare_push_queue_due",
    "Outbox messages due now and not yet sent (set at each scrape).",
    registry=registry,
    multiprocess_mode="mostrecent",  # read from the database: the latest scrape's count
)
lateness = Histogram(
    "aftercare_push_lateness_seconds",
    "Time from a message's due instant to its successful send.",
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600),
    registry=registry,
)


def exposition() -> bytes:
    """The Prometheus text of this instance: this process's values, or all its workers'."""
    if not os.environ.get(MULTIPROCESS_DIR):
        return generate_latest(registry)
    workers = CollectorRegistry()
    MultiProcessCollector(workers)  # type: ignore[no-untyped-call]
    return generate_latest(workers)
