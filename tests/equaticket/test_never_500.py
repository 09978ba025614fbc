"""Every writable field sent as null or as a wrong JSON type: a 4xx, never a 500 or a partial write."""

from __future__ import annotations

from tests.equaticket.helpers import API, bearer, create_event, create_type

EVENT_KEYS = (
    "title",
    "slug",
    "description",
    "starts_at",
    "ends_at",
    "doors_open_at",
    "timezone",
    "venue_name",
    "address",
    "postal_code",
    "city",
    "country",
    "online",
    "currency",
    "visibility",
    "category",
    "access_code",
    "call_to_action",
    "image_header",
    "image_thumbnail",
)
TYPE_KEYS = (
    "name",
    "description",
    "price",
    "booking_fee",
    "currency",
    "quantity_total",
    "sale_starts_at",
    "sale_ends_at",
    "min_per_order",
    "max_per_order",
    "hidden",
    "access_code",
    "sort_order",
    "status",
)
SUB_KEYS = ("url", "event_types", "description", "enabled")
ODD_VALUES = (None, [], {}, "", "12", 1.5, True, -1, 10**30, "\x00")


async def test_odd_values_in_every_field(client, live_key, box_office, conn, make_key):
    event = await create_event(client, live_key, slug=None)
    ticket_type = await create_type(client, live_key, event["id"])
    requests = []
    for key in EVENT_KEYS:
        for value in ODD_VALUES:
            requests.append(("PATCH", f"/events/{event['id']}", {key: value}))
            requests.append(("POST", "/events", {"title": "t", "starts_at": "2030-01-01T00:00:00Z", key: value}))
    for key in TYPE_KEYS:
        for value in ODD_VALUES:
            requests.append(("PATCH", f"/events/{event['id']}/ticket-types/{ticket_type['id']}", {key: value}))
            requests.append(
                ("POST", f"/events/{event['id']}/ticket-types", {"name": "x", "quantity_total": 1, key: value})
            )
    for key in SUB_KEYS:
        for value in ODD_VALUES:
            requests.append(
                (
                    "POST",
                    "/webhooks/subscriptions",
                    {"url": "https://a.example.com", "event_types": ["order.placed"], key: value},
                )
            )
    failures = []
    for i, (method, path, body) in enumerate(requests):
        if i % 500 == 0:  # stay under the plan's rate limit: this test is about input, not limits
            key = await make_key(box_office, "equaticket")
        response = await client.request(method, f"{API}{path}", json=body, headers=bearer(key))
        assert response.status_code != 429
        if response.status_code >= 500:
            failures.append((method, path, body, response.status_code))
    assert failures == []
    stored = await conn.fetchrow("SELECT slug, title FROM events WHERE id = $1", int(event["id"][4:]))
    assert stored["slug"] is not None and stored["title"] is not None
