"""/metrics through the app as served: the token, and every family the issue lists with its labels.

The session's gateway has one Metrics for all tests, so counters are compared before and after.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from core.models import Scope
from core.webhooks import DeliveryEngine, Due, SendResult
from gateway import sampler
from gateway.app import build_app
from gateway.metrics import LATENCY_BUCKETS, Metrics
from gateway.runtime import Gateway
from tests import factories
from tests.ops.scrape import Sample, label_values, samples, value

ADMIN = {"Authorization": "Bearer test-admin-token-0123456789"}
REQUESTS = "ticketgate_http_requests_total"


async def scrape(client: httpx.AsyncClient) -> list[Sample]:
    response = await client.get("/metrics", headers=ADMIN)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


def basic(secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{secret}:".encode()).decode()}


def auth(dialect: str, secret: str) -> dict[str, str]:
    if dialect == "ticketsmart":
        return {"x-api-key": secret}
    if dialect == "tickettailor":
        return basic(secret)
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
async def office(make_box_office: Any) -> Any:
    return await make_box_office()


@pytest.fixture
async def admin(client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    client.headers.update(ADMIN)
    yield client


async def test_metrics_need_the_admin_token(client: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic dGVzdC1hZG1pbi10b2tlbg=="},
                    {"Authorization": "test-admin-token-0123456789"}):
        refused = await client.get("/metrics", headers=headers)
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        assert "ticketgate_" not in refused.text
    assert await scrape(client)


async def test_requests_by_dialect_route_template_method_status(client, office, make_key, make_event) -> None:
    event = await make_event(office)
    paths = {"ticketsmart": f"/ticketsmart/api/v1/events/evt_{event['id']}",
             "tickettailor": f"/tickettailor/v1/events/ev_{event['id']}",
             "equaticket": f"/equaticket/api/v1/events/evt_{event['id']}"}
    templates = {"ticketsmart": "/api/v1/events/{id_or_slug}", "tickettailor": "/v1/events/{event_id}",
                 "equaticket": "/api/v1/events/{event_id}"}
    before = await scrape(client)
    for dialect, path in paths.items():
        headers = auth(dialect, await make_key(office, dialect))
        for _ in range(2):
            assert (await client.get(path, headers=headers)).status_code == 200
        assert (await client.get(f"{path}999", headers=headers)).status_code == 404
    assert (await client.get("/nowhere/12345")).status_code == 404
    after = await scrape(client)
    for dialect, template in templates.items():
        labels = {"dialect": dialect, "route": template, "method": "GET"}
        assert value(after, REQUESTS, status="200", **labels) - value(before, REQUESTS, status="200", **labels) == 2
        assert value(after, REQUESTS, status="404", **labels) - value(before, REQUESTS, status="404", **labels) == 1
        buckets = {s[1]["le"] for s in after
                   if s[0] == "ticketgate_http_request_duration_seconds_bucket" and labels.items() <= s[1].items()}
        assert buckets == {*(str(b) for b in LATENCY_BUCKETS), "+Inf"}
        count = "ticketgate_http_request_duration_seconds_count"
        assert value(after, count, **labels) - value(before, count, **labels) == 3
    gone = {"dialect": "gateway", "route": "unmatched", "status": "404"}
    assert value(after, REQUESTS, **gone) - value(before, REQUESTS, **gone) == 1
    _no_ids_in_labels(after)


def _no_ids_in_labels(scraped: list[Sample]) -> None:
    for route in label_values(scraped, "route"):
        assert route == "unmatched" or route.startswith("/"), route
        for segment in route.split("/"):
            assert not re.fullmatch(r"\d+", segment), route
            assert not re.match(r"(evt|ev|or|ord|tt|tkt|it|att|whsub|key|bo)_", segment), route


async def test_auth_failures_and_rate_limit_rejections_by_dialect(client, gateway, office, make_key) -> None:
    bad = {"ticketsmart": ("/ticketsmart/api/v1/events", {"x-api-key": "ts_sk_live_" + "x" * 40}),
           "tickettailor": ("/tickettailor/v1/events", basic("sk_1_2_nope")),
           "equaticket": ("/equaticket/api/v1/events", {"Authorization": "Bearer sk_live_nope"})}
    before = await scrape(client)
    for path, headers in bad.values():
        assert (await client.get(path, headers=headers)).status_code == 401
    limited = _app_with_limit(gateway, 2)
    secret = await make_key(office, "ticketsmart")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=limited), base_url="http://t") as tight:
        statuses = [(await tight.get("/ticketsmart/api/v1/events", headers={"x-api-key": secret})).status_code
                    for _ in range(3)]
    assert statuses == [200, 200, 429]
    after = await scrape(client)
    for dialect in bad:
        delta = value(after, "ticketgate_auth_failures_total", dialect=dialect) - value(
            before, "ticketgate_auth_failures_total", dialect=dialect)
        assert delta == 1, dialect
    rejected = "ticketgate_rate_limited_total"
    assert value(after, rejected, dialect="ticketsmart") - value(before, rejected, dialect="ticketsmart") == 1
    assert value(after, rejected, dialect="equaticket") == value(before, rejected, dialect="equaticket")


def _app_with_limit(gateway: Gateway, per_minute: int) -> Any:
    """The app as served, TicketSmart allowing ``per_minute`` requests a minute (same metrics)."""
    ts = gateway.settings.dialect("ticketsmart").model_copy(update={"requests_per_minute": per_minute})
    dialects = gateway.settings.dialects.model_copy(update={"ticketsmart": ts})
    return build_app(dataclasses.replace(gateway, settings=gateway.settings.model_copy(update={"dialects": dialects})))


async def test_equaticket_idempotent_replays(client, office, make_key) -> None:
    headers = {"Authorization": f"Bearer {await make_key(office, 'equaticket')}", "Idempotency-Key": str(uuid.uuid4())}
    body = {"title": "Replayed", "slug": f"r-{uuid.uuid4().hex[:8]}", "timezone": "UTC",
            "starts_at": "2031-01-01T18:00:00Z", "currency": "usd"}
    before = await scrape(client)
    first = await client.post("/equaticket/api/v1/events", json=body, headers=headers)
    again = await client.post("/equaticket/api/v1/events", json=body, headers=headers)
    assert (first.status_code, again.status_code, again.headers.get("idempotent-replayed")) == (201, 201, "true")
    after = await scrape(client)
    name = "ticketgate_idempotent_replays_total"
    assert value(after, name, dialect="equaticket") - value(before, name, dialect="equaticket") == 1


async def test_checkout_outcomes_and_group_commit_batches(admin, conn, office) -> None:
    event_id, type_id = await factories.event_with_type(conn, Scope(office["id"], True), quantity=3)
    order = {"event": f"ev_{event_id}", "email": "metrics-buyer@example.com"}
    before = await scrape(admin)
    orders = [admin.post(f"/admin/v1/box-offices/{office['slug']}/orders", json={**order, "tickets": [f"tt_{type_id}"]})
              for _ in range(3)]
    assert [r.status_code for r in await asyncio.gather(*orders)] == [201, 201, 201]
    late = await admin.post(f"/admin/v1/box-offices/{office['slug']}/orders", json={**order, "tickets": [f"{type_id}"]})
    assert late.status_code == 422 and late.json()["error"]["code"] == "sold_out"
    after = await scrape(admin)
    outcomes = "ticketgate_checkouts_total"
    assert value(after, outcomes, outcome="placed") - value(before, outcomes, outcome="placed") == 3
    assert value(after, outcomes, outcome="sold_out") - value(before, outcomes, outcome="sold_out") == 1
    batches, orders_written = "ticketgate_checkout_batch_orders_count", "ticketgate_checkout_batch_orders_sum"
    assert 1 <= value(after, batches) - value(before, batches) <= 3  # concurrent buyers may share a commit
    assert value(after, orders_written) - value(before, orders_written) == 3
    assert value(after, "ticketgate_checkout_batch_orders_bucket", le="64.0") == value(after, batches)
    admin_route = {"dialect": "gateway", "route": "/box-offices/{box_office}/orders", "method": "POST"}
    assert value(after, REQUESTS, status="201", **admin_route) - value(before, REQUESTS, status="201",
                                                                        **admin_route) == 3


class Answer:
    """A webhook sender that answers each URL with a fixed status, without a network."""

    def __init__(self, status: int) -> None:
        self.status = status

    async def send(self, url: str, headers: dict[str, str], body: bytes, timeout: float) -> SendResult:
        return SendResult(self.status, 1, None if self.status < 300 else f"HTTP {self.status}")


async def test_webhook_deliveries_by_outcome_and_the_outbox(client, gateway, conn, office, clock) -> None:
    scope = Scope(office["id"], True)
    await conn.execute("INSERT INTO webhook_subscriptions (box_office_id, livemode, url, secret, event_types)"
                       " VALUES ($1, true, 'https://hooks.example.com/m', 'whsec_dGVzdA==', '{order.placed}')",
                       office["id"])
    event_id, type_id = await factories.event_with_type(conn, scope)
    assert gateway.checkout is not None
    for _ in range(2):
        await gateway.checkout.place(conn, scope, factories.order_input(event_id, type_id))
    clock.advance(seconds=7200)  # the two deliveries wait two hours: the oldest pending is at least that
    metrics = gateway.metrics
    assert isinstance(metrics, Metrics)
    await sampler.sample_once(factories.pool(gateway), metrics, clock)
    sampled = await scrape(client)
    assert value(sampled, "ticketgate_webhook_outbox_pending") >= 2
    assert value(sampled, "ticketgate_webhook_outbox_oldest_pending_seconds") >= 7200
    due = await _dues(conn, office["id"])
    assert len(due) == 2
    before = await scrape(client)
    vault = gateway.services().webhooks.vault
    for answer, delivery in ((200, due[0]), (503, due[1])):
        engine = DeliveryEngine(factories.pool(gateway), Answer(answer), clock, vault, on_attempt=metrics.attempted)
        await engine.attempt(delivery)
    after = await scrape(client)
    name = "ticketgate_webhook_deliveries_total"
    for outcome in ("succeeded", "retrying"):
        assert value(after, name, outcome=outcome) - value(before, name, outcome=outcome) == 1, outcome


async def _dues(conn: Any, office_id: int) -> list[Due]:
    rows = await conn.fetch(
        "SELECT d.id, d.attempts, s.url, s.secret, s.id AS sub, d.event_id, e.payload FROM webhook_deliveries d"
        " JOIN webhook_subscriptions s ON s.id = d.subscription_id JOIN webhook_events e ON e.id = d.event_id"
        " WHERE s.box_office_id = $1 AND d.status = 'pending' ORDER BY d.id", office_id)
    return [Due(r["id"], r["attempts"], r["url"], r["secret"], r["sub"], r["event_id"], r["payload"]) for r in rows]


async def test_pool_size_in_use_and_waiting(client, gateway, clock) -> None:
    metrics, pool = gateway.metrics, factories.pool(gateway)
    assert isinstance(metrics, Metrics)
    held = [await pool.acquire() for _ in range(pool.get_max_size())]
    waiter = asyncio.ensure_future(pool.acquire())
    await asyncio.sleep(0.05)
    try:
        assert sampler.pool_waiting(pool) == 1  # asyncpg's queue still tells the acquirers apart
        metrics.sample_pool(pool.get_size(), pool.get_idle_size(), sampler.pool_waiting(pool))
        sampled = samples(metrics.render().decode())
    finally:
        for c in held:
            await pool.release(c)
        await pool.release(await waiter)
    assert value(sampled, "ticketgate_db_pool_connections") == pool.get_max_size()
    assert value(sampled, "ticketgate_db_pool_in_use") == pool.get_max_size()
    assert value(sampled, "ticketgate_db_pool_waiting") == 1
    await sampler.sample_once(pool, metrics, clock)  # idle again: only the sampler's own connection in use
    idle = await scrape(client)
    assert value(idle, "ticketgate_db_pool_waiting") == 0
    assert value(idle, "ticketgate_db_pool_connections") == pool.get_size()
    assert value(idle, "ticketgate_db_pool_in_use") <= 1
