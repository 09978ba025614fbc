"""Golden wire tests of every TicketSmart endpoint: request in, exact status, headers and JSON out."""

from __future__ import annotations

import httpx

from core.events import ticket_types_for
from tests.ticketsmart.conftest import BASE
from tests.ticketsmart.helpers import assert_cors, event, ticket_type

CREATE = {
    "title": "Comedy Night", "startsAt": "2031-09-01T19:00:00Z", "timezone": "America/New_York",
    "venueName": "Main Room", "city": "New York", "country": "US", "currency": "USD",
    "visibility": "PUBLIC", "category": "COMEDY",
    "ticketTypes": [{"name": "General Admission", "price": 2500, "quantity": 120}],
}


async def test_create_documented_example(client, auth, box_office, conn):
    r = await client.post(f"{BASE}/events", headers=auth, json=CREATE)
    assert r.status_code == 201
    assert r.headers["content-type"] == "application/json"
    assert_cors(r)
    body = r.json()["event"]
    number = int(body["id"].removeprefix("evt_"))
    [row] = await ticket_types_for(conn, [number])
    assert body == event(body, box_office["slug"], timezone="America/New_York", venueName="Main Room",
                         city="New York", country="US", category="COMEDY",
                         ticketTypes=[ticket_type(row["id"])])
    assert await conn.fetchval("SELECT status FROM events WHERE id = $1", number) == "draft"


async def test_create_minimal_defaults_and_all_fields(client, auth, box_office):
    r = await client.post(f"{BASE}/events", headers=auth,
                          json={"title": "Comedy Night", "startsAt": "2031-09-01T21:00:00+02:00"})
    assert r.status_code == 201
    body = r.json()["event"]
    assert body == event(body, box_office["slug"])
    full = {**CREATE, "slug": "my-show", "description": "Fun", "endsAt": "2031-09-01T22:00:00Z",
            "doorsOpen": "2031-09-01T18:30:00Z", "address": "1 Main St", "postalCode": "10001",
            "currency": "eur", "visibility": "PRIVATE", "category": "THEATER", "ticketTypes": [
                {"name": "Free", "price": 0, "quantity": 10, "description": "d", "hidden": True,
                 "saleStartsAt": "2020-01-01T00:00:00Z", "saleEndsAt": "2031-09-01T00:00:00Z",
                 "minPerOrder": 2, "maxPerOrder": 4, "sortOrder": 3}]}
    r = await client.post(f"{BASE}/events", headers=auth, json=full)
    assert r.status_code == 201
    body = r.json()["event"]
    assert (body["slug"], body["currency"], body["visibility"], body["category"]) == (
        "my-show", "EUR", "PRIVATE", "THEATER")
    assert (body["endsAt"], body["doorsOpen"]) == ("2031-09-01T22:00:00.000Z", "2031-09-01T18:30:00.000Z")
    tt = body["ticketTypes"][0]
    keys = ("price", "hidden", "minPerOrder", "maxPerOrder", "sortOrder", "saleEndsAt")
    assert {k: tt[k] for k in keys} == {
        "price": 0, "hidden": True, "minPerOrder": 2, "maxPerOrder": 4, "sortOrder": 3,
        "saleEndsAt": "2031-09-01T00:00:00.000Z"}


async def test_get_by_id_and_by_slug(client, auth, box_office, make_event):
    row = await make_event(box_office)
    by_id = await client.get(f"{BASE}/events/evt_{row['id']}", headers=auth)
    by_slug = await client.get(f"{BASE}/events/{row['slug']}", headers=auth)
    bare = await client.get(f"{BASE}/events/{row['id']}", headers=auth)
    assert by_id.status_code == by_slug.status_code == bare.status_code == 200
    assert by_id.json() == by_slug.json() == bare.json()
    body = by_id.json()["event"]
    assert body["id"] == f"evt_{row['id']}"
    assert body["publicUrl"] == f"http://localhost:8000/events/{box_office['slug']}/comedy-night"
    assert [t["name"] for t in body["ticketTypes"]] == ["General Admission"]
    assert_cors(by_id)


