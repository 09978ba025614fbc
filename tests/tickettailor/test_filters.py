"""Filters on orders and issued tickets; a malformed filter is a 400 in Ticket Tailor's format."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import series as core_series
from core.events import cancel_event, ticket_types_for
from core.models import Scope, parse
from core.series import OccurrenceCreate, SeriesCreate
from core.tickets import void_ticket
from tests.tickettailor.conftest import BASE, START, T0, basic, make_event, order_input, unix

ORDER_TIME_FILTERS = [
    ("created_at", 0, [0]),
    ("created_at", 10, [1]),
    ("created_at", 5, []),
    ("created_at.gt", 0, [1]),
    ("created_at.gte", 0, [1, 0]),
    ("created_at.lt", 10, [0]),
    ("created_at.lte", 10, [1, 0]),
]


def ids(body) -> list[str]:
    return [o["id"] for o in body["data"]]


@pytest.mark.parametrize(("name", "delta", "expected"), ORDER_TIME_FILTERS)
async def test_order_created_at_filters(tt, seed, name, delta, expected):
    response = await tt.get(f"{BASE}/orders?{name}={unix(T0) + delta}", headers=seed.auth)
    assert response.status_code == 200
    assert ids(response.json()) == [f"or_{seed.orders[i]['id']}" for i in expected]


async def test_order_created_at_range(tt, seed):
    body = (await tt.get(f"{BASE}/orders?created_at.gt={unix(T0) - 1}&created_at.lt={unix(T0) + 1}",
                         headers=seed.auth)).json()
    assert ids(body) == [f"or_{seed.orders[0]['id']}"]


@pytest.fixture
async def tickets(seed, conn, checkout):
    """A second event with one order, and the first order's tickets split: one void, one checked in."""
    other = await make_event(conn, seed.scope, title="Other")
    other_type = (await conn.fetchval("SELECT id FROM ticket_types WHERE event_id = $1 LIMIT 1", other["id"]))
    other_order = await checkout.place(
        conn, seed.scope, order_input(other["id"], other_type, 1, email="Jane@Example.com"))
    second = await conn.fetch("SELECT * FROM issued_tickets WHERE order_id = $1 ORDER BY id",
                              seed.orders[1]["id"])
    await void_ticket(conn, seed.scope, second[0]["id"])
    return {"other": other, "other_order": other_order, "second": second}


async def _ticket_ids(tt, seed, query: str) -> list[str]:
    response = await tt.get(f"{BASE}/issued_tickets?{query}", headers=seed.auth)
    assert response.status_code == 200, response.text
    return ids(response.json())


async def test_issued_ticket_filters(tt, seed, conn, tickets):
    event_id, other_id = seed.event["id"], tickets["other"]["id"]
    first = await conn.fetchval("SELECT id FROM issued_tickets WHERE order_id = $1", seed.orders[0]["id"])
    second = [t["id"] for t in tickets["second"]]
    assert await _ticket_ids(tt, seed, f"event_id=ev_{event_id}") == [f"it_{i}" for i in [*second[::-1], first]]
    assert await _ticket_ids(tt, seed, f"event_id={event_id}") == [f"it_{i}" for i in [*second[::-1], first]]
    assert len(await _ticket_ids(tt, seed, f"event_id=ev_{other_id}")) == 1
    assert await _ticket_ids(tt, seed, f"order_id=or_{seed.orders[0]['id']}") == [f"it_{first}"]
    assert await _ticket_ids(tt, seed, f"order_id={seed.orders[0]['id']}") == [f"it_{first}"]
    assert await _ticket_ids(tt, seed, "status=void") == [f"it_{second[0]}"]
    assert len(await _ticket_ids(tt, seed, "status=valid")) == 3
    assert len(await _ticket_ids(tt, seed, "email=jane@example.com")) == 1
    assert await _ticket_ids(tt, seed, f"created_at={unix(T0)}") == [f"it_{first}"]
    barcode = tickets["second"][1]["barcode"]
    assert await _ticket_ids(tt, seed, f"event_id=ev_{event_id}&barcode={barcode}") == [f"it_{second[1]}"]
    assert await _ticket_ids(tt, seed, f"event_id=ev_{other_id}&barcode={barcode}") == []
    assert await _ticket_ids(tt, seed, "event_id=ev_999999999") == []


@pytest.mark.parametrize(("path", "query"), [
    ("orders", "created_at=abc"),
    ("orders", "created_at.gt=1.5"),
    ("orders", "created_at.gte=-1"),
    ("orders", "created_at.lt=99999999999999999999999999"),
    ("orders", "created_at.lte="),
    ("orders", "created_at=%00"),
    ("orders", "created_at=%D9%A1"),
    ("issued_tickets", "barcode=ABC"),
    ("issued_tickets", "status=checked_in"),
    ("issued_tickets", "event_id=or_1"),
    ("issued_tickets", "event_id=abc"),
    ("issued_tickets", "event_id=99999999999999999999999"),
    ("issued_tickets", "order_id=ev_1"),
    ("issued_tickets", "order_id=0"),
    ("issued_tickets", "email=a%00b"),
    ("issued_tickets", "email=" + "a" * 400),
    ("issued_tickets", "created_at.gt=x"),
])
async def test_malformed_filters_are_400(tt, seed, path, query):
    response = await tt.get(f"{BASE}/{path}?{query}", headers=seed.auth)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status"] == 400 and body["error_code"] == "Bad Request" and body["message"]
    assert "errors" not in body


