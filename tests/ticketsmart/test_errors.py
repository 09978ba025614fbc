"""Every documented TicketSmart error: exact status, headers and body; CORS on all of them."""

from __future__ import annotations

import asyncio

import pytest

from core import keys
from tests.ticketsmart.conftest import BASE
from tests.ticketsmart.helpers import CORS, NOT_FOUND, UNAUTHORIZED, assert_cors

VALID = {"title": "Comedy Night", "startsAt": "2031-09-01T19:00:00Z"}


@pytest.mark.parametrize("headers", [
    {},
    {"x-api-key": ""},
    {"x-api-key": "not-a-key"},
    {"x-api-key": "ts_sk_live_" + "a" * 43},
    {"x-api-key": "ts_sk_prod_" + "a" * 43},
    {"authorization": "Bearer ts_sk_live_" + "a" * 43},
    {"x-api-key": "ts_sk_live_" + "a" * 5000},
])
@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/events"), ("POST", "/events"), ("GET", "/events/x"), ("PATCH", "/events/x"),
    ("GET", "/events/x/ticket-types"), ("GET", "/events/x/availability")])
async def test_401(client, headers, method, path):
    r = await client.request(method, BASE + path, headers=headers, json=VALID)
    assert r.status_code == 401
    assert r.json() == UNAUTHORIZED
    assert_cors(r)


async def test_401_for_revoked_key_and_other_dialects_key(client, box_office, make_key, conn):
    secret = await make_key(box_office, "ticketsmart")
    assert (await client.get(f"{BASE}/events", headers={"x-api-key": secret})).status_code == 200
    key_id = await conn.fetchval("SELECT id FROM api_keys WHERE secret_hash = $1", keys.hash_secret(secret))
    await keys.revoke_key(conn, key_id)
    for _ in range(100):  # the cached key is dropped when the NOTIFY arrives, a moment later
        r = await client.get(f"{BASE}/events", headers={"x-api-key": secret})
        if r.status_code == 401:
            break
        await asyncio.sleep(0.02)
    assert (r.status_code, r.json()) == (401, UNAUTHORIZED)
    foreign = await make_key(box_office, "equaticket")
    r = await client.get(f"{BASE}/events", headers={"x-api-key": foreign})
    assert (r.status_code, r.json()) == (401, UNAUTHORIZED)


async def test_403_missing_scope(client, box_office, make_key, make_event):
    reader = {"x-api-key": await make_key(box_office, "ticketsmart", scopes=["events:read"])}
    writer = {"x-api-key": await make_key(box_office, "ticketsmart", scopes=["events:write"])}
    row = await make_event(box_office)
    for r in (await client.post(f"{BASE}/events", headers=reader, json=VALID),
              await client.patch(f"{BASE}/events/{row['id']}", headers=reader, json={"title": "x"})):
        assert (r.status_code, r.json()) == (403, {"error": "Forbidden", "missingScopes": ["events:write"]})
        assert_cors(r)
    for path in ("/events", f"/events/{row['id']}", f"/events/{row['id']}/ticket-types",
                 f"/events/{row['id']}/availability"):
        r = await client.get(BASE + path, headers=writer)
        assert (r.status_code, r.json()) == (403, {"error": "Forbidden", "missingScopes": ["events:read"]})
    assert (await client.get(f"{BASE}/events/{row['id']}", headers=reader)).status_code == 200


@pytest.mark.parametrize("ref", ["evt_999999999", "999999999", "no-such-slug", "evt_0", "evt_x",
                                 "UPPER", "a%00b", "%E2%9C%93", "evt_99999999999999999999999"])
@pytest.mark.parametrize("suffix", ["", "/ticket-types", "/availability"])
async def test_404_event_not_found(client, auth, ref, suffix):
    r = await client.get(f"{BASE}/events/{ref}{suffix}", headers=auth)
    assert (r.status_code, r.json()) == (404, NOT_FOUND)
    assert_cors(r)


async def test_404_on_patch(client, auth):
    r = await client.patch(f"{BASE}/events/evt_999999999", headers=auth, json={"title": "x"})
    assert (r.status_code, r.json()) == (404, NOT_FOUND)


@pytest.mark.parametrize("path", ["/nope", "/events/x/y/z", "/events/x/orders", "/"])
async def test_unknown_route_is_404_in_vendor_format(client, auth, path):
    r = await client.get(f"{BASE}{path}", headers=auth)
    assert (r.status_code, r.json()) == (404, {"error": "Not found"})
    assert_cors(r)
    r = await client.get(f"/ticketsmart{path}")
    assert (r.status_code, r.json()) == (404, {"error": "Not found"})


async def test_wrong_method_is_405_in_vendor_format(client, auth):
    r = await client.delete(f"{BASE}/events/x", headers=auth)
    assert (r.status_code, r.json()) == (405, {"error": "Method not allowed"})
    assert_cors(r)


