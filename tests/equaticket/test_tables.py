"""The dialect's tables: vendor facts declared once, the error table, the route table."""

from __future__ import annotations

import asyncpg
import pytest
from starlette.requests import Request

from core import errors as core_errors
from core.ids import parse_id
from dialects import base
from dialects.equaticket import Equaticket, client
from dialects.equaticket import serializers as ser
from dialects.equaticket.errors import ERRORS
from dialects.equaticket.openapi import document
from dialects.equaticket.routes import ROUTES
from dialects.spec import WireObject, check
from tests.equaticket.helpers import API, bearer, event_with_type, seed_order


@pytest.mark.parametrize("table", ser.OBJECTS, ids=lambda t: t.name)
def test_each_objects_openapi_schema_is_its_tables(table: WireObject):
    assert document()["components"]["schemas"][table.name] == table.schema()


def _exactly(table: WireObject, served: dict) -> None:
    assert check(table, served) == [], served


async def test_served_objects_have_exactly_the_declared_fields(client, live_key, box_office, conn, clock):
    event_id, type_id = await event_with_type(client, live_key)
    await seed_order(conn, box_office, True, event_id, type_id, clock)
    assert (await client.post(f"{API}/events/{event_id}/publish", headers=bearer(live_key))).status_code == 200
    get = lambda path: client.get(f"{API}{path}", headers=bearer(live_key))  # noqa: E731
    event = (await get(f"/events/{event_id}")).json()
    _exactly(ser.EVENT, event)
    _exactly(ser.TICKET_TYPE, event["ticket_types"][0])
    order = (await get("/orders")).json()["data"][0]
    _exactly(ser.ORDER, order)
    _exactly(ser.LINE_ITEM, order["line_items"][0])
    _exactly(ser.ATTENDEE, (await get("/attendees")).json()["data"][0])
    public = (await client.get(f"{API}/public/events?org_slug={box_office['slug']}")).json()["data"][0]
    _exactly(ser.PUBLIC_EVENT, public)
    _exactly(ser.PUBLIC_TICKET_TYPE, public["ticket_types"][0])


async def test_served_webhook_objects_have_exactly_the_declared_fields(client, live_key, box_office, conn, clock):
    created = await client.post(f"{API}/webhooks/subscriptions", headers=bearer(live_key),
                                json={"url": "https://h.example.com/x", "event_types": ["order.placed"]})
    _exactly(ser.WEBHOOK_SUBSCRIPTION_CREATED, created.json())
    sub = created.json()["id"]
    _exactly(ser.WEBHOOK_SUBSCRIPTION, (await client.get(f"{API}/webhooks/subscriptions/{sub}",
                                                         headers=bearer(live_key))).json())
    event_id, type_id = await event_with_type(client, live_key)
    await seed_order(conn, box_office, True, event_id, type_id, clock)
    await conn.execute("INSERT INTO webhook_attempts (delivery_id, attempted_at, status_code, duration_ms, error)"
                       " SELECT id, now(), 500, 3, 'HTTP 500' FROM webhook_deliveries WHERE subscription_id = $1",
                       parse_id("webhook_subscription", sub))
    deliveries = (await client.get(f"{API}/webhooks/subscriptions/{sub}/deliveries",
                                   headers=bearer(live_key))).json()["data"]
    _exactly(ser.DELIVERY, deliveries[0])
    _exactly(ser.WEBHOOK_ATTEMPT, deliveries[0]["attempts"][0])


def test_the_client_reads_back_what_the_tables_declare():
    wire = {f.name: None for f in ser.ORDER.fields} | {"id": "ord_1", "status": "confirmed", "currency": "usd",
                                                        "line_items": [{"name": "GA", "subtotal": 5}]}
    order = client.parse_order(wire)
    assert set(order) == {f.core for f in ser.ORDER.fields if f.core} | {"line_items"}
    assert (order["source_id"], order["status"], order["currency"]) == ("ord_1", "completed", "USD")
    assert order["line_items"][0]["description"] == "GA" and order["line_items"][0]["value"] == 5
    assert client._filter_out("orders", "status", ["completed"]) == "confirmed"


EXPECTED = {  # exception -> (status, code), as the wire tests assert them
    core_errors.ValidationFailed.single("quantity", "must be positive"): (400, "validation_error"),
    base.BadRequest("bad"): (400, "validation_error"),
    base.AuthFailed("no"): (401, "unauthorized"),
    base.ScopeMissing(["events:read"]): (403, "forbidden"),
    core_errors.TermsRequired(): (403, "api_terms_required"),
    core_errors.PlanRequired("growth"): (403, "forbidden"),
    core_errors.NotFound("event", "Event not found"): (404, "not_found"),
    base.RouteNotFound(): (404, "not_found"),
    base.MethodNotAllowed("GET"): (404, "not_found"),
    core_errors.Conflict("busy"): (409, "conflict"),
    core_errors.SlugTaken("x"): (409, "conflict"),
    core_errors.TicketTypeHasSales(): (409, "conflict"),
    core_errors.Unprocessable("no"): (422, "unprocessable"),
    core_errors.SoldOut("gone"): (422, "unprocessable"),
    base.RateLimited(base.LimitState(False, 60, 0, 7)): (429, "rate_limited"),
    core_errors.CoreError("?"): (500, "internal_error"),
    RuntimeError("boom"): (500, "internal_error"),
    asyncpg.DataError("bad"): (500, "internal_error"),
}


@pytest.mark.parametrize("exc", list(EXPECTED), ids=lambda e: type(e).__name__)
def test_the_error_table_has_a_row_for_each_case(exc):
    rule = base.rule_for(ERRORS, exc)
    assert (rule.status, rule.code) == EXPECTED[exc]
    assert rule.unexpected == (rule.status == 500)


def test_router_refusals_name_the_request_and_rate_limits_say_when(gateway):
    dialect = Equaticket(gateway.services(), gateway.settings.dialects.equaticket)
    request = Request({"type": "http", "method": "PUT", "path": "/api/v1/nowhere", "headers": [],
                       "query_string": b""})
    body = dialect.error_response(request, base.MethodNotAllowed("GET")).body
    assert b'"message":"Unrecognized request URL (PUT: /api/v1/nowhere)"' in body
    limited = dialect.error_response(request, base.RateLimited(base.LimitState(False, 60, 0, 7)))
    assert limited.status_code == 429 and limited.headers["retry-after"] == "7"


def test_every_route_is_documented_and_posts_with_a_key_are_idempotent(gateway):
    dialect = Equaticket(gateway.services(), gateway.settings.dialects.equaticket)
    paths = document()["paths"]
    for route in ROUTES:
        assert route.method.lower() in paths[route.path], (route.method, route.path)
        wrapped = dialect.wrap(route, route.handler)
        assert (wrapped is not route.handler) == (route.method == "POST" and route.scope is not None)
    assert {r.path for r in ROUTES} == set(paths)
