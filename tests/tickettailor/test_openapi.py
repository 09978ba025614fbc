"""The OpenAPI 3.1 document is valid, public, and real responses match its schemas."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from tests.tickettailor.conftest import BASE, order_input


@pytest.fixture
async def spec(tt):
    response = await tt.get(f"{BASE}/openapi.json")  # no credentials needed
    assert response.status_code == 200
    return response.json()


def check(spec: dict, name: str, body: object) -> None:
    validator = Draft202012Validator({**spec, "$ref": f"#/components/schemas/{name}"})
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
    assert not errors, errors


async def test_document_is_valid_openapi_31(spec):
    validate(spec)
    assert spec["openapi"] == "3.1.0"
    assert spec["servers"] == [{"url": "/tickettailor"}]
    assert set(spec["paths"]) == {"/v1/ping", "/v1/events", "/v1/events/{event_id}", "/v1/orders",
                                  "/v1/orders/{order_id}", "/v1/issued_tickets",
                                  "/v1/issued_tickets/{issued_ticket_id}", "/v1/event_series",
                                  "/v1/event_series/{event_series_id}", "/v1/event_series/{event_series_id}/events",
                                  "/v1/event_series/{event_series_id}/ticket_types", "/v1/check_ins",
                                  "/v1/box_office", "/v1/products", "/v1/discounts",
                                  "/v1/vouchers", "/v1/vouchers/{voucher_id}/codes",
                                  "/v1/event_series/{event_series_id}/waitlist_signups"}


async def test_every_documented_enum_value_is_in_the_schemas(spec):
    schemas = spec["components"]["schemas"]
    assert set(schemas["Event"]["properties"]["status"]["enum"]) == {
        "draft", "published", "off_sale_temporarily", "close_sales"}
    assert set(schemas["TicketType"]["properties"]["status"]["enum"]) == {
        "on_sale", "sold_out", "unavailable", "hidden", "admin_only", "locked"}
    assert set(schemas["Order"]["properties"]["status"]["enum"]) == {"completed", "pending", "cancelled"}
    assert set(schemas["PaymentMethod"]["properties"]["type"]["enum"]) == {
        "stripe", "paypal", "offline", "operator", "no_cost"}
    assert len(schemas["LineItem"]["properties"]["type"]["enum"]) == 7  # the reference's six and "product"


async def test_real_responses_match_the_schemas(tt, seed, spec, conn, checkout):
    order = await checkout.place(
        conn, seed.scope, order_input(seed.event["id"], seed.types[0]["id"], 2))
    await checkout.refund(conn, seed.scope, order["id"])
    ticket = await conn.fetchval("SELECT id FROM issued_tickets WHERE order_id = $1 LIMIT 1", order["id"])
    cases = [
        ("/ping", "Ping"), ("/events?limit=1", "EventList"), (f"/events/{seed.event['id']}", "Event"),
        ("/orders", "OrderList"), (f"/orders/or_{order['id']}", "Order"),
        ("/issued_tickets", "IssuedTicketList"), (f"/issued_tickets/it_{ticket}", "IssuedTicket"),
        ("/orders/or_0", "Error"), ("/orders?limit=0", "Error"),
    ]
    for path, schema in cases:
        response = await tt.get(f"{BASE}{path}", headers=seed.auth)
        check(spec, schema, response.json())
    check(spec, "Error", (await tt.get(f"{BASE}/orders")).json())


async def test_the_check_catches_drift(tt, seed, spec):
    event = (await tt.get(f"{BASE}/events/{seed.event['id']}", headers=seed.auth)).json()
    for drifted in ({**event, "private": False}, {**event, "extra": 1}, {**event, "created_at": "1"}):
        with pytest.raises(AssertionError):
            check(spec, "Event", drifted)


async def test_host_routed_document_has_a_root_server(make_tt):
    client = await make_tt(host="api.tickettailor.test")
    assert (await client.get("/v1/openapi.json")).json()["servers"] == [{"url": "/"}]


async def test_beyond_the_reference_page_responses_match_the_schemas(tt, seed, spec, conn, checkout):
    series = await tt.post(f"{BASE}/event_series", headers=seed.auth, data={"name": "Schema Series"})
    check(spec, "EventSeries", series.json())
    path = f"{BASE}/event_series/{series.json()['id']}"
    check(spec, "TicketType", (await tt.post(f"{path}/ticket_types", headers=seed.auth,
                                             data={"name": "A", "price": "100", "quantity": "5"})).json())
    check(spec, "EventOccurrence", (await tt.post(f"{path}/events", headers=seed.auth, data={
        "start_date": "2031-01-01", "start_time": "10:00"})).json())
    ticket = await conn.fetchval("SELECT id FROM issued_tickets WHERE order_id = $1 LIMIT 1", seed.orders[0]["id"])
    check(spec, "CheckIn", (await tt.post(f"{BASE}/check_ins", headers=seed.auth,
                                          data={"issued_ticket_id": f"it_{ticket}", "quantity": "1"})).json())
    for url, schema in ((f"{BASE}/event_series", "EventSeriesList"), (path, "EventSeries"),
                        (f"{path}/events", "EventOccurrenceList"), (f"{BASE}/check_ins", "CheckInList"),
                        (f"{BASE}/box_office", "BoxOffice"), (f"{BASE}/event_series/es_0", "Error")):
        check(spec, schema, (await tt.get(url, headers=seed.auth)).json())
    refused = await tt.post(f"{BASE}/check_ins", headers=seed.auth, data={"quantity": "1"})
    check(spec, "Error", refused.json())
