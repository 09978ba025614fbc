"""Form-encoded writes: series, their ticket types and occurrences, check-ins; refusals write nothing."""

from __future__ import annotations

import httpx
import pytest

from core.models import Scope
from tests.factories import event_with_type, order_input
from tests.tickettailor.conftest import BASE, basic

FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
async def key(box_office, make_key) -> dict[str, str]:
    return basic(await make_key(box_office, "tickettailor"))


async def _tickets(conn, checkout, box_office, count: int = 1) -> list[int]:
    scope = Scope(box_office["id"], True)
    event_id, type_id = await event_with_type(conn, scope)
    order = await checkout.place(conn, scope, order_input(event_id, type_id, count))
    return [r["id"] for r in await conn.fetch("SELECT id FROM issued_tickets WHERE order_id = $1 ORDER BY id",
                                              order["id"])]


async def test_a_series_built_through_form_posts(tt, key, conn):
    made = await tt.post(f"{BASE}/event_series", headers={**key, **FORM}, content=(
        "name=Salsa+Nights&venue=Rio+Hall&postal_code=N1+9GU&currency=gbp&timezone=Europe%2FLondon"
        "&tickets_available_at=1900000000&tickets_available_at_message=On+sale+soon"))
    assert made.status_code == 200, made.text
    series = made.json()
    assert (series["name"], series["venue"], series["currency"], series["status"], series["total_occurrences"]) == (
        "Salsa Nights", {"name": "Rio Hall", "postal_code": "N1 9GU"}, "gbp", "draft", 0)
    typed = await tt.post(f"{BASE}/event_series/{series['id']}/ticket_types", headers=key,
                          data={"name": "Dancer", "price": "1200", "quantity": "80", "max_per_order": "6"})
    assert typed.status_code == 200, typed.text
    assert {k: typed.json()[k] for k in ("object", "name", "price", "quantity", "max_per_order", "status")} == {
        "object": "ticket_type", "name": "Dancer", "price": 1200, "quantity": 80, "max_per_order": 6,
        "status": "on_sale"}
    added = await tt.post(f"{BASE}/event_series/{series['id']}/events", headers=key, data={
        "start_date": "2031-07-04", "start_time": "20:00:00", "end_date": "2031-07-04", "end_time": "23:30:00",
        "unavailable": "true", "unavailable_status": "Private party"})
    assert added.status_code == 200, added.text
    occurrence = added.json()
    assert occurrence["start"]["iso"] == "2031-07-04T20:00:00+01:00"  # the series' zone (BST)
    assert occurrence["end"]["time"] == "23:30"
    assert (occurrence["event_series_id"], occurrence["unavailable"], occurrence["unavailable_status"]) == (
        series["id"], "true", "Private party")
    assert [t["name"] for t in occurrence["ticket_types"]] == ["Dancer"]
    listed = (await tt.get(f"{BASE}/event_series/{series['id']}/events", headers=key)).json()
    assert [e["id"] for e in listed["data"]] == [occurrence["id"]]
    again = (await tt.get(f"{BASE}/event_series/{series['id']}", headers=key)).json()
    assert again["total_occurrences"] == 1 and [t["name"] for t in again["default_ticket_types"]] == ["Dancer"]


async def test_a_json_body_is_read_too(tt, key):
    made = await tt.post(f"{BASE}/event_series", headers=key, json={"name": "Poetry", "waitlist_active": "true",
                                                                    "max_tickets_sold_per_occurrence": 40})
    assert made.status_code == 200, made.text
    assert made.json()["name"] == "Poetry"
    # each value of the JSON type its field's schema says
    for wrong, field in (({"name": 5}, "name"), ({"name": "X", "waitlist_active": True}, "waitlist_active"),
                         ({"name": "X", "venue": None}, "venue"),
                         ({"name": "X", "max_tickets_sold_per_occurrence": "40"}, "max_tickets_sold_per_occurrence")):
        refused = await tt.post(f"{BASE}/event_series", headers=key, json=wrong)
        assert refused.status_code == 422, wrong
        assert [e["field"] for e in refused.json()["errors"]] == [field]


