"""Metrics of a real ``ticketgate serve``: with two workers the scrape sums both, on the metrics
port and on the main port; with one worker the metrics port serves that worker's values."""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.ops.scrape import samples, value
from tests.ops.served import free_port, serving

PING = {"dialect": "tickettailor", "route": "/v1/ping", "method": "GET", "status": "200"}
MAX_REQUESTS = 2000
MAX_SECONDS = 20.0  # a worker still starting (its pool, under a loaded machine) accepts nothing yet


def _spread(url: str, secret: str, workers: int) -> int:
    """Ping on fresh connections until every worker has answered (their request ids name the
    process); how many were sent."""
    headers = {"Authorization": "Basic " + base64.b64encode(f"{secret}:".encode()).decode()}
    seen: set[str] = set()
    sent, deadline = 0, time.monotonic() + MAX_SECONDS
    with httpx.Client(limits=httpx.Limits(max_keepalive_connections=0), timeout=10) as client:
        while sent < 20 or (len(seen) < workers and sent < MAX_REQUESTS and time.monotonic() < deadline):
            response = client.get(f"{url}/tickettailor/v1/ping", headers=headers)
            assert response.status_code == 200, response.text
            seen.add(response.headers["x-request-id"][4:16])  # req_<process><serial>
            sent += 1
    assert len(seen) == workers, f"{sent} requests reached {len(seen)} of {workers} workers"
    return sent


@pytest.mark.parametrize(("metrics", "workers"), [("port", 2), ("main", 2), ("port", 1)])
async def test_the_scrape_counts_every_workers_requests(
    tmp_path: Path, database_dsn: str, box_office: Any, make_key: Any, metrics: str, workers: int
) -> None:
    secret = await make_key(box_office, "tickettailor")
    port = free_port()
    with serving(tmp_path, database_dsn, workers, METRICS=metrics, METRICS_PORT=str(port)) as server:
        sent = _spread(server.url, secret, workers)
        if metrics == "port":
            scrapes = [httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)]
            assert httpx.get(f"{server.url}/metrics", timeout=5).status_code == 404  # not on the main port
        else:
            auth = {"Authorization": "Bearer test-admin-token-0123456789"}
            with httpx.Client(limits=httpx.Limits(max_keepalive_connections=0), timeout=5) as c:
                scrapes = [c.get(f"{server.url}/metrics", headers=auth) for _ in range(6)]  # any worker answers
        for scraped in scrapes:
            assert scraped.status_code == 200, scraped.text
            assert value(samples(scraped.text), "ticketgate_http_requests_total", **PING) == sent
            assert value(samples(scraped.text), "ticketgate_http_request_duration_seconds_count",
                         **{k: v for k, v in PING.items() if k != "status"}) == sent
