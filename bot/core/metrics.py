"""Process metrics in Prometheus format (``GET /metrics``). Labels carry kinds and platforms, never content."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

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


def render() -> bytes:
    """The metrics page."""
    return generate_latest(REGISTRY)
