"""The shadow proxy's Prometheus families, on a registry of its own (as gateway/metrics.py does).

Labels are endpoint templates (``GET /v1/orders/{id}``) and normalised field paths, both
bounded by the dialect's route table and its objects' fields, never raw paths or values.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from gateway.metrics import CONTENT_TYPE, LATENCY_BUCKETS
from gateway.migration.replay import Outcome

RESULTS = ("match", "difference", "status_mismatch", "no_equivalent", "candidate_error")


def result(outcome: Outcome) -> str:
    if outcome.failure:
        return "candidate_error"
    if outcome.no_equivalent:
        return "no_equivalent"
    if outcome.status_mismatch:
        return "status_mismatch"
    return "difference" if outcome.differences else "match"


class ShadowMetrics:
    content_type = CONTENT_TYPE

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        reg = self.registry
        self.requests = Counter("ticketgate_shadow_requests_total", "Requests answered by the primary",
                                ["endpoint"], registry=reg)
        self.compared = Counter("ticketgate_shadow_mirrored_total", "Mirrored requests by result",
                                ["endpoint", "result"], registry=reg)
        self.fields = Counter("ticketgate_shadow_field_differences_total", "Differing fields of mirrored requests",
                              ["endpoint", "field"], registry=reg)
        self.dropped = Counter("ticketgate_shadow_dropped_total", "Requests not mirrored: the mirror queue was full",
                               ["endpoint"], registry=reg)
        self.latency = Histogram("ticketgate_shadow_latency_seconds", "Time to answer, per side",
                                 ["side"], buckets=LATENCY_BUCKETS, registry=reg)
        self.queue_depth = Gauge("ticketgate_shadow_queue_depth", "Exchanges waiting for a mirror worker",
                                 registry=reg)

    def primary(self, endpoint: str, latency_ms: float) -> None:
        self.requests.labels(endpoint).inc()
        self.latency.labels("primary").observe(latency_ms / 1000)

    def observe(self, outcome: Outcome) -> None:
        self.compared.labels(outcome.endpoint, result(outcome)).inc()
        for difference in outcome.differences:
            self.fields.labels(outcome.endpoint, difference.field).inc()
        if outcome.target_latency_ms is not None:
            self.latency.labels("candidate").observe(outcome.target_latency_ms / 1000)

    def render(self) -> bytes:
        return generate_latest(self.registry)
