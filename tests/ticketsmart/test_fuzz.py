"""Malformed input of every kind: never a 500, always the vendor's error format, never a partial write."""

from __future__ import annotations

import pytest

from core.events import ticket_types_for
from tests.ticketsmart.conftest import BASE
from tests.ticketsmart.helpers import assert_cors

OK_EVENT = {"title": "T", "startsAt": "2031-01-01T00:00:00Z"}
NASTY_RAW = [b"", b"null", b"[]", b"[{}]", b"1", b'"str"', b"true", b"{", b"{}}", b"\xff\xfe", b"\x00",
             b'{"title": "a\\u0000b", "startsAt": "2031-01-01T00:00:00Z"}', b"{" * 5000,
             b'{"title": "T", "startsAt": "2031-01-01T00:00:00Z", "ticketTypes": [{"name": "A", "quantity": '
             b'1000000000000000000000000000}]}', b'{"title": NaN}', b'{"a": 1e999}']
NASTY_JSON = [
    {"title": ["x"], "startsAt": {"a": 1}},
    {"title": None, "startsAt": None},
    {**OK_EVENT, "startsAt": "2031-01-01T00:00:00\x00Z"},
    {**OK_EVENT, "startsAt": "0001-01-01T00:00:00+14:00"},
    {**OK_EVENT, "startsAt": "9999-12-31T23:59:59-14:00"},
    {**OK_EVENT, "startsAt": "2031-02-30T00:00:00Z"},
    {**OK_EVENT, "title": "x" * 201},
    {**OK_EVENT, "title": "\x00"},
    {**OK_EVENT, "venueName": "v\x00"},
    {**OK_EVENT, "description": "d" * 20001},
    {**OK_EVENT, "slug": "Bad Slug"},
    {**OK_EVENT, "slug": ""},
    {**OK_EVENT, "slug": "a" * 101},
    {**OK_EVENT, "currency": "US"},
    {**OK_EVENT, "currency": "ÜSD"},
    {**OK_EVENT, "currency": 840},
    {**OK_EVENT, "timezone": "../../etc/passwd"},
    {**OK_EVENT, "timezone": ""},
    {**OK_EVENT, "visibility": None, "category": ["COMEDY"]},
    {**OK_EVENT, "ticketTypes": {"name": "A"}},
    {**OK_EVENT, "ticketTypes": [None]},
    {**OK_EVENT, "ticketTypes": [{"name": "A", "quantity": 2**63}]},
    {**OK_EVENT, "ticketTypes": [{"name": "A", "quantity": -(2**63)}]},
    {**OK_EVENT, "ticketTypes": [{"name": "A", "quantity": 1, "price": 1.5}]},
    {**OK_EVENT, "ticketTypes": [{"name": "A", "quantity": True}]},
    {**OK_EVENT, "ticketTypes": [{"name": "A", "quantity": 1, "hidden": "true"}]},
    {**OK_EVENT, "ticketTypes": [{"name": "A", "quantity": 1, "saleStartsAt": "2031-01-02T00:00:00Z",
                                  "saleEndsAt": "2031-01-01T00:00:00Z"}]},
    {**OK_EVENT, "ticketTypes": [{"name": "A", "quantity": 1}] * 101},
    {**OK_EVENT, "ticketTypes": [{"name": "A", "quantity": 1, "groupId": 1}]},
    {**OK_EVENT, "ticketTypes": [{"name": "A", "quantity": 1, "status": "ON_SALE"}]},
    {**OK_EVENT, "addTicketType": {"name": "A", "quantity": 1}},
    {**OK_EVENT, "id": "evt_1"},
    {**OK_EVENT, "__proto__": {"admin": True}},
    {**OK_EVENT, "status": None},
]
PATCH_ONLY = [
    {"addTicketType": []}, {"addTicketType": "VIP"}, {"addTicketType": {"name": "A", "quantity": 2**40}},
    {"removeTicketTypeId": 12}, {"removeTicketTypeId": ["tkt_1"]}, {"removeTicketTypeId": "tkt_" + "9" * 30},
    {"removeTicketTypeId": "tkt_999999999999"}, {"removeTicketTypeId": "tkt_\x00"},
    {"startsAt": None}, {"timezone": None}, {"slug": None}, {"currency": None},
    {"endsAt": "2020-01-01T00:00:00Z"}, {"title": 1, "addTicketType": {"name": "B", "quantity": 1}},
]
BAD_QUERIES = ["page=-1", "page=1e3", "page=%00", "limit=%FF", "limit=99999999999999999999999", "status=",
               "status=%00", "status=DRAFT,,", "status=" + "X" * 10000, "search=" + "%" * 500,
               "search=%25%5F%5C", "dateFrom=0001-01-01T00:00:00%2B14:00", "dateTo=9999-12-31T23:59:59-14:00",
               "dateFrom=2031-01-01T00:00:00%00", "liveOnly=%00", "page=1&page=2", "limit= 5", "unknown=1",
               "dateFrom=%E2%9C%93", "search=%F0%9F%8E%AB"]