async def test_409_slug_taken_on_create_and_patch(client, auth, box_office, make_event, conn):
    await make_event(box_office, slug="taken")
    other = await make_event(box_office, title="Other")
    r = await client.post(f"{BASE}/events", headers=auth, json={**VALID, "slug": "taken"})
    assert (r.status_code, r.json()) == (409, {"error": "Slug is already taken"})
    assert_cors(r)
    r = await client.patch(f"{BASE}/events/{other['id']}", headers=auth,
                           json={"slug": "taken", "title": "Changed",
                                 "addTicketType": {"name": "X", "quantity": 1}})
    assert (r.status_code, r.json()) == (409, {"error": "Slug is already taken"})
    assert await conn.fetchval("SELECT title FROM events WHERE id = $1", other["id"]) == "Other"
    assert await conn.fetchval("SELECT count(*) FROM ticket_types WHERE event_id = $1", other["id"]) == 1


async def test_400_invalid_json(client, auth, box_office, make_event):
    row = await make_event(box_office)
    for method, path in (("POST", "/events"), ("PATCH", f"/events/{row['id']}")):
        r = await client.request(method, BASE + path, headers={**auth, "content-type": "application/json"},
                                 content=b"{not json")
        assert (r.status_code, r.json()) == (400, {"error": "Invalid JSON body"})
        assert_cors(r)


async def test_400_validation_failed_one_entry_per_field(client, auth):
    r = await client.post(f"{BASE}/events", headers=auth, json={
        "title": "", "startsAt": "tomorrow", "endsAt": 5, "currency": "DOLLARS", "visibility": "public",
        "category": "OPERA", "timezone": "Mars/Olympus", "bogus": 1,
        "ticketTypes": [{"name": "GA", "price": "2500", "quantity": 1}, {"name": "B", "quantity": -1}, 7]})
    assert r.status_code == 400
    assert_cors(r)
    assert r.json() == {"error": "Validation failed", "details": [
        {"field": "startsAt",
         "message": "Invalid datetime: must be ISO-8601, for example 2026-09-01T19:00:00Z"},
        {"field": "endsAt", "message": "Expected string"},
        {"field": "visibility", "message": "Invalid enum value. Expected PUBLIC | UNLISTED | PRIVATE"},
        {"field": "category", "message":
            "Invalid enum value. Expected COMEDY | MUSIC | CONFERENCE | WORKSHOP | THEATER | SPORTS | OTHER"},
        {"field": "bogus", "message": "Unrecognized field"},
        {"field": "ticketTypes.0.price", "message": "Expected integer"},
        {"field": "ticketTypes.2", "message": "Expected object"},
        {"field": "title", "message": "String should have at least 1 character"},
        {"field": "timezone", "message": "must be an IANA time zone name such as Europe/London"},
        {"field": "currency", "message": "must be a three-letter ISO 4217 code"},
        {"field": "ticketTypes.1.quantity", "message": "Input should be greater than or equal to 0"},
    ]}


async def test_400_required_fields_and_cross_field_rules(client, auth):
    r = await client.post(f"{BASE}/events", headers=auth, json={})
    assert (r.status_code, r.json()) == (400, {"error": "Validation failed", "details": [
        {"field": "title", "message": "Field required"}, {"field": "startsAt", "message": "Field required"}]})
    r = await client.post(f"{BASE}/events", headers=auth, json={**VALID, "endsAt": "2031-09-01T18:00:00Z"})
    assert r.json()["details"] == [{"field": "endsAt", "message": "endsAt must not be before startsAt"}]
    r = await client.post(f"{BASE}/events", headers=auth, json={**VALID, "startsAt": "2031-09-01T19:00:00"})
    assert r.json()["details"] == [{"field": "startsAt", "message":
                                    "must include a time zone offset (for example 2026-09-01T19:00:00Z)"}]
    r = await client.post(f"{BASE}/events", headers=auth, json={**VALID, "ticketTypes": [
        {"name": "GA", "quantity": 1, "minPerOrder": 5, "maxPerOrder": 2}]})
    assert r.json()["details"] == [{"field": "ticketTypes.0.minPerOrder",
                                    "message": "minPerOrder must not exceed maxPerOrder"}]


async def test_400_patch_validation(client, auth, box_office, make_event, conn):
    row = await make_event(box_office)
    r = await client.patch(f"{BASE}/events/{row['id']}", headers=auth, json={
        "title": None, "doorsOpen": "2031-09-02T00:00:00Z", "addTicketType": {"name": "VIP", "price": -1},
        "removeTicketTypeId": "abc", "ticketTypes": []})
    assert r.status_code == 400
    assert r.json()["details"] == [
        {"field": "ticketTypes", "message": "Unrecognized field"},
        {"field": "title", "message": "must not be null"},
        {"field": "addTicketType.price", "message": "Input should be greater than or equal to 0"},
        {"field": "addTicketType.quantity", "message": "Field required"},
        {"field": "removeTicketTypeId", "message": "Expected a ticket type id such as tkt_12"},
    ]
    r = await client.patch(f"{BASE}/events/{row['id']}", headers=auth,
                           json={"doorsOpen": "2031-09-02T00:00:00Z"})
    assert (r.status_code, r.json()) == (400, {"error": "Validation failed", "details": [
        {"field": "doorsOpen", "message": "doorsOpen must not be after startsAt"}]})
    assert await conn.fetchval("SELECT doors_open_at FROM events WHERE id = $1", row["id"]) is None