@pytest.mark.parametrize(("fields", "field"), [
    ({}, "name"),
    ({"name": "X", "colour": "red"}, "colour"),
    ({"name": "X", "currency": "pounds"}, "currency"),
    ({"name": "X", "tickets_unavailable_at_message": "Closed"}, "tickets_unavailable_at_message"),
    ({"name": "X", "tickets_available_at": "tomorrow"}, "tickets_available_at"),
    ({"name": "X", "venue": "v" * 600}, "venue"),
])
async def test_series_validation_errors_name_the_wire_field(tt, key, conn, box_office, fields, field):
    refused = await tt.post(f"{BASE}/event_series", headers=key, data=fields)
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert (body["status"], body["error_code"]) == (422, "Validation error")
    assert field in [e["field"] for e in body["errors"]] and all(e["messages"] for e in body["errors"])
    assert await conn.fetchval("SELECT count(*) FROM event_series WHERE box_office_id = $1", box_office["id"]) == 0


async def test_occurrence_and_ticket_type_refusals(tt, key):
    series = (await tt.post(f"{BASE}/event_series", headers=key, data={"name": "Refusals"})).json()["id"]
    cases = [
        ("events", {"start_date": "2031-13-01", "start_time": "20:00"}, "start_date"),
        ("events", {"start_date": "2031-07-01", "start_time": "8pm"}, "start_time"),
        ("events", {"start_time": "20:00"}, "start_date"),
        ("events", {"start_date": "2031-07-01", "start_time": "20:00", "end_date": "2031-06-01",
                    "end_time": "20:00"}, "end_date"),
        ("ticket_types", {"name": "A", "price": "1", "quantity": "1", "max_per_order": "501"}, "max_per_order"),
        ("ticket_types", {"name": "A", "price": "-1", "quantity": "1"}, "price"),
        ("ticket_types", {"name": "A", "quantity": "1"}, "price"),
        ("ticket_types", {"name": "A", "price": "1", "quantity": "1", "status": "maybe"}, "status"),
    ]
    for path, fields, field in cases:
        refused = await tt.post(f"{BASE}/event_series/{series}/{path}", headers=key, data=fields)
        assert refused.status_code == 422, (fields, refused.text)
        assert field in [e["field"] for e in refused.json()["errors"]], (fields, refused.json())
    detail = (await tt.get(f"{BASE}/event_series/{series}", headers=key)).json()
    assert detail["total_occurrences"] == 0 and detail["default_ticket_types"] == []
    missing = await tt.post(f"{BASE}/event_series/es_999999999/events", headers=key,
                            data={"start_date": "2031-07-01", "start_time": "20:00"})
    assert missing.status_code == 404


@pytest.mark.parametrize(("headers", "content"), [
    ({"content-type": "multipart/form-data; boundary=x"}, b"--x--"),
    ({"content-type": "text/plain"}, b"name=X"),
    (FORM, b"name=X&name=Y"),
    (FORM, b"name=\xff"),
    ({"content-type": "application/json"}, b"[1]"),
])
async def test_unreadable_bodies_are_400(tt, key, headers, content):
    refused = await tt.post(f"{BASE}/event_series", headers={**key, **headers}, content=content)
    assert refused.status_code == 400 and refused.json()["error_code"] == "Bad Request"


async def test_writes_need_the_write_scope(tt, box_office, make_key):
    reader = basic(await make_key(box_office, "tickettailor", scopes=["read"]))
    refused = await tt.post(f"{BASE}/event_series", headers=reader, data={"name": "X"})
    assert refused.status_code == 403 and "write" in refused.json()["message"]
    assert (await tt.get(f"{BASE}/event_series", headers=reader)).status_code == 200
    assert (await tt.post(f"{BASE}/event_series", data={"name": "X"})).status_code == 401


async def test_check_ins_in_and_out(tt, key, conn, checkout, box_office):
    [ticket] = await _tickets(conn, checkout, box_office)
    made = await tt.post(f"{BASE}/check_ins", headers=key,
                         data={"issued_ticket_id": f"it_{ticket}", "quantity": "1", "check_in_at": "1900000000"})
    assert made.status_code == 200, made.text
    body = made.json()
    event_id, series_id = await conn.fetchrow("SELECT e.id, e.series_id FROM events e JOIN issued_tickets t"
                                              " ON t.event_id = e.id WHERE t.id = $1", ticket)
    row = await conn.fetchrow("SELECT * FROM check_ins WHERE id = $1", int(body["id"][4:]))
    assert body == {"id": f"chk_{row['id']}", "object": "check_in", "issued_ticket_id": f"it_{ticket}",
                    "event_id": f"ev_{event_id}", "event_series_id": f"es_{series_id}", "quantity": 1,
                    "check_in_at": 1900000000, "created_at": int(row["created_at"].timestamp())}
    shown = (await tt.get(f"{BASE}/issued_tickets/it_{ticket}", headers=key)).json()
    assert shown["checked_in"] == "true"
    out = await tt.post(f"{BASE}/check_ins", headers=key, data={"issued_ticket_id": str(ticket), "quantity": "-1"})
    assert out.status_code == 200 and out.json()["quantity"] == -1
    assert (await tt.get(f"{BASE}/issued_tickets/it_{ticket}", headers=key)).json()["checked_in"] == "false"
    too_far = await tt.post(f"{BASE}/check_ins", headers=key, data={"issued_ticket_id": str(ticket), "quantity": "-1"})
    assert too_far.status_code == 422 and too_far.json()["errors"][0]["field"] == "quantity"
    assert await conn.fetchval("SELECT count(*) FROM check_ins WHERE ticket_id = $1", ticket) == 2