BAD_REFS = ["%00", "%FF", "evt_", "evt_-1", "-1", "0", "9" * 40, "evt_9223372036854775808", "a" * 5000,
            "%2E%2E", "..", "tkt_1", "null", "undefined", "%20", "evt_1%20"]


class Keys:
    """Fresh keys as the rate limit requires: the fuzz sends more than 60 requests."""

    def __init__(self, make_key, office) -> None:
        self.make_key, self.office, self.used, self.current = make_key, office, 0, ""

    async def headers(self) -> dict[str, str]:
        if self.used % 50 == 0:
            self.current = await self.make_key(self.office, "ticketsmart")
        self.used += 1
        return {"x-api-key": self.current, "content-type": "application/json"}


def _assert_clean(r) -> None:
    assert r.status_code < 500, (r.status_code, r.text)
    assert "error" in r.json() if r.status_code >= 400 else True
    assert_cors(r)


@pytest.fixture
def keys(make_key, box_office) -> Keys:
    return Keys(make_key, box_office)


async def _counts(conn, office) -> tuple[int, int]:
    row = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM events WHERE box_office_id = $1) AS e,"
        " (SELECT count(*) FROM ticket_types t JOIN events e ON e.id = t.event_id"
        "  WHERE e.box_office_id = $1) AS t", office["id"])
    return row["e"], row["t"]


async def test_nasty_bodies_on_create_write_nothing(client, keys, box_office, conn):
    import orjson

    bodies = NASTY_RAW + [orjson.dumps(b) for b in NASTY_JSON]
    for body in bodies:
        r = await client.post(f"{BASE}/events", headers=await keys.headers(), content=body)
        _assert_clean(r)
        assert r.status_code == 400, (body[:80], r.text)
    assert await _counts(conn, box_office) == (0, 0)


async def test_nasty_bodies_on_patch_write_nothing(client, keys, box_office, make_event, conn):
    import orjson

    row = await make_event(box_office)
    before = dict(await conn.fetchrow("SELECT * FROM events WHERE id = $1", row["id"]))
    types_before = [dict(t) for t in await ticket_types_for(conn, [row["id"]])]
    patches = [orjson.dumps({k: v for k, v in b.items() if OK_EVENT.get(k) != v and k != "addTicketType"}
                            or {"x": 1}) for b in NASTY_JSON]
    patches += [orjson.dumps(p) for p in PATCH_ONLY] + NASTY_RAW
    for body in patches:
        r = await client.patch(f"{BASE}/events/{row['id']}", headers=await keys.headers(), content=body)
        _assert_clean(r)
        assert r.status_code in (400, 404), (body[:80], r.text)
    assert dict(await conn.fetchrow("SELECT * FROM events WHERE id = $1", row["id"])) == before
    assert [dict(t) for t in await ticket_types_for(conn, [row["id"]])] == types_before


async def test_nasty_query_params(client, keys):
    for query in BAD_QUERIES:
        r = await client.get(f"{BASE}/events?{query}", headers=await keys.headers())
        _assert_clean(r)
        assert r.status_code in (200, 400), (query, r.text)


async def test_nasty_path_refs(client, keys):
    for ref in BAD_REFS:
        for suffix in ("", "/ticket-types", "/availability"):
            r = await client.get(f"{BASE}/events/{ref}{suffix}", headers=await keys.headers())
            _assert_clean(r)
            assert r.status_code == 404, (ref, r.text)
        r = await client.patch(f"{BASE}/events/{ref}", headers=await keys.headers(), json={"title": "x"})
        _assert_clean(r)
        assert r.status_code == 404


@pytest.mark.parametrize("value", ["ts_sk_live_\x7f", "ts_sk_live_ümlaut-" + "a" * 20, " " * 100,
                                   "ts_sk_" * 1000,
                                   "ts_sk_test_" + "a" * 43 + "\t"])
async def test_nasty_keys(client, value):
    r = await client.get(f"{BASE}/events", headers=[(b"x-api-key", value.encode())])
    assert r.status_code == 401
    assert_cors(r)
