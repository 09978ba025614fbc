"""A shadow proxy: the primary (the old vendor) answers every request; the candidate is compared.

Integrations use the proxy as their base URL. Each request is forwarded to the primary and its
answer returned unchanged; only then is the exchange offered to the mirror, which never makes
the primary path wait: a bounded queue (full: the exchange is dropped and counted) drained by a
fixed number of workers, each replaying one exchange at a time against the candidate with the
same Replayer as ``ticketgate replay`` (translation, id map, normalisation, comparison). Reads
are mirrored; writes only when a test-mode key of the candidate is given (``writes.py``).

The primary's response is redacted by the worker (as ``record`` does) before anything is kept;
the proxy keeps only the tallies (report.py), serves them under ``/_shadow/`` (a JSON summary,
a self-refreshing HTML page, Prometheus counters) and writes the report files when it stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from gateway.migration.record import METHODS, body_value, now_iso, pass_on, public_url
from gateway.migration.redact import Redactor
from gateway.migration.replay import WRITES, Outcome, Replayer, endpoint_label
from gateway.migration.report import Tallies, render_html, write_report
from gateway.migration.shadow_metrics import ShadowMetrics

PAGES = "/_shadow"  # the proxy's own pages: no vendor API has a path under it
TITLE = "Shadow report"


@dataclass(frozen=True)
class Limits:
    queue: int = 1000  # exchanges waiting for a worker
    in_flight: int = 8  # mirrored requests at once (one per worker)
    samples: int = 1000  # latest latencies kept per endpoint and side
    refresh: int = 5  # seconds between reloads of the live HTML page
    drain: float = 5.0  # seconds given to the mirror to finish when the proxy stops


@dataclass
class Mirrored:
    """One exchange as the primary saw it, not yet redacted (the worker does that, off the primary path)."""

    label: str
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes
    status: int
    response_headers: dict[str, str]
    content: bytes
    latency_ms: float


class Mirror:
    def __init__(self, reads: Replayer, writes: Replayer | None, redactor: Redactor, limits: Limits,
                 metrics: ShadowMetrics) -> None:
        self.reads, self.writes = reads, writes
        self.redactor = redactor
        self.limits = limits
        self.metrics = metrics
        self.tallies = Tallies(redactor, limits.samples)
        self.queue: asyncio.Queue[Mirrored] = asyncio.Queue(limits.queue)
        # writes depend on each other (a PATCH of what a POST created): one worker sends them in order
        self.write_queue: asyncio.Queue[Mirrored] = asyncio.Queue(limits.queue)
        self.busy = 0
        self.workers: list[asyncio.Task[None]] = []
        self.entries = itertools.count(1)  # numbers the exchanges, as a capture does (derived idempotency keys)

    @property
    def queued(self) -> int:
        return self.queue.qsize() + self.write_queue.qsize()

    def offer(self, item: Mirrored) -> None:
        """Queue ``item`` for the candidate, or drop and count it: never waits."""
        queue = self.write_queue if item.method in WRITES and self.writes is not None else self.queue
        try:
            queue.put_nowait(item)
        except asyncio.QueueFull:
            self.tallies.drop(item.label)
            self.metrics.dropped.labels(item.label).inc()

    def start(self) -> None:
        self.workers = [asyncio.create_task(self._work(self.queue, self.reads))
                        for _ in range(self.limits.in_flight)]
        if self.writes is not None:
            self.workers.append(asyncio.create_task(self._work(self.write_queue, self.writes)))

    async def stop(self) -> None:
        """Give queued and in-flight exchanges ``drain`` seconds, then cancel the workers."""
        deadline = time.monotonic() + self.limits.drain
        while (self.busy or self.queued) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for task in self.workers:
            task.cancel()
        for task in self.workers:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _work(self, queue: asyncio.Queue[Mirrored], replayer: Replayer) -> None:
        while True:
            item = await queue.get()
            self.busy += 1
            try:
                outcome = await self.compare(replayer, item)
            finally:
                self.busy -= 1
            self.tallies.add(outcome)
            self.metrics.observe(outcome)

    async def compare(self, replayer: Replayer, item: Mirrored) -> Outcome:
        try:
            outcome = await replayer.one(self.exchange(item))
        except Exception as exc:  # noqa: BLE001  (one odd exchange must not stop the worker)
            outcome = Outcome(0, item.label, item.status, item.latency_ms,
                              failure=f"the comparison failed ({type(exc).__name__})")
        outcome.endpoint = item.label
        return outcome

    def exchange(self, item: Mirrored) -> dict[str, Any]:
        """The exchange as replay reads a capture line: the primary's answer redacted, as record writes it;
        the request as sent (it is replayed, never stored)."""
        return {"seq": next(self.entries), "latency_ms": item.latency_ms,
                "request": {"method": item.method, "path": item.path, "query": [list(p) for p in item.query],
                            "headers": item.headers, "body": _json_or_text(item.body)},
                "response": {"status": item.status, "headers": self.redactor.headers(item.response_headers),
                             "body": body_value(item.content, self.redactor)}}


def _json_or_text(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw.decode(errors="replace")


class ShadowProxy:
    def __init__(self, primary: str, mirror: Mirror, http: httpx.AsyncClient, meta: dict[str, Any]) -> None:
        self.primary = primary.rstrip("/")
        self.mirror = mirror
        self.http = http
        self.meta = meta

    async def forward(self, request: Request) -> Response:
        sent = await pass_on(self.http, self.primary, request)
        if sent.response is not None:  # (a primary that did not answer has nothing to compare)
            label = self.label(request.method, request.url.path)
            self.mirror.metrics.primary(label, sent.latency_ms)
            self.mirror.offer(Mirrored(label, request.method, request.url.path, request.query_params.multi_items(),
                                       dict(request.headers), sent.body, sent.response.status_code, sent.headers,
                                       sent.response.content, sent.latency_ms))
        return sent.reply()

    def label(self, method: str, path: str) -> str:
        """The endpoint's template; a path the dialect does not know is one label, not one per path."""
        label = endpoint_label(self.mirror.reads.source, method, path)
        return label if "(unknown to" not in label else f"{method} (not a {self.mirror.reads.source.DIALECT} endpoint)"

    def summary(self) -> dict[str, Any]:
        summary = self.mirror.tallies.summary(self.meta)
        summary["totals"]["dropped"] = sum(e["dropped"] for e in summary["endpoints"].values())
        summary["mirror"] = {"queued": self.mirror.queued, "in_flight": self.mirror.busy,
                             "queue_size": self.mirror.limits.queue, "max_in_flight": self.mirror.limits.in_flight,
                             "at": now_iso()}
        return summary

    async def summary_json(self, request: Request) -> Response:
        return JSONResponse(self.summary())

    async def page(self, request: Request) -> Response:
        return HTMLResponse(render_html(self.summary(), TITLE, refresh=self.mirror.limits.refresh))

    async def metrics(self, request: Request) -> Response:
        self.mirror.metrics.queue_depth.set(self.mirror.queued)
        return Response(self.mirror.metrics.render(), media_type=self.mirror.metrics.content_type)


