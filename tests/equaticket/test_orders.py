"""Orders and attendees: wire shapes, filters, paging, and test/live isolation."""

from __future__ import annotations

import pytest

from core.ids import parse_id
from core.models import Scope
from tests.equaticket.helpers import API, bearer, event_with_type, seed_order


async def test_order_golden_and_filters(client, live_key, box_office, conn, clock, checkout):
    event_id, type_id = await event_with_type(client, live_key)
    order = await seed_order(conn, box_office, True, event_id, type_id, checkout, quantity=2)
    other = await seed_order(conn, box_office, True, event_id, type_id, checkout, email="bob@example.com")
    await checkout.refund(conn, Scope(box_office["id"], True), other["id"])
    response = await client.get(f"{API}/orders/ord_{order['id']}", headers=bearer(live_key))
    body = response.json()
    assert response.status_code == 200
    assert body == {
        "id": f"ord_{order['id']}",
        "object": "order",
        "livemode": True,
        "is_test_data": False,
        "event_id": event_id,
        "status": "confirmed",
        "buyer_name": "Jane Doe",
        "buyer_email": "jane@example.com",
        "buyer_phone": None,
        "currency": "usd",
        "subtotal": 5000,
        "booking_fee": 0,
        "tax": 0,
        "total": 5000,
        "refunded_amount": 0,
        "payment_method": "operator",
        "line_items": [
            {
                "type": "ticket",
                "ticket_type_id": type_id,
                "name": "General Admission",
                "quantity": 2,
                "subtotal": 5000,
                "booking_fee": 0,
                "total": 5000,
            }
        ],
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }

    async def ids(query: str) -> list[str]:
        listed = await client.get(f"{API}/orders{query}", headers=bearer(live_key))
        assert listed.status_code == 200, listed.text
        return [o["id"] for o in listed.json()["data"]]

    assert await ids("") == [f"ord_{other['id']}", f"ord_{order['id']}"]
    assert await ids("?status=confirmed") == [f"ord_{order['id']}"]
    assert await ids("?status=refunded") == [f"ord_{other['id']}"]
    assert await ids("?buyer_email=bob@example.com") == [f"ord_{other['id']}"]
    assert await ids("?buyer_email=BOB@example.com") == []  # exact match
    assert await ids(f"?event={event_id}") == [f"ord_{other['id']}", f"ord_{order['id']}"]
    assert await ids("?event=evt_999999999") == []
    by_event = await client.get(f"{API}/events/{event_id}/orders?status=refunded", headers=bearer(live_key))
    assert [o["id"] for o in by_event.json()["data"]] == [f"ord_{other['id']}"]


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("?status=completed", "status"),
        ("?event=abc", "event"),
        ("?limit=0", "limit"),
        ("?limit=101", "limit"),
        ("?limit=ten", "limit"),
        ("?buyer_email=%00", "buyer_email"),
        ("?cursor=abc", "cursor"),
    ],
)
async def test_bad_order_query_params(client, live_key, query, param):
    response = await client.get(f"{API}/orders{query}", headers=bearer(live_key))
    assert response.status_code == 400
    assert (response.json()["error"]["code"], response.json()["error"]["param"]) == ("validation_error", param)


async def test_attendees_golden_and_checked_in_filter(client, live_key, box_office, conn, clock, checkout):
    event_id, type_id = await event_with_type(client, live_key)
    order = await seed_order(conn, box_office, True, event_id, type_id, checkout, quantity=2)
    tickets = await conn.fetch("SELECT id FROM issued_tickets WHERE order_id = $1 ORDER BY id", order["id"])
    await checkout.check_in(conn, Scope(box_office["id"], True), tickets[0]["id"], "n1")
    listed = await client.get(f"{API}/events/{event_id}/attendees?checked_in=true", headers=bearer(live_key))
    data = listed.json()["data"]
    assert [a["id"] for a in data] == [f"att_{tickets[0]['id']}"]
    assert data[0] == {
        "id": f"att_{tickets[0]['id']}",
        "object": "attendee",
        "livemode": True,
        "is_test_data": False,
        "event_id": event_id,
        "order_id": f"ord_{order['id']}",
        "ticket_type_id": type_id,
        "ticket_type_name": "General Admission",
        "first_name": "Jane",
        "last_name": "Doe",
        "email": "jane@example.com",
        "barcode": data[0]["barcode"],
        "status": "valid",
        "checked_in": True,
        "checked_in_at": data[0]["checked_in_at"],
        "created_at": data[0]["created_at"],
        "updated_at": data[0]["updated_at"],
    }
    not_in = await client.get(f"{API}/events/{event_id}/attendees?checked_in=false", headers=bearer(live_key))
    assert [a["id"] for a in not_in.json()["data"]] == [f"att_{tickets[1]['id']}"]
    everyone = await client.get(f"{API}/attendees", headers=bearer(live_key))
    assert len(everyone.json()["data"]) == 2
    bad = await client.get(f"{API}/attendees?checked_in=yes", headers=bearer(live_key))
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "checked_in"


