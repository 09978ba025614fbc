"""Auth, scopes, request ids, the error envelope, rate limits, cursors and malformed input."""

from __future__ import annotations

import pytest
from itsdangerous import URLSafeSerializer

from tests.equaticket.helpers import API, EVENT, bearer, create_event

DOC_URL = "https://equaticket.com/help/organizers/public-api"


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["request_id"] == response.headers["x-request-id"]
    assert error["doc_url"] == DOC_URL
    return error


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer sk_live_nope"},
        {"Authorization": "Bearer ts_sk_live_abc"},
        {"Authorization": "Bearer sk_live_" + "x" * 5000},
    ],
)
async def test_unauthorized(client, headers):
    error = _error(await client.get(f"{API}/events", headers=headers), 401, "unauthorized")
    assert "param" not in error


async def test_key_of_another_dialect_is_refused(client, box_office, make_key):
    key = await make_key(box_office, "tickettailor")
    _error(await client.get(f"{API}/events", headers=bearer(key)), 401, "unauthorized")


async def test_revoked_key_is_refused(client, box_office, make_key, conn):
    from core.keys import hash_secret, revoke_key

    key = await make_key(box_office, "equaticket")
    assert (await client.get(f"{API}/events", headers=bearer(key))).status_code == 200
    key_id = await conn.fetchval("SELECT id FROM api_keys WHERE secret_hash = $1", hash_secret(key))
    await revoke_key(conn, key_id)
    for _ in range(50):  # the NOTIFY reaches the key cache asynchronously
        response = await client.get(f"{API}/events", headers=bearer(key))
        if response.status_code == 401:
            break
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("GET", "/events", "events:read"),
        ("POST", "/events", "events:write"),
        ("GET", "/orders", "orders:read"),
        ("GET", "/attendees", "attendees:read"),
        ("GET", "/webhooks/subscriptions", "webhooks:read"),
        ("POST", "/webhooks/subscriptions", "webhooks:write"),
        ("POST", "/events/evt_1/ticket-types", "ticket_types:write"),
    ],
)
async def test_missing_scope_is_403(client, box_office, make_key, method, path, scope):
    others = [
        s
        for s in (
            "events:read",
            "events:write",
            "ticket_types:write",
            "orders:read",
            "attendees:read",
            "webhooks:read",
            "webhooks:write",
        )
        if s != scope
    ]
    key = await make_key(box_office, "equaticket", scopes=others)
    error = _error(await client.request(method, f"{API}{path}", headers=bearer(key)), 403, "forbidden")
    assert scope in error["message"]


async def test_request_id_echoed_or_generated(client, live_key):
    ok = await client.get(f"{API}/events", headers=bearer(live_key, **{"X-Request-Id": "trace-1.2:3_x"}))
    assert ok.headers["x-request-id"] == "trace-1.2:3_x"
    for bad in ("has space", "x" * 129, "semi;colon"):
        response = await client.get(f"{API}/events", headers=bearer(live_key, **{"X-Request-Id": bad}))
        assert response.headers["x-request-id"].startswith("req_") and response.headers["x-request-id"] != bad
    error = await client.get(f"{API}/nowhere", headers={"X-Request-Id": "mine"})
    assert _error(error, 404, "not_found")["request_id"] == "mine"
    public = await client.get(f"{API}/public/events")
    assert public.headers["x-request-id"].startswith("req_")


async def test_unknown_route_and_method(client, live_key):
    _error(await client.get(f"{API}/nothing-here", headers=bearer(live_key)), 404, "not_found")
    _error(await client.put(f"{API}/events", headers=bearer(live_key)), 404, "not_found")


async def test_rate_limit_by_plan(client, make_box_office, make_key):
    key = await make_key(await make_box_office(plan="free"), "equaticket")
    statuses = [(await client.get(f"{API}/events", headers=bearer(key))).status_code for _ in range(60)]
    assert statuses == [200] * 60
    limited = await client.get(f"{API}/events", headers=bearer(key))
    error = _error(limited, 429, "rate_limited")
    assert error["message"] == "Too many requests. Retry after the window resets."
    assert 1 <= int(limited.headers["retry-after"]) <= 60


def test_rate_limit_policy_per_plan(gateway):
    from core.keys import Principal
    from dialects.equaticket import Equaticket

    dialect = Equaticket(gateway.services(), gateway.settings.dialects.equaticket)
    for plan, amount in (("free", 60), ("starter", 100), ("growth", 300), ("pro", 600)):
        principal = Principal(1, "equaticket", 1, "x", plan, True, frozenset())
        policy = dialect.rate_limit(principal)
        assert (policy.amount, policy.per_seconds, policy.moving) == (amount, 60, True)


async def _cursor(client, key) -> str:
    for i in range(3):
        await create_event(client, key, slug=f"paged-{i}")
    body = (await client.get(f"{API}/events?limit=1", headers=bearer(key))).json()
    assert body["has_more"] is True
    return body["next_cursor"]


async def test_tampered_and_foreign_cursors_are_refused(client, live_key, test_key, make_box_office, make_key, gateway):
    cursor = await _cursor(client, live_key)
    assert (await client.get(f"{API}/events?cursor={cursor}", headers=bearer(live_key))).status_code == 200
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    other_office = await make_key(await make_box_office(), "equaticket")
    forged = URLSafeSerializer("not-the-secret", salt="equaticket.cursor.events").dumps([1, True, "events", "x", 1])
    for key, path in (
        (live_key, f"/events?cursor={tampered}"),
        (live_key, f"/orders?cursor={cursor}"),
        (test_key, f"/events?cursor={cursor}"),
        (other_office, f"/events?cursor={cursor}"),
        (live_key, f"/events?cursor={forged}"),
        (live_key, "/events?cursor=" + "a" * 5000),
    ):
        error = _error(await client.get(f"{API}{path}", headers=bearer(key)), 400, "validation_error")
        assert error["param"] == "cursor"


