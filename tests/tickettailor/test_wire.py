"""Golden wire tests: request in, exact status, headers and JSON out, for every endpoint."""

from __future__ import annotations

from tests.tickettailor.conftest import BASE, T0, basic, make_event, order_input, unix

LONDON_START = {"date": "2020-05-01", "formatted": "Fri 1 May 2020 6:00 PM",
                "iso": "2020-05-01T18:00:00+01:00", "time": "18:00", "timezone": "+01:00",
                "unix": 1588352400}
LONDON_END = {"date": "2020-05-01", "formatted": "Fri 1 May 2020 10:30 PM",
              "iso": "2020-05-01T22:30:00+01:00", "time": "22:30", "timezone": "+01:00",
              "unix": 1588368600}
PUBLIC = "http://localhost:8000"


def expected_event(seed) -> dict:
    e, (adult, free) = seed.event, seed.types
    return {
        "object": "event", "id": f"ev_{e['id']}", "access_code": None, "call_to_action": "Buy tickets",
        "created_at": unix(e["created_at"]), "currency": "gbp", "description": None,
        "end": LONDON_END, "event_series_id": f"es_{e['series_id']}", "images": {"header": None, "thumbnail": None},
        "name": "Hackney Downs 2020 Tulip Festival", "online_event": "false",
        "payment_methods": [{"external_id": None, "id": f"pm_{seed.office['id']}", "instructions": None,
                             "name": None, "type": "stripe"}],
        "private": "false", "start": LONDON_START, "status": "published",
        "ticket_groups": [{"id": f"tg_{seed.group_id}", "max_per_order": None, "name": "April 20th",
                           "sort_order": 50050, "ticket_ids": [f"tt_{adult['id']}"]}],
        "ticket_types": [
            {"object": "ticket_type", "id": f"tt_{adult['id']}", "access_code": None, "booking_fee": 0,
             "description": None, "group_id": f"tg_{seed.group_id}", "max_per_order": 100,
             "min_per_order": 1, "name": "Adult", "price": 800, "status": "on_sale", "sort_order": 1,
             "type": "paid", "quantity": 100},
            {"object": "ticket_type", "id": f"tt_{free['id']}", "access_code": None, "booking_fee": 0,
             "description": None, "group_id": None, "max_per_order": 100, "min_per_order": 1,
             "name": "Free ticket", "price": 0, "status": "on_sale", "sort_order": 2, "type": "free",
             "quantity": 7},
        ],
        "tickets_available": "true", "timezone": "Europe/London", "total_issued_tickets": 3,
        "total_orders": 2, "url": f"{PUBLIC}/events/{seed.office['slug']}/{e['slug']}",
        "venue": {"name": None, "postal_code": None},
    }


async def _tickets(conn, order_id):
    return await conn.fetch("SELECT * FROM issued_tickets WHERE order_id = $1 ORDER BY id", order_id)


def expected_ticket(seed, t) -> dict:
    url = f"{PUBLIC}/tickettailor/barcode/%s/attendee/{t['id']}/{t['barcode']}"
    return {
        "object": "issued_ticket", "id": f"it_{t['id']}", "barcode": t["barcode"], "barcode_url": url % "qr",
        "checked_in": "false", "created_at": unix(T0) + (10 if t["order_id"] == seed.orders[1]["id"] else 0),
        "custom_questions": [], "description": "Free ticket", "email": "john@example.com",
        "event_id": f"ev_{seed.event['id']}", "event_series_id": f"es_{seed.event['series_id']}",
        "full_name": "John Doe", "first_name": "John",
        "last_name": "Doe", "reference": t["barcode"], "reservation": None, "status": "valid",
        "ticket_type_id": f"tt_{seed.types[1]['id']}", "updated_at": unix(t["updated_at"]),
        "voided_at": None, "order_id": f"or_{t['order_id']}", "qr_code_url": url % "st",
    }


async def expected_order(conn, seed, index: int) -> dict:
    o = seed.orders[index]
    item = await conn.fetchrow("SELECT id FROM order_line_items WHERE order_id = $1", o["id"])
    quantity = index + 1
    return {
        "object": "order", "id": f"or_{o['id']}",
        "buyer_details": {"address": {"address_1": None, "address_2": None, "address_3": None,
                                      "postal_code": None},
                          "custom_questions": [], "email": "john@example.com", "name": "John Doe",
                          "phone": None},
        "created_at": unix(T0) + 10 * index, "currency": {"code": "gbp", "base_multiplier": 100},
        "event_summary": {"id": f"ev_{seed.event['id']}", "end_date": LONDON_END,
                          "name": "Hackney Downs 2020 Tulip Festival", "start_date": LONDON_START},
        "issued_tickets": [expected_ticket(seed, t) for t in await _tickets(conn, o["id"])],
        "line_items": [{"object": "line_item", "id": f"li_{item['id']}", "booking_fee": 0,
                        "description": "Free ticket", "type": "ticket", "total": 0, "value": 0,
                        "quantity": quantity}],
        "payment_method": {"external_id": None, "id": None, "instructions": None, "name": None,
                           "type": "no_cost"},
        "refund_amount": 0, "status": "completed", "status_message": None, "subtotal": 0, "tax": 0,
        "total": 0, "txn_id": o["txn_id"],
    }


