"""Prometheus metrics: the families, on a registry of this gateway's own (no global REGISTRY).

With ``--workers N`` every worker writes its values to files in a shared folder
(prometheus-client's multiprocess mode, chosen by ``PROMETHEUS_MULTIPROC_DIR``, which
``gateway.server`` sets before the workers start) and a scrape of any worker sums them all.
With one worker the values live in the process and the scrape reads them directly.

Labels never carry raw paths or ids: a request is labelled with its route's template
(``/v1/orders/{order_id}``), and a path no route matches is ``unmatched``.
Per-request cost is one bound counter and one bound histogram (about 1.7 us in one process,
3 us in multiprocess mode, measured here): children are bound once per route and status.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, values
from prometheus_client.multiprocess import MultiProcessCollector

from dialects.base import AuthFailed, RateLimited

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# 1 ms to 500 ms is where ticketgate's requests fall (docs/performance.md); the edges catch the rest
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64)
UNMATCHED = "unmatched"


@dataclass(eq=False)
class RouteMetrics:
    """The children of one route's families, bound once: a request only increments."""

    metrics: Metrics
    dialect: str
    route: str
    method: str
    _statuses: dict[int, Any] = field(default_factory=dict)
    _latency: Any = None

    def observe(self, status: int, seconds: float) -> None:
        child = self._statuses.get(status)
        if child is None:
            child = self._statuses[status] = self.metrics.requests.labels(
                self.dialect, self.route, self.method, str(status))
        child.inc()
        latency = self._latency
        if latency is None:
            latency = self._latency = self.metrics.latency.labels(self.dialect, self.route, self.method)
        latency.observe(seconds)


class Metrics:
    """Every family ticketgate exports; ``render()`` is the scrape."""

    def __init__(self, multiproc_dir: str | None = None) -> None:
        self.multiproc_dir = multiproc_dir
        if multiproc_dir:
            _write_files()
        # in multiprocess mode values live in files: the families are registered nowhere and a
        # scrape collects the files into a fresh registry
        self.registry = CollectorRegistry(auto_describe=True)
        reg = None if multiproc_dir else self.registry
        self.requests = Counter("ticketgate_http_requests_total", "HTTP requests answered",
                                ["dialect", "route", "method", "status"], registry=reg)
        self.latency = Histogram("ticketgate_http_request_duration_seconds", "Time to answer a request",
                                 ["dialect", "route", "method"], buckets=LATENCY_BUCKETS, registry=reg)
        self.rate_limited = Counter("ticketgate_rate_limited_total", "Requests refused by the rate limit",
                                    ["dialect"], registry=reg)
        self.rate_limit_storage_errors = Counter(
            "ticketgate_rate_limit_storage_errors_total",
            "Rate-limit storage calls that failed or timed out (served uncounted when open)", registry=reg)
        self.auth_failures = Counter("ticketgate_auth_failures_total", "Requests refused for their credentials",
                                     ["dialect"], registry=reg)
        self.idempotent_replays = Counter("ticketgate_idempotent_replays_total",
                                          "Responses replayed for a repeated Idempotency-Key", ["dialect"],
                                          registry=reg)
        self.checkouts = Counter("ticketgate_checkouts_total", "Checkouts by outcome", ["outcome"], registry=reg)
        self.batch_size = Histogram("ticketgate_checkout_batch_orders", "Orders written by one group commit",
                                    buckets=BATCH_BUCKETS, registry=reg)
        self.deliveries = Counter("ticketgate_webhook_deliveries_total", "Webhook delivery attempts by outcome",
                                  ["outcome"], registry=reg)
        self.outbox_pending = Gauge("ticketgate_webhook_outbox_pending", "Webhook deliveries waiting to be sent",
                                    registry=reg, multiprocess_mode="mostrecent")
        self.outbox_oldest = Gauge("ticketgate_webhook_outbox_oldest_pending_seconds",
                                   "Age of the oldest delivery waiting to be sent", registry=reg,
                                   multiprocess_mode="mostrecent")
        self.pool_size = Gauge("ticketgate_db_pool_connections", "Database connections open",
                               registry=reg, multiprocess_mode="livesum")
        self.pool_in_use = Gauge("ticketgate_db_pool_in_use", "Database connections lent to requests",
                                 registry=reg, multiprocess_mode="livesum")
        self.pool_waiting = Gauge("ticketgate_db_pool_waiting", "Requests waiting for a database connection",
                                  registry=reg, multiprocess_mode="livesum")

    # --- what the pipeline, checkout and the webhook worker report (their Protocols) ---

    def refused(self, dialect: str, exc: BaseException) -> None:
        if isinstance(exc, RateLimited):
            self.rate_limited.labels(dialect).inc()
        elif isinstance(exc, AuthFailed):
            self.auth_failures.labels(dialect).inc()

    def replayed(self, dialect: str) -> None:
        self.idempotent_replays.labels(dialect).inc()

    def outcome(self, outcome: str) -> None:
        self.checkouts.labels(outcome).inc()

    def batch(self, orders: int) -> None:
        self.batch_size.observe(orders)

    def attempted(self, outcome: str) -> None:
        self.deliveries.labels(outcome).inc()

    def storage_failed(self) -> None:
        self.rate_limit_storage_errors.inc()

    def route(self, dialect: str, route: str, method: str) -> RouteMetrics:
        return RouteMetrics(self, dialect, route, method)

    def sample_pool(self, size: int, idle: int, waiting: int) -> None:
        self.pool_size.set(size)
        self.pool_in_use.set(size - idle)
        self.pool_waiting.set(waiting)

    def sample_outbox(self, pending: int, oldest_seconds: float) -> None:
        self.outbox_pending.set(pending)
        self.outbox_oldest.set(oldest_seconds)

    def render(self) -> bytes:
        if self.multiproc_dir is None:
            return generate_latest(self.registry)
        return generate_latest(self.files_registry(self.multiproc_dir))

    @staticmethod
    def files_registry(folder: str | os.PathLike[str]) -> CollectorRegistry:
        """A registry that reads every worker's files at each scrape (multiprocess mode)."""
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(folder))
        return registry


def _write_files() -> None:
    """Values in files from now on. prometheus-client picks its value class when it is first
    imported: ``serve`` with one worker and ``metrics = "port"`` imports it before it sets
    ``PROMETHEUS_MULTIPROC_DIR``, and its values then stayed in memory, out of the port's sight."""
    if values.ValueClass is values.MutexValue:
        values.ValueClass = values.MultiProcessValue()
