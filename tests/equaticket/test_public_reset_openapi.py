"""The public listing, the test-data reset, webhook_object, and the OpenAPI document."""

from __future__ import annotations

import jsonschema
import pytest
from openapi_spec_validator import validate

from core.ids import parse_id
from core.models import Scope
from dialects.equaticket.openapi import document
from dialects.equaticket.queries import WebhookPayloads
from tests.equaticket.helpers import API, TICKET_TYPE, bearer, create_event, create_type, event_with_type, seed_order

RESET = "/equaticket/api/settings/api-keys/reset-test-data"


async def _published(client, key, **fields) -> dict:
    event = await create_event(client, key, slug=None, **fields)
    await create_type(client, key, event["id"], access_code=None)
    response = await client.post(f"{API}/events/{event['id']}/publish", headers=bearer(key))
    assert response.status_code == 200
    return response.json()


async def test_public_listing_shows_only_published_public_live_events(client, live_key, test_key, box_office):
    shown = await _published(client, live_key, title="Open Night", access_code="SECRET")
    await create_type(client, live_key, shown["id"], name="Hidden VIP", hidden=True, access_code="VIP")
    await _published(client, live_key, title="Unlisted", visibility="unlisted")
    await create_event(client, live_key, slug="draft-one")
    await _published(client, test_key, title="Test Only")
    response = await client.get(f"{API}/public/events?org_slug={box_office['slug']}")
    assert response.status_code == 200
    body = response.json()
    assert body["livemode"] is True and body["has_more"] is False and body["next_cursor"] is None
    assert [e["title"] for e in body["data"]] == ["Open Night"]
    event = body["data"][0]
    for private in ("access_code", "livemode", "visibility", "created_at", "updated_at"):
        assert private not in event
    assert [t["name"] for t in event["ticket_types"]] == ["General Admission"]
    assert set(event["ticket_types"][0]) == {
        "id",
        "object",
        "name",
        "description",
        "price",
        "booking_fee",
        "currency",
        "sold_out",
        "status",
        "sale_starts_at",
        "sale_ends_at",
    }
    assert event["url"].endswith(f"/events/{box_office['slug']}/{event['slug']}")


async def test_public_listing_errors(client):
    missing = await client.get(f"{API}/public/events")
    assert missing.status_code == 400
    assert (missing.json()["error"]["code"], missing.json()["error"]["param"]) == ("validation_error", "org_slug")
    for slug in ("no-such-org-here", "Bad%20Slug", "%00"):
        response = await client.get(f"{API}/public/events?org_slug={slug}")
        assert response.status_code in (400, 404)
    unknown = await client.get(f"{API}/public/events?org_slug=no-such-org-here")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"


async def test_reset_deletes_only_test_data(client, live_key, test_key, box_office, conn, clock):
    live_event, live_type = await event_with_type(client, live_key)
    test_event, test_type = await event_with_type(client, test_key)
    await seed_order(conn, box_office, True, live_event, live_type, clock)
    await seed_order(conn, box_office, False, test_event, test_type, clock, quantity=2)
    sub = {"url": "https://h.example.com/x", "event_types": ["order.placed"]}
    await client.post(f"{API}/webhooks/subscriptions", json=sub, headers=bearer(test_key))
    await client.post(f"{API}/webhooks/subscriptions", json=sub, headers=bearer(live_key))
    await client.post(
        f"{API}/events",
        json={"title": "k", "starts_at": "2030-01-01T00:00:00Z"},
        headers=bearer(test_key, **{"Idempotency-Key": "reset-me"}),
    )
    response = await client.post(RESET, headers=bearer(test_key))
    assert response.status_code == 200
    assert response.json() == {
        "object": "test_data_reset",
        "livemode": False,
        "deleted": {
            "webhook_deliveries": 0,
            "webhook_events": 0,
            "webhook_subscriptions": 1,
            "tickets": 2,
            "orders": 1,
            "ticket_types": 1,
            "events": 2,
            "idempotency_keys": 1,
        },
    }
    for path in ("/events", "/orders", "/attendees", "/webhooks/subscriptions"):
        assert (await client.get(f"{API}{path}", headers=bearer(test_key))).json()["data"] == []
        assert len((await client.get(f"{API}{path}", headers=bearer(live_key))).json()["data"]) >= 1


