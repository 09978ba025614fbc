"""The dialects' client modules against mocked vendors (respx): paging to the end, parsing, rate limits."""

from __future__ import annotations

import httpx
import pytest
import respx

from dialects.equaticket import client as eq
from dialects.ticketsmart import client as ts
from dialects.tickettailor import client as tt
from gateway.migration.clients import http_client
from gateway.migration.ratelimit import retry_after

BASE = "https://vendor.test"


class Sleeps(list):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def ts_event(n: int) -> dict:
    return {"id": f"evt_{n}", "title": f"Show {n}", "slug": f"show-{n}", "status": "PUBLISHED",
            "startsAt": "2031-06-01T19:00:00.000Z", "currency": "usd", "visibility": "PUBLIC", "category": "MUSIC",
            "createdAt": "2026-01-01T10:00:00.123Z",
            "ticketTypes": [{"id": f"tkt_{n}", "name": "GA", "price": 1000, "quantity": 10, "sold": 3,
                             "available": 7, "minPerOrder": 1, "maxPerOrder": 4, "hidden": False, "sortOrder": 0}]}


@respx.mock
async def test_ticketsmart_pages_by_number_to_the_end_and_parses_camel_case():
    route = respx.get(f"{BASE}/api/v1/events").mock(side_effect=lambda request: httpx.Response(200, json={
        "events": [ts_event(int(request.url.params["page"]))],
        "pagination": {"hasMore": request.url.params["page"] != "3"}}))
    client = ts.Client(BASE, "ts_sk_live_" + "x" * 20)
    pages = [page async for page in client.pages("events")]
    assert [p[1] for p in pages] == ["2", "3", None]
    assert route.calls[0].request.headers["x-api-key"].startswith("ts_sk_live_")
    event = pages[0][0][0]
    assert (event["status"], event["currency"], event["category"], event["created_at"]) == (
        "published", "USD", "music", "2026-01-01T10:00:00Z")
    assert event["ticket_types"][0] | {"event_id": "evt_1"} == event["ticket_types"][0]
    assert event["ticket_types"][0]["sold"] == 3


@respx.mock
async def test_tickettailor_follows_starting_after_and_reads_string_booleans():
    def page(request: httpx.Request) -> httpx.Response:
        after = request.url.params.get("starting_after")
        data = [{"id": "or_2", "status": "cancelled", "status_message": "Refunded", "created_at": 1700000000,
                 "buyer_details": {"email": "a@b.c", "name": "A B"}, "currency": {"code": "gbp"},
                 "event_summary": {"id": "ev_1"}, "total": 500, "tax": 0, "refund_amount": 500,
                 "line_items": [{"description": "GA", "type": "ticket", "quantity": 1, "value": 500,
                                 "booking_fee": 0, "total": 500}],
                 "issued_tickets": [{"id": "it_9", "ticket_type_id": "tt_4", "description": "GA",
                                     "checked_in": "true"}]}] if after is None else []
        return httpx.Response(200, json={"data": data, "links": {"next": "/orders?starting_after=or_2"
                                                                 if after is None else None, "previous": None}})

    route = respx.get(f"{BASE}/v1/orders").mock(side_effect=page)
    pages = [p async for p in tt.Client(BASE, "sk_key").pages("orders")]
    assert [p[1] for p in pages] == ["or_2", None]
    assert route.calls[1].request.url.params["starting_after"] == "or_2"
    assert route.calls[0].request.headers["authorization"] == "Basic c2tfa2V5Og=="  # base64("sk_key:")
    order = pages[0][0][0]
    assert (order["status"], order["currency"], order["created_at"]) == ("refunded", "GBP", "2023-11-14T22:13:20Z")
    assert order["line_items"][0]["ticket_type_id"] == "tt_4"  # named by the issued tickets


