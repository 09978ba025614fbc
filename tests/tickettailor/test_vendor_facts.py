"""Vendor facts declared once: the document, the served objects and the client agree with the tables.

Each ``WireObject`` in serializers.py is the one list of an object's fields; these tests say
which of the three derived places (OpenAPI schema, served body, client parser) a field is
missing from.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from dialects.spec import WireEnum, WireObject, check
from dialects.tickettailor import TicketTailor, client, openapi
from dialects.tickettailor import serializers as wire
from dialects.tickettailor.routes import ROUTES
from dialects.tickettailor.settings import Settings as TicketTailorSettings
from tests.tickettailor.conftest import BASE, order_input

ENUMS = (wire.EVENT_STATUS, wire.TICKET_TYPE_STATUS, wire.ORDER_STATUS, wire.TICKET_STATUS)


async def test_each_objects_schema_in_the_document_is_its_tables(tt):
    schemas = (await tt.get(f"{BASE}/openapi.json")).json()["components"]["schemas"]
    for obj in openapi.OBJECTS:
        assert schemas[obj.name] == obj.schema(), obj.name
        assert list(schemas[obj.name]["properties"]) == list(obj.names), obj.name  # the vendor's order


def test_the_documented_paths_are_the_route_tables():
    assert set(openapi.PATHS) == {r.path for r in ROUTES if not r.public}
    assert [r.path for r in ROUTES if r.public] == ["/v1/openapi.json"]
    assert {r.scope for r in ROUTES if not r.public} == {"read", "write"}
    assert {r.method for r in ROUTES if r.scope == "write"} == {"POST"}  # every write needs the scope
    assert {(r.method, r.path) for r in ROUTES if not r.public} == {
        (method.upper(), path) for path, operations in openapi.PATHS.items() for method in operations}


def served_objects(body: dict[str, Any], obj: WireObject) -> list[tuple[WireObject, dict[str, Any]]]:
    """``body`` as ``obj`` and every sub-object in it, each with the table that declares it."""
    nested: dict[str, WireObject] = {
        "start": wire.DATE_OBJECT, "end": wire.DATE_OBJECT, "start_date": wire.DATE_OBJECT,
        "end_date": wire.DATE_OBJECT, "images": wire.IMAGES, "venue": wire.VENUE, "address": wire.ADDRESS,
        "buyer_details": wire.BUYER_DETAILS, "currency": wire.CURRENCY, "event_summary": wire.EVENT_SUMMARY,
        "payment_method": wire.PAYMENT_METHOD, "payment_methods": wire.PAYMENT_METHOD,
        "ticket_types": wire.TICKET_TYPE, "ticket_groups": wire.TICKET_GROUP, "line_items": wire.LINE_ITEM,
        "issued_tickets": client.TICKET, "custom_questions": wire.CUSTOM_QUESTION,
    }
    found = [(obj, body)]
    for name, value in body.items():
        if name not in nested or (name == "currency" and not isinstance(value, dict)):
            continue
        for item in value if isinstance(value, list) else [value]:
            found += served_objects(item, nested[name])
    return found


async def test_a_served_object_has_exactly_its_declared_fields(tt, seed, conn, checkout):
    await conn.execute("UPDATE box_offices SET payments_connected = true WHERE id = $1", seed.office["id"])
    order = await checkout.place(
        conn, seed.scope, order_input(seed.event["id"], seed.types[0]["id"], 1,
                                      custom_questions=[{"question": "Diet", "answer": "None"}]))
    ticket = await conn.fetchval("SELECT id FROM issued_tickets WHERE order_id = $1", order["id"])
    served = []
    for path, obj in ((f"/events/ev_{seed.event['id']}", wire.EVENT), (f"/orders/or_{order['id']}", wire.ORDER),
                      (f"/issued_tickets/it_{ticket}", client.TICKET)):
        served += served_objects((await tt.get(f"{BASE}{path}", headers=seed.auth)).json(), obj)
    assert {o.name for o, _ in served} == {o.name for o in openapi.OBJECTS} | {"Images", "Venue", "Address",
                                                                               "BuyerDetails", "Currency",
                                                                               "EventSummary"}
    problems = [problem for obj, body in served for problem in check(obj, body)]
    assert not problems, problems


async def test_the_client_reads_back_every_declared_field(tt, seed):
    body = (await tt.get(f"{BASE}/orders/or_{seed.orders[0]['id']}", headers=seed.auth)).json()
    order = client.parse_order(body)
    for obj in (wire.ORDER, wire.BUYER_DETAILS, wire.CURRENCY, wire.EVENT_SUMMARY, wire.PAYMENT_METHOD):
        assert {f.core for f in obj.fields if f.core} <= set(order), obj.name
    assert {f.core for f in client.TICKET.fields if f.core} == set(client.parse_ticket(body["issued_tickets"][0]))


def test_every_enum_value_rendered_reads_back_into_core():
    for enum in ENUMS:
        for core in enum.to_wire:
            assert enum.parse(enum.wire(core)) in enum.to_wire, (enum, core)
        assert set(enum.reverse) >= set(enum.values), enum  # every documented value has a reading


def test_lossy_enums_read_back_as_documented():
    assert wire.EVENT_STATUS.parse("close_sales") == "cancelled"
    assert wire.EVENT_STATUS.parse("off_sale_temporarily") == "published"
    assert [wire.TICKET_TYPE_STATUS.parse(s) for s in ("sold_out", "hidden", "unavailable")] == [
        "on_sale", "on_sale", "off_sale"]
    assert wire.ORDER_STATUS.parse("cancelled") == "cancelled"  # "refunded" is told by status_message
    assert isinstance(wire.EVENT_STATUS, WireEnum)


async def test_the_ticket_urls_come_from_the_dialects_own_base_url(gateway):
    services = gateway.services()
    here = TicketTailor(dataclasses.replace(services, public_base_url="https://a.example"), TicketTailorSettings())
    there = TicketTailor(dataclasses.replace(services, public_base_url="https://b.example"), TicketTailorSettings())
    assert "https://a.example/tickettailor/barcode/qr" in here.reads.ticket.columns
    assert "https://b.example/tickettailor/barcode/st" in there.reads.ticket.columns
    assert "a.example" not in there.reads.ticket.columns