async def test_ping(tt, seed):
    response = await tt.get(f"{BASE}/ping", headers=seed.auth)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"version": "pong"}
    assert response.headers["x-rate-limit-limit"] == "2000"
    assert response.headers["x-rate-limit-remaining"] == "1999"
    assert 1 <= int(response.headers["x-rate-limit-reset"]) <= 3600


async def test_list_events(tt, seed):
    response = await tt.get(f"{BASE}/events", headers=seed.auth)
    assert response.status_code == 200
    assert response.json() == {"data": [expected_event(seed)], "links": {"next": None, "previous": None}}


async def test_retrieve_event_is_the_bare_object(tt, seed):
    for form in (f"ev_{seed.event['id']}", str(seed.event["id"])):
        response = await tt.get(f"{BASE}/events/{form}", headers=seed.auth)
        assert response.status_code == 200
        assert response.json() == expected_event(seed)


async def test_list_orders_newest_first(tt, seed, conn):
    response = await tt.get(f"{BASE}/orders", headers=seed.auth)
    assert response.status_code == 200
    assert response.json() == {
        "data": [await expected_order(conn, seed, 1), await expected_order(conn, seed, 0)],
        "links": {"next": None, "previous": None},
    }


async def test_retrieve_order(tt, seed, conn):
    response = await tt.get(f"{BASE}/orders/or_{seed.orders[0]['id']}", headers=seed.auth)
    assert response.status_code == 200
    assert response.json() == await expected_order(conn, seed, 0)


async def test_list_and_retrieve_issued_tickets(tt, seed, conn):
    tickets = [t for o in reversed(seed.orders) for t in reversed(await _tickets(conn, o["id"]))]
    response = await tt.get(f"{BASE}/issued_tickets", headers=seed.auth)
    assert response.status_code == 200
    assert response.json() == {"data": [expected_ticket(seed, t) for t in tickets],
                               "links": {"next": None, "previous": None}}
    one = await tt.get(f"{BASE}/issued_tickets/it_{tickets[0]['id']}", headers=seed.auth)
    assert one.status_code == 200 and one.json() == expected_ticket(seed, tickets[0])


async def test_paid_refunded_order_and_checked_in_void_ticket(tt, seed, conn, checkout):
    order = await checkout.place(
        conn, seed.scope, order_input(seed.event["id"], seed.types[0]["id"], 2))
    first = (await _tickets(conn, order["id"]))[0]
    await checkout.check_in(conn, seed.scope, first["id"], "n1")
    await checkout.refund(conn, seed.scope, order["id"])
    body = (await tt.get(f"{BASE}/orders/{order['id']}", headers=seed.auth)).json()
    assert (body["status"], body["status_message"], body["refund_amount"]) == ("cancelled", "Refunded", 1600)
    assert (body["subtotal"], body["total"], body["tax"]) == (1600, 1600, 0)
    assert body["payment_method"] == {"external_id": None, "id": None, "instructions": None, "name": None,
                                      "type": "operator"}
    ticket = body["issued_tickets"][0]
    assert (ticket["status"], ticket["checked_in"]) == ("void", "true")
    assert isinstance(ticket["voided_at"], int)


async def test_event_status_mapping(tt, seed, conn):
    event_path = f"{BASE}/events/ev_{seed.event['id']}"
    await conn.execute("UPDATE ticket_types SET status = 'off_sale' WHERE event_id = $1", seed.event["id"])
    body = (await tt.get(event_path, headers=seed.auth)).json()
    assert (body["status"], body["tickets_available"]) == ("off_sale_temporarily", "false")
    assert {t["status"] for t in body["ticket_types"]} == {"unavailable"}
    await conn.execute("UPDATE events SET status = 'cancelled', visibility = 'unlisted', online = true"
                       " WHERE id = $1", seed.event["id"])
    body = (await tt.get(event_path, headers=seed.auth)).json()
    assert (body["status"], body["private"], body["online_event"]) == ("close_sales", "true", "true")


async def test_ticket_type_sold_out_and_hidden(tt, seed, conn):
    adult, free = seed.types
    await conn.execute("UPDATE ticket_types SET quantity = sold WHERE id = $1", free["id"])
    await conn.execute("UPDATE ticket_types SET hidden = true WHERE id = $1", adult["id"])
    body = (await tt.get(f"{BASE}/events/{seed.event['id']}", headers=seed.auth)).json()
    assert [(t["status"], t["quantity"]) for t in body["ticket_types"]] == [("hidden", 100), ("sold_out", 0)]
    assert body["tickets_available"] == "true"  # the hidden type still sells with its link


async def test_events_created_elsewhere_and_test_mode_isolation(tt, seed, conn, make_key):
    test_key = await make_key(seed.office, "tickettailor", mode="test")
    assert (await tt.get(f"{BASE}/events", headers=basic(test_key))).json()["data"] == []
    other = await make_event(conn, seed.scope, title="Second", timezone="America/New_York")
    data = (await tt.get(f"{BASE}/events", headers=seed.auth)).json()["data"]
    assert [e["id"] for e in data] == [f"ev_{other['id']}", f"ev_{seed.event['id']}"]
    assert data[0]["start"]["formatted"] == "Fri 1 May 2020 1:00 PM"
    assert data[0]["start"]["timezone"] == "-04:00"