@pytest.mark.parametrize(("fields", "status"), [
    ({"quantity": "1"}, 422),
    ({"issued_ticket_id": "it_1"}, 422),
    ({"issued_ticket_id": "ticket", "quantity": "1"}, 422),
    ({"issued_ticket_id": "it_999999999", "quantity": "1"}, 404),
    ({"issued_ticket_id": "TICKET", "quantity": "0"}, 422),
    ({"issued_ticket_id": "TICKET", "quantity": "two"}, 422),
    ({"issued_ticket_id": "TICKET", "quantity": "1", "check_in_at": "-5"}, 422),
    ({"issued_ticket_id": "TICKET", "quantity": "1", "gate": "north"}, 422),
])
async def test_check_in_refusals_write_nothing(tt, key, conn, checkout, box_office, fields, status):
    [ticket] = await _tickets(conn, checkout, box_office)
    data = {k: v.replace("TICKET", f"it_{ticket}") for k, v in fields.items()}
    refused = await tt.post(f"{BASE}/check_ins", headers=key, data=data)
    assert refused.status_code == status, refused.text
    assert await conn.fetchval("SELECT count(*) FROM check_ins WHERE ticket_id = $1", ticket) == 0


async def test_a_void_or_foreign_ticket_is_refused(tt, key, conn, checkout, box_office, make_box_office):
    [ticket] = await _tickets(conn, checkout, box_office)
    other = await make_box_office()
    [foreign] = await _tickets(conn, checkout, other)
    assert (await tt.post(f"{BASE}/check_ins", headers=key,
                          data={"issued_ticket_id": f"it_{foreign}", "quantity": "1"})).status_code == 404
    await conn.execute("UPDATE issued_tickets SET status = 'void' WHERE id = $1", ticket)
    void = await tt.post(f"{BASE}/check_ins", headers=key, data={"issued_ticket_id": f"it_{ticket}", "quantity": "1"})
    assert void.status_code == 400 and void.json()["message"] == "A void ticket cannot be checked in"


async def test_every_check_in_from_any_path_across_pages(app_with, key, conn, checkout, box_office, make_key):
    """Check-ins made here and by the operator (the CLI and admin API run checkout.check_in) are
    one list; Equaticket's checked-in attendees are the same tickets."""
    tickets = await _tickets(conn, checkout, box_office, 5)
    app = app_with("tickettailor", "equaticket")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        for ticket in tickets[:3]:
            made = await client.post(f"{BASE}/check_ins", headers=key,
                                     data={"issued_ticket_id": f"it_{ticket}", "quantity": "1"})
            assert made.status_code == 200, made.text
        for ticket in tickets[3:]:
            await checkout.check_in(conn, Scope(box_office["id"], True), ticket, f"door-{ticket}")
        seen, url, pages = [], f"{BASE}/check_ins?limit=2", 0
        while url:
            body = (await client.get(url, headers=key)).json()
            seen += [c["issued_ticket_id"] for c in body["data"]]
            pages += 1
            url = BASE + body["links"]["next"] if body["links"]["next"] else None
        assert sorted(seen) == sorted(f"it_{t}" for t in tickets) and len(set(seen)) == 5 and pages == 3
        eq = {"authorization": f"Bearer {await make_key(box_office, 'equaticket')}"}
        attendees = await client.get("/equaticket/api/v1/attendees?checked_in=true", headers=eq)
        assert attendees.status_code == 200, attendees.text
        assert len(attendees.json()["data"]) == 5
