"""The served OpenAPI 3.1 document is valid, and real responses match its schemas."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from core.events import ticket_types_for
from tests.ticketsmart.conftest import BASE


@pytest.fixture
async def spec(client) -> dict[str, Any]:
    return (await client.get(f"{BASE}/openapi.json")).json()


def _check(spec: dict[str, Any], path: str, method: str, response: Any) -> None:
    """Validate ``response`` against the document's schema for that operation and status."""
    declared = spec["paths"][path][method]["responses"][str(response.status_code)]
    schema = declared["content"]["application/json"]["schema"]
    registry = Registry().with_resource("urn:spec", Resource.from_contents(spec, DRAFT202012))
    rooted = {"$ref": "urn:spec" + schema["$ref"]} if "$ref" in schema else {
        "oneOf": [{"$ref": "urn:spec" + s["$ref"]} for s in schema["oneOf"]]}
    Draft202012Validator(rooted, registry=registry).validate(response.json())
    for header in declared.get("headers", {}):
        assert header.lower() in response.headers


def test_document_is_valid_openapi_31(spec):
    validate(spec)
    assert spec["openapi"] == "3.1.0"


async def test_success_responses_match(client, spec, auth, box_office, make_event, conn, sell):
    one = "/api/v1/events/{idOrSlug}"
    r = await client.post(f"{BASE}/events", headers=auth, json={
        "title": "Show", "startsAt": "2031-09-01T19:00:00Z", "ticketTypes": [{"name": "GA", "quantity": 5}]})
    _check(spec, "/api/v1/events", "post", r)
    ref = r.json()["event"]["id"]
    row = await make_event(box_office)
    [tt] = await ticket_types_for(conn, [row["id"]])
    await sell(box_office, row["id"], tt["id"])
    _check(spec, "/api/v1/events", "get", await client.get(f"{BASE}/events", headers=auth))
    _check(spec, one, "get", await client.get(f"{BASE}/events/{ref}", headers=auth))
    _check(spec, one, "patch", await client.patch(f"{BASE}/events/{ref}", headers=auth, json={
        "addTicketType": {"name": "VIP", "price": 100, "quantity": 1}}))
    for suffix in ("/ticket-types", "/availability"):
        _check(spec, one + suffix, "get", await client.get(f"{BASE}/events/{ref}{suffix}", headers=auth))


async def test_error_responses_match(client, spec, auth, box_office, make_key, make_event, conn, sell):
    one = "/api/v1/events/{idOrSlug}"
    events = "/api/v1/events"
    _check(spec, events, "get", await client.get(f"{BASE}/events"))
    _check(spec, events, "get", await client.get(f"{BASE}/events?page=0", headers=auth))
    _check(spec, events, "post", await client.post(f"{BASE}/events", headers=auth, json={"title": 1}))
    _check(spec, events, "post", await client.post(f"{BASE}/events", headers=auth, content=b"["))
    _check(spec, events, "post", await client.post(f"{BASE}/events", headers=auth, json={"status": "DRAFT"}))
    reader = {"x-api-key": await make_key(box_office, "ticketsmart", scopes=["events:read"])}
    _check(spec, events, "post", await client.post(f"{BASE}/events", headers=reader, json={}))
    _check(spec, one, "get", await client.get(f"{BASE}/events/nope", headers=auth))
    row = await make_event(box_office, slug="taken")
    [tt] = await ticket_types_for(conn, [row["id"]])
    await sell(box_office, row["id"], tt["id"])
    other = await make_event(box_office, title="Other")
    _check(spec, one, "patch", await client.patch(f"{BASE}/events/{other['id']}", headers=auth,
                                                  json={"slug": "taken"}))
    _check(spec, one, "patch", await client.patch(f"{BASE}/events/{row['id']}", headers=auth,
                                                  json={"removeTicketTypeId": f"tkt_{tt['id']}"}))
    limited = {"x-api-key": await make_key(box_office, "ticketsmart")}
    for _ in range(60):
        await client.get(f"{BASE}/events/nope/availability", headers=limited)
    _check(spec, one + "/availability", "get", await client.get(f"{BASE}/events/nope/availability",
                                                                headers=limited))
