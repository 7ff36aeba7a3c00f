"""Process metrics in Prometheus format (``GET /metrics``). Labels carry kinds and platforms, never content.

Counters are incremented where things happen; the outbox gauges (depth, oldest pending age, heartbeat age)
are read from the store when the page is scraped, so every process reports the shared queue as it is.
"""

from __future__ import annotations

import functools
from typing import TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from storage.outbox_health import QueueSnapshot

M = TypeVar("M", Counter, Gauge, Histogram)

REGISTRY = CollectorRegistry(auto_describe=True)
EVENTS = Counter("sos_events_total", "Events handled", ["platform", "kind"], registry=REGISTRY)
DUPLICATES = Counter("sos_duplicate_events_total", "Replayed events ignored", ["platform"], registry=REGISTRY)
FAILURES = Counter(
    "sos_handler_failures_total",
    "Handler exceptions answered with an apology",
    ["platform"],
    registry=REGISTRY,
)
LATENCY = Histogram("sos_event_seconds", "Time to handle one event", ["platform"], registry=REGISTRY)
PLATFORM_ERRORS = Counter(
    "sos_platform_errors_total", "Platform API failures by kind", ["platform", "kind"], registry=REGISTRY
)
OUTBOX_OUTCOMES = Counter(
    "sos_outbox_outcomes_total",
    "Delivery attempts by platform and outcome (sent, retry, failed, moved)",
    ["platform", "outcome"],
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "sos_outbox_rate_limited_total",
    "Deliveries refused with 429 by platform",
    ["platform"],
    registry=REGISTRY,
)
OUTBOX_DEPTH = Gauge(
    "sos_outbox_rows",
    "Outbox rows by status, priority and platform",
    ["status", "priority", "platform"],
    registry=REGISTRY,
)
OLDEST_PENDING = Gauge(
    "sos_outbox_oldest_pending_seconds",
    "Age of the oldest undelivered row (pending or leased), by priority",
    ["priority"],
    registry=REGISTRY,
)
HEARTBEAT_AGE = Gauge(
    "sos_outbox_heartbeat_age_seconds",
    "Seconds since the outbox worker last completed a round (absent in a process without a worker)",
    registry=REGISTRY,
)
STORE_UP = Gauge("sos_store_up", "1 when the store answered the last scrape, else 0", registry=REGISTRY)


def observe_queue(snapshot: QueueSnapshot | None) -> None:
    """Set the outbox gauges from a snapshot of the queue; None when the store could not be read."""
    STORE_UP.set(0 if snapshot is None else 1)
    if snapshot is None:
        return
    OUTBOX_DEPTH.clear()
    for (state, priority, platform), count in snapshot.depth.items():
        OUTBOX_DEPTH.labels(state, str(priority), platform).set(count)
    OLDEST_PENDING.clear()
    for priority, age in snapshot.oldest_pending.items():
        OLDEST_PENDING.labels(str(priority)).set(age)


def observe_heartbeat(age: float | None) -> None:
    """Set the worker's heartbeat age (seconds); None in a process that runs no worker."""
    if age is not None:
        HEARTBEAT_AGE.set(age)


def render() -> bytes:
    """The metrics page."""
    return generate_latest(REGISTRY)


@functools.lru_cache(maxsize=1024)
def labelled(metric: M, *values: str) -> M:
    """``metric.labels(*values)``, kept: each call of ``labels`` takes a lock and re-checks the values, and
    every event asks for a few (label values are kinds and platforms, so there are few of them)."""
    return metric.labels(*values)