async def test_a_reference_that_reads_as_an_id_and_a_slug(client, auth, box_office, make_event):
    """An id form no slug can take is read by id, a slug that is no id by slug; a bare number may be
    either, and an id that names an event wins over another event's slug that reads the same."""
    first = await make_event(box_office, slug="first-night")
    numbered = await make_event(box_office, title="Numbered", slug=str(first["id"]))
    unused = first["id"] + numbered["id"] + 1000  # no event's id
    digits = await make_event(box_office, title="Digits", slug=str(unused))

    async def event_id(ref: str) -> str | None:
        r = await client.get(f"{BASE}/events/{ref}", headers=auth)
        return r.json()["event"]["id"] if r.status_code == 200 else None

    assert await event_id(str(first["id"])) == f"evt_{first['id']}"  # the id wins over the slug
    assert await event_id(str(unused)) == f"evt_{digits['id']}"  # no such id: the slug
    assert await event_id(f"evt_{unused}") is None  # an id form only: never another event's slug
    assert await event_id(f"evt_{numbered['id']}") == f"evt_{numbered['id']}"
    assert await event_id("first-night") == f"evt_{first['id']}"
    assert await event_id("no-such-night") is None


async def test_list_shape(client, auth, box_office, make_event):
    first = await make_event(box_office)
    second = await make_event(box_office, title="Second")
    r = await client.get(f"{BASE}/events", headers=auth)
    assert r.status_code == 200
    assert_cors(r)
    data = r.json()
    assert [e["id"] for e in data["events"]] == [f"evt_{second['id']}", f"evt_{first['id']}"]
    assert data["pagination"] == {"page": 1, "limit": 20, "total": 2, "totalPages": 1, "hasMore": False}
    assert data["events"][0]["ticketTypes"][0]["price"] == 2500


async def test_patch_fields_slug_and_add_ticket_type(client, auth, box_office, make_event):
    row = await make_event(box_office)
    r = await client.patch(f"{BASE}/events/evt_{row['id']}", headers=auth, json={
        "title": "Late Show", "slug": "late-show", "endsAt": "2031-09-01T23:00:00Z",
        "addTicketType": {"name": "VIP", "price": 4500, "quantity": 20}})
    assert r.status_code == 200
    assert_cors(r)
    body = r.json()["event"]
    assert (body["title"], body["slug"], body["endsAt"]) == (
        "Late Show", "late-show", "2031-09-01T23:00:00.000Z")
    assert body["publicUrl"].endswith("/late-show")
    assert [(t["name"], t["price"], t["quantity"]) for t in body["ticketTypes"]] == [
        ("General Admission", 2500, 120), ("VIP", 4500, 20)]
    assert (await client.get(f"{BASE}/events/late-show", headers=auth)).json()["event"] == body


async def test_patch_clears_nullable_field_and_empty_patch_is_noop(client, auth, box_office, make_event):
    row = await make_event(box_office, city="Paris")
    r = await client.patch(f"{BASE}/events/{row['slug']}", headers=auth, json={"city": None})
    assert r.status_code == 200 and r.json()["event"]["city"] is None
    r2 = await client.patch(f"{BASE}/events/{row['slug']}", headers=auth, json={})
    assert r2.status_code == 200 and r2.json() == r.json()


async def test_remove_unsold_ticket_type(client, auth, box_office, make_event, conn):
    row = await make_event(box_office)
    [tt] = await ticket_types_for(conn, [row["id"]])
    r = await client.patch(f"{BASE}/events/{row['id']}", headers=auth,
                           json={"removeTicketTypeId": f"tkt_{tt['id']}"})
    assert r.status_code == 200
    assert r.json()["event"]["ticketTypes"] == []


async def test_remove_sold_ticket_type_is_422_and_writes_nothing(client, auth, box_office, make_event, conn,
                                                                 sell):
    row = await make_event(box_office)
    [tt] = await ticket_types_for(conn, [row["id"]])
    await sell(box_office, row["id"], tt["id"])
    r = await client.patch(f"{BASE}/events/{row['id']}", headers=auth,
                           json={"title": "Renamed", "removeTicketTypeId": f"tkt_{tt['id']}"})
    assert r.status_code == 422
    assert r.json() == {"error": "Cannot remove a ticket type that has sold tickets"}
    assert_cors(r)
    assert await conn.fetchval("SELECT title FROM events WHERE id = $1", row["id"]) == "Comedy Night"


async def test_remove_ticket_type_of_another_event_is_404(client, auth, box_office, make_event, conn):
    mine = await make_event(box_office)
    other = await make_event(box_office, title="Other")
    [tt] = await ticket_types_for(conn, [other["id"]])
    r = await client.patch(f"{BASE}/events/{mine['id']}", headers=auth,
                           json={"removeTicketTypeId": f"tkt_{tt['id']}"})
    assert (r.status_code, r.json()) == (404, {"error": "Ticket type not found"})
    assert len(await ticket_types_for(conn, [other["id"]])) == 1