@pytest.mark.parametrize("body", [{"status": "PUBLISHED"}, {"status": "CANCELLED", "title": "x"},
                                  {"published": True}, {"cancel": True}])
async def test_400_status_changes_refused(client, auth, box_office, make_event, conn, body):
    row = await make_event(box_office)
    expected = {"error": "Status changes are not supported in the v1 API"}
    r = await client.patch(f"{BASE}/events/{row['id']}", headers=auth, json=body)
    assert (r.status_code, r.json()) == (400, expected)
    r = await client.post(f"{BASE}/events", headers=auth, json={**VALID, **body})
    assert (r.status_code, r.json()) == (400, expected)
    assert_cors(r)
    assert await conn.fetchval("SELECT status FROM events WHERE id = $1", row["id"]) == "draft"


@pytest.mark.parametrize(("query", "details"), [
    ("status=LIVE", [{"field": "status", "message": "Invalid enum value. Expected DRAFT | PUBLISHED"
                                                    " | SOLD_OUT | CANCELLED | COMPLETED | ARCHIVED"}]),
    ("dateFrom=yesterday&dateTo=2031-13-01", [
        {"field": "dateFrom", "message": "Invalid datetime: must be ISO-8601, e.g. 2026-09-01T00:00:00Z"},
        {"field": "dateTo", "message": "Invalid datetime: must be ISO-8601, e.g. 2026-09-01T00:00:00Z"}]),
    ("liveOnly=yes", [{"field": "liveOnly", "message": "Expected true or false"}]),
    ("page=0", [{"field": "page", "message": "Must be an integer from 1 to 1000000"}]),
    ("page=abc&limit=-1", [{"field": "page", "message": "Expected a positive integer"},
                           {"field": "limit", "message": "Must be an integer from 1 to 100"}]),
    ("limit=0", [{"field": "limit", "message": "Must be an integer from 1 to 100"}]),
    ("limit=1.5", [{"field": "limit", "message": "Expected a positive integer"}]),
    ("page=99999999999999999999", [{"field": "page", "message": "Expected a positive integer"}]),
    ("search=a%00b", [{"field": "search", "message": "Must be at most 200 characters, without NUL"}]),
])
async def test_400_invalid_filters(client, auth, query, details):
    r = await client.get(f"{BASE}/events?{query}", headers=auth)
    assert (r.status_code, r.json()) == (400, {"error": "Invalid filters", "details": details})
    assert_cors(r)


async def test_429_after_60_requests_in_rolling_minute(client, box_office, make_key):
    headers = {"x-api-key": await make_key(box_office, "ticketsmart")}
    paths = ["/events", "/events/nope", "/events/nope/availability"]  # every endpoint counts, 404s too
    for i in range(60):
        r = await client.get(BASE + paths[i % 3], headers=headers)
        assert r.status_code in (200, 404)
    r = await client.get(f"{BASE}/events", headers=headers)
    assert r.status_code == 429
    assert_cors(r)
    retry = int(r.headers["retry-after"])
    assert 1 <= retry <= 60
    assert r.json() == {"error": "Rate limit exceeded. Try again later.", "retryAfter": retry}
    r = await client.post(f"{BASE}/events", headers=headers, json=VALID)
    assert r.status_code == 429  # writes too
    other = {"x-api-key": await make_key(box_office, "ticketsmart")}
    assert (await client.get(f"{BASE}/events", headers=other)).status_code == 200  # per key


async def test_cors_preflight_needs_no_key(client):
    for path in ("/events", "/events/x", "/nope"):
        r = await client.options(BASE + path, headers={"origin": "https://example.com",
                                                       "access-control-request-method": "PATCH"})
        assert r.status_code == 204
        assert r.content == b""
        assert {k: r.headers[k] for k in CORS} == CORS


async def test_openapi_is_public(client):
    r = await client.get(f"{BASE}/openapi.json")
    assert r.status_code == 200
    assert r.json()["openapi"] == "3.1.0"
    assert_cors(r)


@pytest.mark.parametrize("body", [b"[]", b"null", b"42", b'"event"'])
async def test_400_body_must_be_an_object(client, auth, box_office, make_event, body):
    row = await make_event(box_office)
    expected = {"error": "Validation failed", "details": [{"field": "body", "message": "Expected object"}]}
    for method, path in (("POST", "/events"), ("PATCH", f"/events/{row['id']}")):
        r = await client.request(method, BASE + path, headers=auth, content=body)
        assert (r.status_code, r.json()) == (400, expected)