@pytest.mark.parametrize(
    "content",
    [
        b"{",
        b"[]",
        b"[1, 2]",
        b'"text"',
        b"null",
        b"42",
        b"\xff\xfe",
        b'{"title": 5}',
        b'{"title": "x", "starts_at": 17}',
        b'{"title": "x", "starts_at": "2030-01-01T00:00:00Z", "online": "maybe"}',
        b'{"title": "x", "starts_at": "2030-01-01T00:00:00Z", "ticket_types": [[]]}',
        b'{"title": "x", "starts_at": "2030-01-01T00:00:00Z",'
        b' "ticket_types": [{"name": "a", "quantity_total": "1e99"}]}',
        b'{"title": "x", "starts_at": "99999-01-01T00:00:00Z"}',
        b'{"title": "x\\u0000"}',
        b'{"title": "x", "starts_at": "2030-01-01T00:00:00Z", "slug": "Bad Slug"}',
        b'{"title": "x", "starts_at": "2030-01-01T00:00:00Z", "currency": 123}',
    ],
)
async def test_malformed_event_bodies_are_400(client, live_key, box_office, conn, content):
    before = await conn.fetchval("SELECT count(*) FROM events WHERE box_office_id = $1", box_office["id"])
    response = await client.post(f"{API}/events", content=content, headers=bearer(live_key))
    _error(response, 400, "validation_error")
    assert await conn.fetchval("SELECT count(*) FROM events WHERE box_office_id = $1", box_office["id"]) == before


@pytest.mark.parametrize(
    ("method", "path", "content"),
    [
        ("PATCH", "/events/{event}", b"[]"),
        ("PATCH", "/events/{event}", b'{"title": null}'),
        ("PATCH", "/events/{event}", b'{"ends_at": "2000-01-01T00:00:00Z"}'),
        ("POST", "/events/{event}/ticket-types", b'{"name": "x", "quantity_total": 99999999999999999999}'),
        ("POST", "/events/{event}/ticket-types", b'{"name": "x", "quantity_total": 5, "price": -1}'),
        ("POST", "/events/{event}/publish", b"{nope"),
        ("PATCH", "/webhooks/subscriptions/whsub_1", b'{"url": null}'),
        ("POST", "/webhooks/subscriptions", b'{"url": "https://x.example\\u0000", "event_types": ["order.placed"]}'),
    ],
)
async def test_malformed_bodies_elsewhere(client, live_key, method, path, content):
    event = await create_event(client, live_key, slug=None)
    response = await client.request(
        method, f"{API}{path.format(event=event['id'])}", content=content, headers=bearer(live_key)
    )
    assert response.status_code in (400, 404), response.text
    assert response.json()["error"]["code"] in ("validation_error", "not_found")


@pytest.mark.parametrize(
    "path",
    [
        "/events?status=%00",
        "/events?limit=-1",
        "/events?limit=99999999999999999999999",
        "/orders?event=evt_%00",
        "/attendees?checked_in=%00",
        "/orders?buyer_email=" + "a" * 5000,
        "/events/evt_1%00",
        "/orders/%F0%9F%98%80",
        "/webhooks/subscriptions/whsub_99999999999999999999",
        "/events?cursor=%00",
    ],
)
async def test_bad_query_input_never_500(client, live_key, path):
    response = await client.get(f"{API}{path}", headers=bearer(live_key))
    assert response.status_code in (400, 404), response.text
    assert response.json()["error"]["request_id"] == response.headers["x-request-id"]


async def test_terms_required_maps_to_403(gateway):
    from starlette.requests import Request

    from core.errors import TermsRequired
    from dialects.equaticket import Equaticket

    request = Request({"type": "http", "method": "POST", "path": "/", "headers": [], "query_string": b""})
    dialect = Equaticket(gateway.services(), gateway.settings.dialects.equaticket)
    response = dialect.error_response(request, TermsRequired())
    assert response.status_code == 403
    assert b'"code":"api_terms_required"' in response.body


async def test_unexpected_error_is_internal_error_envelope(client, live_key, monkeypatch):
    from dialects.equaticket import queries

    async def boom(*args, **kwargs):
        raise RuntimeError("secret details")

    monkeypatch.setattr(queries.reads, "page", boom)
    response = await client.get(f"{API}/events", headers=bearer(live_key))
    error = _error(response, 500, "internal_error")
    assert "secret" not in error["message"]


async def test_event_body_as_form_is_400(client, live_key):
    response = await client.post(f"{API}/events", data={"title": "x"}, headers=bearer(live_key))
    _error(response, 400, "validation_error")


async def test_body_must_be_object_message(client, live_key):
    response = await client.post(f"{API}/events", json=[EVENT], headers=bearer(live_key))
    assert response.json()["error"]["message"] == "Request body must be a JSON object"


def test_new_request_ids_are_unique_also_across_forked_workers():
    import os
    import re

    from dialects.requestids import RequestIds

    new_request_id = RequestIds().new
    ids = {new_request_id() for _ in range(10_000)}
    assert len(ids) == 10_000 and all(re.fullmatch(r"req_[0-9a-f]{24}", i) for i in ids)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child writes one id and leaves at once
        os.write(write, new_request_id().encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    os.close(read)
    assert child[4:16] != new_request_id()[4:16]  # another process prefix