async def test_cursor_pagination_walks_every_row_once(client, live_key, box_office, conn, clock, checkout):
    event_id, type_id = await event_with_type(client, live_key)
    for _ in range(5):
        await seed_order(conn, box_office, True, event_id, type_id, checkout)
    seen, cursor = [], None
    while True:
        query = f"?limit=2&cursor={cursor}" if cursor else "?limit=2"
        body = (await client.get(f"{API}/orders{query}", headers=bearer(live_key))).json()
        seen += [o["id"] for o in body["data"]]
        assert body["livemode"] is True
        if not body["has_more"]:
            assert body["next_cursor"] is None
            break
        cursor = body["next_cursor"]
    assert len(seen) == 5 == len(set(seen))
    assert seen == sorted(seen, key=lambda i: -int(i.removeprefix("ord_")))


async def test_test_and_live_data_are_isolated(client, live_key, test_key, box_office, conn, clock, checkout):
    live_event, live_type = await event_with_type(client, live_key)
    test_event, test_type = await event_with_type(client, test_key)
    live_order = await seed_order(conn, box_office, True, live_event, live_type, checkout)
    test_order = await seed_order(conn, box_office, False, test_event, test_type, checkout)
    for key, mine, theirs, livemode in (
        (live_key, (live_event, live_order), (test_event, test_order), True),
        (test_key, (test_event, test_order), (live_event, live_order), False),
    ):
        for path in ("/events", "/orders", "/attendees", "/webhooks/subscriptions"):
            body = (await client.get(f"{API}{path}", headers=bearer(key))).json()
            assert body["livemode"] is livemode
            assert all(item["livemode"] is livemode for item in body["data"])
        events = (await client.get(f"{API}/events", headers=bearer(key))).json()["data"]
        assert [e["id"] for e in events] == [mine[0]]
        order = (await client.get(f"{API}/orders/ord_{mine[1]['id']}", headers=bearer(key))).json()
        assert order["is_test_data"] is (not livemode)
        for path in (
            f"/events/{theirs[0]}",
            f"/orders/ord_{theirs[1]['id']}",
            f"/events/{theirs[0]}/orders",
            f"/events/{theirs[0]}/attendees",
            f"/events/{theirs[0]}/ticket-types",
        ):
            response = await client.get(f"{API}{path}", headers=bearer(key))
            assert response.status_code == 404, path
        for method, path in (
            ("PATCH", f"/events/{theirs[0]}"),
            ("POST", f"/events/{theirs[0]}/publish"),
            ("POST", f"/events/{theirs[0]}/cancel"),
            ("POST", f"/events/{theirs[0]}/ticket-types"),
        ):
            body = {"title": "x"} if method == "PATCH" else {"name": "x", "quantity_total": 1}
            response = await client.request(method, f"{API}{path}", json=body, headers=bearer(key))
            assert response.status_code == 404, path
    attendees = (await client.get(f"{API}/attendees", headers=bearer(test_key))).json()["data"]
    assert [a["is_test_data"] for a in attendees] == [True]
    assert parse_id("order", attendees[0]["order_id"]) == test_order["id"]


async def test_other_box_office_sees_nothing(client, live_key, box_office, make_box_office, make_key, conn,
                                             checkout):
    event_id, type_id = await event_with_type(client, live_key)
    order = await seed_order(conn, box_office, True, event_id, type_id, checkout)
    other_key = await make_key(await make_box_office(), "equaticket")
    assert (await client.get(f"{API}/events/{event_id}", headers=bearer(other_key))).status_code == 404
    assert (await client.get(f"{API}/orders/ord_{order['id']}", headers=bearer(other_key))).status_code == 404
    assert (await client.get(f"{API}/orders", headers=bearer(other_key))).json()["data"] == []
