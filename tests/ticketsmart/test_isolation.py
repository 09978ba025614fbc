"""A key sees only its own box office, and a test key only test data (and the reverse)."""

from __future__ import annotations

from core.events import ticket_types_for
from tests.ticketsmart.conftest import BASE
from tests.ticketsmart.helpers import NOT_FOUND


async def _all_paths(client, headers, ref: str) -> list[tuple[int, object]]:
    out = []
    for path in ("", "/ticket-types", "/availability"):
        r = await client.get(f"{BASE}/events/{ref}{path}", headers=headers)
        out.append((r.status_code, r.json()))
    r = await client.patch(f"{BASE}/events/{ref}", headers=headers, json={"title": "Hijacked"})
    out.append((r.status_code, r.json()))
    return out


async def test_other_box_office_is_invisible(client, box_office, make_box_office, make_key, make_event, conn):
    mine = await make_event(box_office, slug="shared-slug")
    other = await make_box_office()
    theirs = {"x-api-key": await make_key(other, "ticketsmart")}
    for ref in (f"evt_{mine['id']}", str(mine["id"]), "shared-slug"):
        assert await _all_paths(client, theirs, ref) == [(404, NOT_FOUND)] * 4
    assert (await client.get(f"{BASE}/events", headers=theirs)).json()["events"] == []
    assert await conn.fetchval("SELECT title FROM events WHERE id = $1", mine["id"]) == "Comedy Night"
    # the same slug is free in another box office
    r = await client.post(f"{BASE}/events", headers=theirs,
                          json={"title": "T", "startsAt": "2031-01-01T00:00:00Z", "slug": "shared-slug"})
    assert r.status_code == 201


async def test_cannot_remove_other_box_offices_ticket_type(client, box_office, make_box_office, make_key,
                                                          make_event, conn):
    victim = await make_event(box_office)
    [tt] = await ticket_types_for(conn, [victim["id"]])
    other = await make_box_office()
    attacker = await make_event(other)
    headers = {"x-api-key": await make_key(other, "ticketsmart")}
    r = await client.patch(f"{BASE}/events/{attacker['id']}", headers=headers,
                           json={"removeTicketTypeId": f"tkt_{tt['id']}"})
    assert (r.status_code, r.json()) == (404, {"error": "Ticket type not found"})
    assert len(await ticket_types_for(conn, [victim["id"]])) == 1


async def test_test_key_sees_only_test_data(client, box_office, make_key, make_event):
    live_key = {"x-api-key": await make_key(box_office, "ticketsmart", mode="live")}
    test_key = {"x-api-key": await make_key(box_office, "ticketsmart", mode="test")}
    assert test_key["x-api-key"].startswith("ts_sk_test_")
    live = await make_event(box_office, livemode=True)
    r = await client.post(f"{BASE}/events", headers=test_key,
                          json={"title": "Comedy Night", "startsAt": "2031-01-01T00:00:00Z"})
    assert r.status_code == 201
    test_id = r.json()["event"]["id"]
    assert r.json()["event"]["slug"] == "comedy-night"  # slugs are per mode too
    listed = (await client.get(f"{BASE}/events", headers=test_key)).json()["events"]
    assert [e["id"] for e in listed] == [test_id]
    assert [e["id"] for e in (await client.get(f"{BASE}/events", headers=live_key)).json()["events"]] == [
        f"evt_{live['id']}"]
    assert await _all_paths(client, test_key, f"evt_{live['id']}") == [(404, NOT_FOUND)] * 4
    assert await _all_paths(client, live_key, test_id) == [(404, NOT_FOUND)] * 4