def shadow_app(primary: str, mirror: Mirror, report: Path, meta: dict[str, Any], *,
               http: httpx.AsyncClient | None = None, close: Callable[[], Awaitable[None]] | None = None,
               background: Callable[[], Coroutine[Any, Any, None]] | None = None) -> Starlette:
    """The proxy as an ASGI app. ``background`` runs while it serves; on shutdown the mirror drains,
    the report is written and ``close`` runs (the candidate clients)."""
    client = http or httpx.AsyncClient(timeout=60, follow_redirects=False)
    proxy = ShadowProxy(primary, mirror, client, {**meta, "kind": "shadow", "upstream": public_url(primary),
                                                  "started_at": now_iso(),
                                                  "mode": "shadow: the primary answers, the candidate is compared"})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        mirror.start()
        task = asyncio.create_task(background()) if background else None
        try:
            yield
        finally:
            await mirror.stop()
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            summary = proxy.summary()
            summary["json_summary"] = str(write_report(summary, report, TITLE))
            if http is None:
                await client.aclose()
            if close is not None:
                await close()

    routes = [Route(f"{PAGES}/summary.json", proxy.summary_json, methods=["GET"]),
              Route(f"{PAGES}/metrics", proxy.metrics, methods=["GET"]),
              Route(f"{PAGES}/", proxy.page, methods=["GET"]),
              Route("/{path:path}", proxy.forward, methods=METHODS)]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.proxy = proxy
    return app