async def test_ticket_types_endpoint(client, auth, box_office, make_event, conn, sell):
    row = await make_event(box_office, ticket_types=[
        {"name": "GA", "price": 2500, "quantity": 3},
        {"name": "Secret", "price": 0, "quantity": 5, "hidden": True,
         "sale_ends_at": "2020-01-01T00:00:00Z"}])
    ga, secret = await ticket_types_for(conn, [row["id"]])
    await sell(box_office, row["id"], ga["id"], 3)
    r = await client.get(f"{BASE}/events/{row['slug']}/ticket-types", headers=auth)
    assert r.status_code == 200
    assert_cors(r)
    assert r.json() == {"eventId": f"evt_{row['id']}", "ticketTypes": [
        ticket_type(ga["id"], "GA", 2500, 3, sold=3, available=0, soldOut=True, onSale=False),
        ticket_type(secret["id"], "Secret", 0, 5, hidden=True, onSale=False,
                    saleEndsAt="2020-01-01T00:00:00.000Z"),
    ]}


async def test_availability_endpoint(client, auth, box_office, make_event, conn, sell):
    row = await make_event(box_office, ticket_types=[
        {"name": "GA", "price": 2500, "quantity": 3}, {"name": "Free", "price": 0, "quantity": 2},
        {"name": "Secret", "price": 0, "quantity": 5, "hidden": True}])
    ga, free, _secret = await ticket_types_for(conn, [row["id"]])
    await sell(box_office, row["id"], ga["id"], 3)
    await conn.execute("UPDATE events SET status = 'published' WHERE id = $1", row["id"])
    r = await client.get(f"{BASE}/events/evt_{row['id']}/availability", headers=auth)
    assert r.status_code == 200
    assert_cors(r)
    assert r.json() == {
        "eventId": f"evt_{row['id']}", "status": "PUBLISHED", "currency": "USD", "onSale": True,
        "soldOut": False, "totalQuantity": 5, "totalSold": 3, "totalAvailable": 2,
        "ticketTypes": [
            {"id": f"tkt_{ga['id']}", "name": "GA", "price": 2500, "available": 0, "soldOut": True},
            {"id": f"tkt_{free['id']}", "name": "Free", "price": 0, "available": 2, "soldOut": False},
        ],
    }
    await sell(box_office, row["id"], free["id"], 2)
    after = (await client.get(f"{BASE}/events/evt_{row['id']}/availability", headers=auth)).json()
    assert (after["onSale"], after["soldOut"], after["totalAvailable"]) == (False, True, 0)


async def test_draft_event_is_not_on_sale(client, auth, box_office, make_event):
    row = await make_event(box_office)
    r = await client.get(f"{BASE}/events/{row['id']}/availability", headers=auth)
    assert (r.json()["status"], r.json()["onSale"]) == ("DRAFT", False)


async def test_same_event_in_core_for_other_dialects(client, auth, box_office, conn):
    r = await client.post(f"{BASE}/events", headers=auth, json=CREATE)
    number = int(r.json()["event"]["id"].removeprefix("evt_"))
    row = await conn.fetchrow("SELECT * FROM events WHERE id = $1", number)
    assert (row["box_office_id"], row["livemode"], row["category"], row["visibility"]) == (
        box_office["id"], True, "comedy", "public")
    # any dialect's id form reaches the same event
    r = await client.get(f"{BASE}/events/ev_{number}", headers=auth)
    assert r.json()["event"]["id"] == f"evt_{number}"


async def test_vendor_bare_paths_on_a_host_name(app_with, box_office, make_key):
    """Served on the vendor's own paths (https://HOST/api/v1/...) when the Host is configured."""
    app = app_with("ticketsmart", settings={"ticketsmart": {"hosts": ("ticketsmart.example",)}})
    headers = {"x-api-key": await make_key(box_office, "ticketsmart")}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ticketsmart.example") as vendor:
        r = await vendor.post("/api/v1/events", headers=headers,
                              json={"title": "Bare", "startsAt": "2031-01-01T00:00:00Z"})
        assert r.status_code == 201
        assert (await vendor.get("/api/v1/events/bare", headers=headers)).json()["event"]["title"] == "Bare"
        assert_cors(await vendor.get("/api/v1/nope"))
