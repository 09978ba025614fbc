"""Cursor paging by object id: forward and back through 250+ orders while new ones arrive."""

from __future__ import annotations

import pytest

from core.events import ticket_types_for
from core.models import Scope
from tests.tickettailor.conftest import BASE, T0, basic, make_event, order_input, unix

COUNT = 250


@pytest.fixture
async def many(conn, box_office, make_key, checkout):
    """250 orders one second apart (newest last), and a way to add one more 'now'."""
    scope = Scope(box_office["id"], True)
    event = await make_event(conn, scope, ticket_types=[{"name": "Free", "quantity": 5000}])
    type_id = (await ticket_types_for(conn, [event["id"]]))[0]["id"]
    # one set-based INSERT: 250 orders one second apart from T0, oldest first
    ids = [r["id"] for r in await conn.fetch(
        "INSERT INTO orders (box_office_id, livemode, event_id, buyer_email, currency, subtotal, total,"
        " created_at, updated_at) SELECT $1, true, $2, 'b@example.com', 'GBP', 0, 0,"
        " $3::timestamptz + n * interval '1 second', $3::timestamptz + n * interval '1 second'"
        " FROM generate_series(0, $4 - 1) AS n ORDER BY n RETURNING id",
        scope.box_office_id, event["id"], T0, COUNT)]

    async def add() -> int:
        return (await checkout.place(conn, scope, order_input(event["id"], type_id)))["id"]

    return {"ids": ids, "add": add, "auth": basic(await make_key(box_office, "tickettailor"))}


async def test_forward_then_back_with_orders_arriving(tt, many):
    seen, url, pages = [], f"{BASE}/orders?limit=40", []
    while url:
        body = (await tt.get(url, headers=many["auth"])).json()
        pages.append(body)
        seen += [int(o["id"][3:]) for o in body["data"]]
        await many["add"]()  # arrives newer than everything: must not shift later pages
        url = BASE + body["links"]["next"] if body["links"]["next"] else None
    assert seen == list(reversed(many["ids"]))
    assert len(pages) == 7 and pages[0]["links"]["previous"] is None
    assert pages[1]["links"]["previous"] == f"/orders?ending_before=or_{seen[40]}&limit=40"
    assert pages[0]["links"]["next"] == f"/orders?starting_after=or_{seen[39]}&limit=40"

    back, url = [], BASE + pages[-1]["links"]["previous"]
    back_pages = [pages[-1]]
    while url:
        body = (await tt.get(url, headers=many["auth"])).json()
        back_pages.append(body)
        back = [int(o["id"][3:]) for o in body["data"]] + back
        await many["add"]()
        url = BASE + body["links"]["previous"] if body["links"]["previous"] else None
    everything = back + [int(o["id"][3:]) for o in pages[-1]["data"]]
    assert len(everything) == len(set(everything))
    assert everything[-COUNT:] == list(reversed(many["ids"]))  # no gaps in the originals
    assert len(everything) > COUNT  # and it walked on into the orders that arrived meanwhile
    assert all(b["links"]["next"] for b in back_pages[1:])


async def test_ending_before_wins_and_default_limit(tt, many):
    ids = list(reversed(many["ids"]))
    body = (await tt.get(f"{BASE}/orders?ending_before=or_{ids[5]}&starting_after=or_{ids[100]}",
                         headers=many["auth"])).json()
    assert [o["id"] for o in body["data"]] == [f"or_{i}" for i in ids[:5]]
    assert body["links"]["previous"] is None
    assert body["links"]["next"] == f"/orders?starting_after=or_{ids[4]}"
    first = (await tt.get(f"{BASE}/orders", headers=many["auth"])).json()
    assert len(first["data"]) == 100
    assert first["links"] == {"next": f"/orders?starting_after=or_{ids[99]}", "previous": None}
    bare = (await tt.get(f"{BASE}/orders?starting_after={ids[99]}&limit=1", headers=many["auth"])).json()
    assert [o["id"] for o in bare["data"]] == [f"or_{ids[100]}"]