async def test_reset_needs_events_write(client, box_office, make_key):
    key = await make_key(box_office, "equaticket", mode="test", scopes=["events:read"])
    response = await client.post(RESET, headers=bearer(key))
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    assert (await client.post(RESET)).status_code == 401


async def test_webhook_object_matches_get(client, live_key, box_office, conn, clock, gateway):
    webhook_object = WebhookPayloads(gateway.settings.public_base_url)
    event_id, type_id = await event_with_type(client, live_key)
    order = await seed_order(conn, box_office, True, event_id, type_id, clock)
    scope = Scope(box_office["id"], True)
    ticket_id = await conn.fetchval("SELECT id FROM issued_tickets WHERE order_id = $1", order["id"])
    got_order = (await client.get(f"{API}/orders/ord_{order['id']}", headers=bearer(live_key))).json()
    assert await webhook_object(conn, scope, "order", order["id"]) == got_order
    got_event = (await client.get(f"{API}/events/{event_id}", headers=bearer(live_key))).json()
    assert await webhook_object(conn, scope, "event", parse_id("event", event_id)) == got_event
    attendees = (await client.get(f"{API}/attendees", headers=bearer(live_key))).json()["data"]
    assert await webhook_object(conn, scope, "attendee", ticket_id) == attendees[0]


async def test_openapi_document_is_valid(client):
    response = await client.get(f"{API}/openapi.json")
    assert response.status_code == 200 and response.headers["x-request-id"].startswith("req_")
    spec = response.json()
    assert spec["openapi"] == "3.1.0"
    validate(spec)


def _check(spec: dict, schema_name: str, instance: object) -> None:
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": spec["components"]}
    jsonschema.Draft202012Validator(schema).validate(instance)


@pytest.fixture
async def world(client, live_key, box_office, conn, clock) -> dict:
    event_id, type_id = await event_with_type(client, live_key)
    order = await seed_order(conn, box_office, True, event_id, type_id, clock)
    await client.post(f"{API}/events/{event_id}/publish", headers=bearer(live_key))
    sub = await client.post(
        f"{API}/webhooks/subscriptions",
        headers=bearer(live_key),
        json={"url": "https://h.example.com/x", "event_types": ["order.placed"]},
    )
    return {
        "event": event_id,
        "type": type_id,
        "order": f"ord_{order['id']}",
        "sub": sub.json(),
        "slug": box_office["slug"],
    }


async def test_real_responses_match_the_schemas(client, live_key, world):
    spec = document()
    _check(spec, "WebhookSubscriptionCreated", world["sub"])
    sub = world["sub"]["id"]
    cases = [
        ("/events", "EventList"),
        (f"/events/{world['event']}", "Event"),
        (f"/events/{world['event']}/ticket-types", "TicketTypeList"),
        ("/orders", "OrderList"),
        (f"/orders/{world['order']}", "Order"),
        (f"/events/{world['event']}/orders", "OrderList"),
        ("/attendees", "AttendeeList"),
        (f"/events/{world['event']}/attendees", "AttendeeList"),
        ("/webhooks/subscriptions", "WebhookSubscriptionList"),
        (f"/webhooks/subscriptions/{sub}", "WebhookSubscription"),
        (f"/webhooks/subscriptions/{sub}/deliveries", "WebhookDeliveryList"),
        ("/events/evt_0", "Error"),
    ]
    for path, schema in cases:
        response = await client.get(f"{API}{path}", headers=bearer(live_key))
        _check(spec, schema, response.json())
    public = await client.get(f"{API}/public/events?org_slug={world['slug']}")
    _check(spec, "PublicEventList", public.json())
    created = await client.post(
        f"{API}/events/{world['event']}/ticket-types", json=TICKET_TYPE, headers=bearer(live_key)
    )
    _check(spec, "TicketType", created.json())
    deleted = await client.delete(
        f"{API}/events/{world['event']}/ticket-types/{created.json()['id']}", headers=bearer(live_key)
    )
    _check(spec, "Deleted", deleted.json())
    reset = await client.post(RESET, headers=bearer(live_key))
    _check(spec, "TestDataReset", reset.json())
    with pytest.raises(jsonschema.ValidationError):
        _check(spec, "WebhookSubscription", world["sub"])  # the secret never appears outside create
