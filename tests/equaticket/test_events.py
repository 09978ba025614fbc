"""Golden wire tests: events and ticket types."""

from __future__ import annotations

import pytest

from tests.equaticket.helpers import API, EVENT, TICKET_TYPE, bearer, create_event, create_type, seed_order

DOC_URL = "https://equaticket.com/help/organizers/public-api"


async def test_create_event_golden(client, live_key, box_office):
    response = await client.post(f"{API}/events", json=EVENT, headers=bearer(live_key))
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-request-id"].startswith("req_")
    body = response.json()
    number = int(body["id"].removeprefix("evt_"))
    assert body == {
        "id": f"evt_{number}",
        "object": "event",
        "livemode": True,
        "title": "Spring Workshop",
        "slug": "spring-workshop-2026",
        "description": None,
        "status": "draft",
        "visibility": "public",
        "category": "other",
        "timezone": "America/Chicago",
        "starts_at": "2030-09-15T18:00:00Z",
        "ends_at": None,
        "doors_open_at": None,
        "venue_name": None,
        "address": None,
        "city": None,
        "postal_code": None,
        "country": None,
        "online": False,
        "currency": "usd",
        "access_code": None,
        "call_to_action": None,
        "image_header": None,
        "image_thumbnail": None,
        "url": f"http://localhost:8000/events/{box_office['slug']}/spring-workshop-2026",
        "ticket_types": [],
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert body["created_at"].endswith("Z")


async def test_get_list_and_patch_event(client, live_key):
    event = await create_event(client, live_key)
    got = await client.get(f"{API}/events/{event['id']}", headers=bearer(live_key))
    assert got.status_code == 200 and got.json() == event
    listed = await client.get(f"{API}/events", headers=bearer(live_key))
    assert listed.json() == {"livemode": True, "data": [event], "has_more": False, "next_cursor": None}
    patched = await client.patch(
        f"{API}/events/{event['id']}", json={"title": "Autumn", "venue_name": "Hall"}, headers=bearer(live_key)
    )
    assert patched.status_code == 200
    assert (patched.json()["title"], patched.json()["venue_name"]) == ("Autumn", "Hall")
    drafts = await client.get(f"{API}/events?status=draft", headers=bearer(live_key))
    assert [e["id"] for e in drafts.json()["data"]] == [event["id"]]
    assert (await client.get(f"{API}/events?status=published", headers=bearer(live_key))).json()["data"] == []


async def test_event_with_nested_ticket_types(client, live_key):
    event = await create_event(client, live_key, currency=None, ticket_types=[TICKET_TYPE])
    assert event["currency"] == "usd"
    assert [(t["name"], t["quantity_total"], t["quantity_available"]) for t in event["ticket_types"]] == [
        ("General Admission", 100, 100)
    ]


async def test_ticket_type_crud(client, live_key, box_office, conn, clock, checkout):
    event = await create_event(client, live_key)
    created = await create_type(client, live_key, event["id"])
    assert created == {
        "id": created["id"],
        "object": "ticket_type",
        "livemode": True,
        "event_id": event["id"],
        "name": "General Admission",
        "description": None,
        "price": 2500,
        "booking_fee": 0,
        "currency": "usd",
        "quantity_total": 100,
        "quantity_sold": 0,
        "quantity_available": 100,
        "min_per_order": 1,
        "max_per_order": 100,
        "sale_starts_at": None,
        "sale_ends_at": None,
        "hidden": False,
        "access_code": None,
        "status": "on_sale",
        "sort_order": 0,
        "created_at": created["created_at"],
        "updated_at": created["updated_at"],
    }
    path = f"{API}/events/{event['id']}/ticket-types"
    listed = await client.get(path, headers=bearer(live_key))
    assert listed.json() == {"livemode": True, "data": [created], "has_more": False, "next_cursor": None}
    patched = await client.patch(
        f"{path}/{created['id']}", json={"quantity_total": 10, "price": 100}, headers=bearer(live_key)
    )
    assert (patched.json()["quantity_total"], patched.json()["price"]) == (10, 100)
    spare = await create_type(client, live_key, event["id"], name="Spare")
    deleted = await client.delete(f"{path}/{spare['id']}", headers=bearer(live_key))
    assert deleted.status_code == 200
    assert deleted.json() == {"id": spare["id"], "object": "ticket_type", "livemode": True, "deleted": True}
    await seed_order(conn, box_office, True, event["id"], created["id"], checkout)
    refused = await client.delete(f"{path}/{created['id']}", headers=bearer(live_key))
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "conflict"
    assert "sold" in refused.json()["error"]["message"]


async def test_ticket_type_of_another_event_is_not_found(client, live_key):
    first, second = await create_event(client, live_key, slug="a"), await create_event(client, live_key, slug="b")
    ticket_type = await create_type(client, live_key, first["id"])
    response = await client.patch(
        f"{API}/events/{second['id']}/ticket-types/{ticket_type['id']}", json={"name": "x"}, headers=bearer(live_key)
    )
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


async def test_ticket_type_currency_must_match_event(client, live_key):
    event = await create_event(client, live_key)
    response = await client.post(
        f"{API}/events/{event['id']}/ticket-types", json={**TICKET_TYPE, "currency": "eur"}, headers=bearer(live_key)
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "currency"


async def test_ticket_type_validation_names_wire_field(client, live_key):
    event = await create_event(client, live_key)
    response = await client.post(
        f"{API}/events/{event['id']}/ticket-types", json={**TICKET_TYPE, "quantity_total": -1}, headers=bearer(live_key)
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == "quantity_total" and error["message"].startswith("quantity_total:")


async def test_publish_and_cancel(client, live_key):
    event = await create_event(client, live_key)
    await create_type(client, live_key, event["id"])
    published = await client.post(f"{API}/events/{event['id']}/publish", headers=bearer(live_key))
    assert published.status_code == 200 and published.json()["status"] == "published"
    cancelled = await client.post(f"{API}/events/{event['id']}/cancel", headers=bearer(live_key))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = await client.post(f"{API}/events/{event['id']}/publish", headers=bearer(live_key))
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"


async def test_publish_paid_event_without_payments_is_refused(client, make_box_office, make_key):
    office = await make_box_office(payments_connected=False)
    key = await make_key(office, "equaticket")
    event = await create_event(client, key)
    await create_type(client, key, event["id"])
    response = await client.post(f"{API}/events/{event['id']}/publish", headers=bearer(key))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error == {
        "code": "unprocessable",
        "message": error["message"],
        "request_id": response.headers["x-request-id"],
        "doc_url": DOC_URL,
    }
    assert "Payments" in error["message"]
    free = await create_event(client, key, slug="free-show")
    await create_type(client, key, free["id"], price=0)
    assert (await client.post(f"{API}/events/{free['id']}/publish", headers=bearer(key))).status_code == 200


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({**EVENT, "starts_at": "2030-09-15T18:00:00"}, "starts_at"),
        ({**EVENT, "timezone": "Mars/Base"}, "timezone"),
        ({**EVENT, "currency": "dollars"}, "currency"),
        ({**EVENT, "title": ""}, "title"),
        ({**EVENT, "title": "a\x00b"}, "title"),
        ({**EVENT, "surprise": 1}, "surprise"),
        ({k: v for k, v in EVENT.items() if k != "title"}, "title"),
        ({**EVENT, "ticket_types": [{"name": "x", "quantity_total": 10**20}]}, "ticket_types.0.quantity_total"),
        ({**EVENT, "ticket_types": "many"}, "ticket_types"),
    ],
)
async def test_event_validation_errors(client, live_key, body, param):
    response = await client.post(f"{API}/events", json=body, headers=bearer(live_key))
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["param"], error["doc_url"]) == ("validation_error", param, DOC_URL)
    assert error["request_id"] == response.headers["x-request-id"]


async def test_duplicate_slug_is_conflict(client, live_key):
    await create_event(client, live_key)
    response = await client.post(f"{API}/events", json=EVENT, headers=bearer(live_key))
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"


@pytest.mark.parametrize("event_id", ["evt_999999999", "ord_1", "nope", "evt_" + "9" * 40, "evt_%00"])
async def test_unknown_event_ids_are_404(client, live_key, event_id):
    response = await client.get(f"{API}/events/{event_id}", headers=bearer(live_key))
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