async def test_links_keep_filters_and_the_host_form(make_tt, many):
    ids = list(reversed(many["ids"]))
    since = unix(T0) + 10  # the 240 newest originals
    query = f"limit=2&created_at.gte={since}"
    host = await make_tt(links="host")
    body = (await host.get(f"{BASE}/orders?{query}", headers=many["auth"])).json()
    assert body["links"]["next"] == f"/tickettailor/v1/orders?starting_after=or_{ids[1]}&{query}"
    bare = await make_tt(host="api.tickettailor.test", links="host")
    body = (await bare.get(f"/v1/orders?{query}", headers=many["auth"])).json()
    assert body["links"]["next"] == f"/v1/orders?starting_after=or_{ids[1]}&{query}"
    api_bare = await make_tt(host="api.tickettailor.test")
    body = (await api_bare.get(f"/v1/orders?{query}", headers=many["auth"])).json()
    assert body["links"]["next"] == f"/orders?starting_after=or_{ids[1]}&{query}"


async def test_the_way_back_from_a_cursor_the_filters_leave_out(tt, many):
    """The link back is there when rows the filters keep lie on the cursor's side, the cursor's own
    object aside: unfiltered that object is one of them, filtered it may not be."""
    ids = list(reversed(many["ids"]))  # newest first
    query = f"limit=2&created_at.gte={unix(T0) + 10}"  # the 240 newest originals: ids[0] to ids[239]
    body = (await tt.get(f"{BASE}/orders?ending_before=or_{ids[245]}&{query}", headers=many["auth"])).json()
    assert [o["id"] for o in body["data"]] == [f"or_{ids[238]}", f"or_{ids[239]}"]
    assert body["links"]["next"] is None  # nothing the filter keeps is older than ids[245]
    assert body["links"]["previous"] == f"/orders?ending_before=or_{ids[238]}&{query}"
    plain = (await tt.get(f"{BASE}/orders?ending_before=or_{ids[245]}&limit=2", headers=many["auth"])).json()
    assert [o["id"] for o in plain["data"]] == [f"or_{ids[243]}", f"or_{ids[244]}"]
    assert plain["links"]["next"] == f"/orders?starting_after=or_{ids[244]}&limit=2"
    after = (await tt.get(f"{BASE}/orders?starting_after=or_{ids[5]}&{query}", headers=many["auth"])).json()
    assert after["links"]["previous"] == f"/orders?ending_before=or_{ids[6]}&{query}"


async def test_end_of_list_and_empty_pages(tt, many):
    ids = list(reversed(many["ids"]))
    last = (await tt.get(f"{BASE}/orders?starting_after=or_{ids[-3]}", headers=many["auth"])).json()
    assert [o["id"] for o in last["data"]] == [f"or_{i}" for i in ids[-2:]]
    assert last["links"] == {"next": None, "previous": f"/orders?ending_before=or_{ids[-2]}"}
    empty = (await tt.get(f"{BASE}/orders?starting_after=or_{ids[-1]}", headers=many["auth"])).json()
    assert empty == {"data": [], "links": {"next": None, "previous": None}}


@pytest.mark.parametrize("query", [
    "starting_after=or_999999999999", "ending_before=or_999999999999", "starting_after=ev_1",
    "starting_after=or_", "starting_after=", "starting_after=or_1%00", "ending_before=abc",
    "limit=0", "limit=101", "limit=abc", "limit=-1", "limit=1.5", "limit=", "limit=99999999999999999999999",
])
async def test_bad_cursor_or_limit_is_400(tt, many, query):
    response = await tt.get(f"{BASE}/orders?{query}", headers=many["auth"])
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"status", "error_code", "message"}
    assert (body["status"], body["error_code"]) == (400, "Bad Request")
    assert response.headers["x-rate-limit-limit"] == "2000"


async def test_cursor_of_another_box_office_is_400(tt, many, make_box_office, make_key):
    other = await make_box_office()
    auth = basic(await make_key(other, "tickettailor"))
    response = await tt.get(f"{BASE}/orders?starting_after=or_{many['ids'][0]}", headers=auth)
    assert response.status_code == 400
