"""Times past the end of year 9999 once their offset (or their event's time zone) is applied:
refused by every dialect, and a stored one never takes Ticket Tailor's pages down."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.hostile.conftest import counts

LATE = ["9999-12-31T23:59:59-14:00", "9999-12-31T12:00:00Z", "9999-12-31T23:59:59-00:01"]


@pytest.mark.parametrize("moment", LATE)
async def test_every_dialect_refuses_times_out_of_range(http, keys, make_event, box_office, conn, moment):
    event = await make_event(box_office)
    smart, equa = keys["ticketsmart"], keys["equaticket"]
    types = (await http.get(f"{equa.base}/events/evt_{event['id']}/ticket-types", headers=equa.headers)).json()
    type_url = f"{equa.base}/events/evt_{event['id']}/ticket-types/{types['data'][0]['id']}"
    before = await counts(conn, box_office["id"])
    smart_writes = [
        ("POST", "/events", {"title": "t", "startsAt": moment}),
        ("POST", "/events", {"title": "t", "startsAt": "2031-01-01T00:00:00Z", "endsAt": moment}),
        ("PATCH", f"/events/evt_{event['id']}", {"startsAt": moment}),
        ("PATCH", f"/events/evt_{event['id']}", {"addTicketType": {"name": "a", "price": 0, "quantity": 1,
                                                                   "saleEndsAt": moment}}),
    ]
    for method, path, body in smart_writes:
        response = await http.request(method, smart.base + path, json=body, headers=smart.headers)
        assert response.status_code == 400 and response.json()["error"] == "Validation failed", response.text
    equa_writes = [
        ("POST", f"{equa.base}/events", {"title": "t", "starts_at": moment}),
        ("POST", f"{equa.base}/events", {"title": "t", "starts_at": "2031-01-01T00:00:00Z", "ends_at": moment}),
        ("PATCH", f"{equa.base}/events/evt_{event['id']}", {"ends_at": moment}),
        ("POST", f"{equa.base}/events/evt_{event['id']}/ticket-types",
         {"name": "a", "price": 0, "quantity_total": 1, "sale_ends_at": moment}),
        ("PATCH", type_url, {"sale_ends_at": moment}),
    ]
    for method, url, body in equa_writes:
        response = await http.request(method, url, json=body, headers=equa.headers)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "validation_error"
    assert await counts(conn, box_office["id"]) == before


async def test_the_last_accepted_instant_is_stored(http, keys):
    smart = keys["ticketsmart"]
    response = await http.post(f"{smart.base}/events", headers=smart.headers, json={
        "title": "t", "startsAt": "9999-12-30T23:59:59Z", "timezone": "Pacific/Kiritimati"})
    assert response.status_code == 201, response.text


async def test_a_stored_far_future_event_in_a_far_east_zone_never_takes_a_list_down(
        http, keys, make_event, box_office, conn):
    event = await make_event(box_office)
    # a row written before the rule (core refuses it now): the local date would be year 10000
    await conn.execute("UPDATE events SET starts_at = $2, ends_at = $2, timezone = 'Pacific/Kiritimati' "
                       "WHERE id = $1", event["id"], datetime(9999, 12, 31, 20, tzinfo=UTC))
    tailor = keys["tickettailor"]
    listed = await http.get(f"{tailor.base}/events", headers=tailor.headers)
    assert listed.status_code == 200, listed.text
    one = await http.get(f"{tailor.base}/events/ev_{event['id']}", headers=tailor.headers)
    assert one.status_code == 200, one.text
    assert one.json()["start"]["unix"] == int(datetime(9999, 12, 31, 20, tzinfo=UTC).timestamp())
    assert one.json()["start"]["timezone"] == "+00:00"  # shown in UTC: no local date exists


@pytest.mark.parametrize("path", ["orders", "issued_tickets"])
@pytest.mark.parametrize("name", ["created_at", "created_at.gte", "created_at.lte", "created_at.gt", "created_at.lt"])
async def test_ticket_tailor_takes_the_documented_maximum_timestamp(http, keys, path, name):
    tailor = keys["tickettailor"]
    response = await http.get(f"{tailor.base}/{path}?{name}=253402300799", headers=tailor.headers)
    assert response.status_code == 200, response.text
    if name in ("created_at", "created_at.gte", "created_at.gt"):
        assert response.json()["data"] == []