@respx.mock
async def test_equaticket_follows_cursors():
    def page(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor")
        return httpx.Response(200, json={"livemode": True, "has_more": cursor is None,
                                         "next_cursor": "c2" if cursor is None else None,
                                         "data": [{"id": "att_1" if cursor is None else "att_2", "checked_in": True,
                                                   "checked_in_at": "2031-06-01T19:05:00Z"}]})

    respx.get(f"{BASE}/api/v1/attendees").mock(side_effect=page)
    pages = [p async for p in eq.Client(BASE, "sk_live_abc").pages("tickets")]
    assert [[t["source_id"] for t in p[0]] for p in pages] == [["att_1"], ["att_2"]]
    assert [p[1] for p in pages] == ["c2", None]


@respx.mock
async def test_429_waits_retry_after_then_retries():
    route = respx.get(f"{BASE}/api/v1/events").mock(side_effect=[
        httpx.Response(429, headers={"Retry-After": "7"}, json={"code": "rate_limited"}),
        httpx.Response(200, json={"livemode": True, "data": [], "has_more": False, "next_cursor": None})])
    sleeps = Sleeps()
    http, limiter = http_client("equaticket", sleep=sleeps)
    pages = [p async for p in eq.Client(BASE, "sk_live_abc", http).pages("events")]
    assert pages == [([], None)] and route.call_count == 2 and sleeps == [7.0] and limiter.waits == [7.0]


@respx.mock
async def test_exhausted_ticket_tailor_window_pauses_before_the_next_request():
    headers = {"X-Rate-Limit-Limit": "2000", "X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": "120"}
    respx.get(f"{BASE}/v1/events").mock(side_effect=[
        httpx.Response(200, headers=headers, json={"data": [{"id": "ev_1"}], "links": {"next": "/events?x"}}),
        httpx.Response(200, json={"data": [], "links": {"next": None}})])
    sleeps = Sleeps()
    http, _ = http_client("tickettailor", sleep=sleeps)
    pages = [p async for p in tt.Client(BASE, "k", http).pages("events")]
    assert len(pages) == 2 and len(sleeps) == 1 and 119 < sleeps[0] <= 120


@respx.mock
async def test_persistent_429_is_returned_after_the_retries():
    respx.get(f"{BASE}/api/v1/events").mock(return_value=httpx.Response(429, json={}))
    sleeps = Sleeps()
    http, _ = http_client("ticketsmart", sleep=sleeps)
    with pytest.raises(httpx.HTTPStatusError):
        [p async for p in ts.Client(BASE, "k", http).pages("events")]
    assert sleeps == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0]  # exponential without Retry-After


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after("30") == 30.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: go now
    assert retry_after("soon") is None and retry_after(None) is None


@pytest.mark.parametrize(("module", "method", "path", "query", "resource", "op"), [
    (ts, "GET", "/api/v1/events", [("status", "PUBLISHED,DRAFT"), ("page", "2")], "events", "list"),
    (ts, "GET", "/api/v1/events/evt_1/ticket-types", [], "ticket_types", "list"),
    (tt, "GET", "/v1/issued_tickets", [("event_id", "ev_1")], "tickets", "list"),
    (eq, "GET", "/api/v1/events/evt_1/attendees", [("checked_in", "true")], "tickets", "list"),
    (eq, "POST", "/api/v1/events/evt_1/publish", [], "events", "update"),
])
def test_describe_names_resource_and_operation(module, method, path, query, resource, op):
    described = module.describe(method, path, query)
    assert (described["resource"], described["op"]) == (resource, op)


def test_render_is_the_inverse_of_describe_for_filters():
    described = ts.describe("GET", "/api/v1/events", [("status", "published,draft"), ("limit", "10")])
    assert described["filters"] == {"status": ["draft", "published"]}
    with pytest.raises(LookupError, match="one status"):
        eq.render(described)
    single = {**described, "filters": {"status": ["published"]}}
    assert eq.render(single) == ("GET", "/api/v1/events", [("status", "published"), ("limit", "10")])
    assert ts.render(single, {"offset": 20}) == ("GET", "/api/v1/events",
                                                 [("status", "PUBLISHED"), ("page", "3"), ("limit", "10")])