async def test_unknown_query_parameters_are_refused(tt, seed):
    # issue 17: a filter is applied or refused, never ignored
    for query in ("foo=bar&expand=all", "event=ev_1", "state=completed"):
        response = await tt.get(f"{BASE}/orders?{query}", headers=seed.auth)
        assert response.status_code == 400, query
        assert response.json()["error_code"] == "Bad Request"
    assert (await tt.get(f"{BASE}/events/ev_1?expand=all", headers=seed.auth)).status_code == 400


# --- the filters the live API's clients send beyond the reference page --------------------------

@pytest.fixture
async def dated(conn, box_office, make_key):
    """Four events a day apart from START: a one-off draft, two occurrences of one series
    (published; the second with every ticket type off sale), and a cancelled one."""
    scope = Scope(box_office["id"], True)
    draft = await make_event(conn, scope, title="Draft", starts_at=START, ends_at=START + timedelta(hours=1))
    await conn.execute("UPDATE events SET status = 'draft' WHERE id = $1", draft["id"])
    made = await core_series.create_series(conn, scope, parse(SeriesCreate, {
        "name": "Run", "ticket_types": [{"name": "Free", "quantity": 5}]}))
    runs = []
    for day in (1, 2):
        starts = START + timedelta(days=day)
        runs.append(await core_series.add_occurrence(conn, scope, made["id"], parse(OccurrenceCreate, {
            "starts_at": starts, "ends_at": starts + timedelta(hours=1)})))
    await core_series.publish_series(conn, scope, made["id"])
    await conn.execute("UPDATE ticket_types SET status = 'off_sale' WHERE event_id = $1", runs[1]["id"])
    gone = await make_event(conn, scope, title="Gone", starts_at=START + timedelta(days=3),
                            ends_at=START + timedelta(days=3, hours=1))
    await cancel_event(conn, scope, gone["id"])
    auth = basic(await make_key(box_office, "tickettailor"))
    return {"auth": auth, "series": made["id"], "ids": [f"ev_{e['id']}" for e in (draft, *runs, gone)]}


@pytest.mark.parametrize(("query", "expected"), [
    ("status=draft", [0]), ("status=published", [1]), ("status=off_sale_temporarily", [2]),
    ("status=close_sales", [3]), ("event_series_id=SERIES", [2, 1]), ("event_series_id=es_SERIES", [2, 1]),
    ("start_at.gte=DAY1", [3, 2, 1]), ("start_at.lte=DAY1", [1, 0]), ("start_at.gte=DAY1&start_at.lte=DAY2", [2, 1]),
    ("end_at.gte=END2", [3, 2]), ("end_at.lte=END0", [0]), ("event_series_id=SERIES&status=published", [1]),
])
async def test_event_filters_are_applied(tt, dated, query, expected):
    day = unix(START) + 86400
    query = (query.replace("SERIES", str(dated["series"])).replace("DAY1", str(day))
             .replace("DAY2", str(day + 86400)).replace("END2", str(day + 86400 + 3600))
             .replace("END0", str(unix(START) + 3600)))
    response = await tt.get(f"{BASE}/events?{query}", headers=dated["auth"])
    assert response.status_code == 200, response.text
    assert ids(response.json()) == [dated["ids"][i] for i in expected]


@pytest.mark.parametrize("query", ["status=open", "status=", "event_series_id=ev_1", "start_at.gte=soon",
                                   "end_at.lte=-1", "start_at.gt=1", "status=draft&status=published"])
async def test_bad_event_filters_are_400(tt, dated, query):
    response = await tt.get(f"{BASE}/events?{query}", headers=dated["auth"])
    assert response.status_code == 400, query
    assert response.json()["error_code"] == "Bad Request"


async def test_order_filters_by_event_and_status(tt, seed, conn, checkout):
    other = await make_event(conn, seed.scope, title="Other")
    placed = await checkout.place(conn, seed.scope, order_input(other["id"], (await ticket_types_for(
        conn, [other["id"]]))[0]["id"]))
    await checkout.refund(conn, seed.scope, seed.orders[0]["id"])  # refunded: the vendor's "cancelled"
    by_event = (await tt.get(f"{BASE}/orders?event_id=ev_{other['id']}", headers=seed.auth)).json()
    assert ids(by_event) == [f"or_{placed['id']}"]
    cancelled = (await tt.get(f"{BASE}/orders?status=cancelled", headers=seed.auth)).json()
    assert ids(cancelled) == [f"or_{seed.orders[0]['id']}"]
    completed = (await tt.get(f"{BASE}/orders?status=completed&event_id={seed.event['id']}",
                              headers=seed.auth)).json()
    assert ids(completed) == [f"or_{seed.orders[1]['id']}"]
    for bad in ("status=refunded", "event_id=or_1"):
        assert (await tt.get(f"{BASE}/orders?{bad}", headers=seed.auth)).status_code == 400
