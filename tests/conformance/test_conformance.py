"""One suite, every dialect: auth, isolation, paging, errors, rate limits, CORS, shared core."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from core import events, keys
from core.models import EventCreate, Scope, parse
from gateway.ratelimit import RateLimiter
from tests.conformance.adapters import ADAPTERS, Adapter

pytestmark = pytest.mark.parametrize("d", ADAPTERS, ids=[a.name for a in ADAPTERS])


async def _events(conn, office, n: int, *, livemode: bool = True) -> list[int]:
    scope = Scope(office["id"], livemode)
    made = []
    for i in range(n):
        row = await events.create_event(conn, scope, parse(EventCreate, {
            "title": f"Conformance {i}", "starts_at": f"2031-0{1 + i % 9}-01T19:00:00Z",
            "ticket_types": [{"name": "GA", "price": 1000, "quantity": 10}]}))
        made.append(row["id"])
    return made


async def test_missing_malformed_and_unknown_keys_are_401(d: Adapter, client):
    for headers in (*d.malformed_auth, d.auth("ts_sk_live_unknownunknownunknown"), d.auth("sk_live_nope"),
                    d.auth("sk_1_1_0123456789abcdef")):
        response = await client.get(d.url(d.events), headers=headers)
        assert response.status_code == 401, (headers, response.text)
        assert d.is_error(response.json()), response.text


async def test_revoked_and_foreign_dialect_keys_are_401(d: Adapter, client, conn, box_office, make_key):
    secret = await make_key(box_office, d.name)
    assert (await client.get(d.url(d.events), headers=d.auth(secret))).status_code == 200
    key_id = await conn.fetchval("SELECT max(id) FROM api_keys WHERE box_office_id = $1", box_office["id"])
    await keys.revoke_key(conn, key_id)
    import asyncio

    await asyncio.sleep(0.05)  # the NOTIFY reaches this process's listener
    assert (await client.get(d.url(d.events), headers=d.auth(secret))).status_code == 401
    for other in ("ticketsmart", "tickettailor", "equaticket"):
        if other != d.name:
            foreign = await make_key(box_office, other)
            assert (await client.get(d.url(d.events), headers=d.auth(foreign))).status_code == 401


async def test_other_box_office_and_other_mode_are_not_found(d: Adapter, client, conn, box_office,
                                                             make_box_office, make_key):
    [mine] = await _events(conn, box_office, 1)
    stranger = await make_box_office()
    foreign = await make_key(stranger, d.name)
    response = await client.get(d.url(f"{d.events}/{d.event_id(mine)}"), headers=d.auth(foreign))
    assert response.status_code == 404 and d.is_error(response.json())
    test_key = await make_key(box_office, d.name, mode="test")
    response = await client.get(d.url(f"{d.events}/{d.event_id(mine)}"), headers=d.auth(test_key))
    assert response.status_code == 404
    listed = await client.get(d.url(d.events), headers=d.auth(test_key))
    assert d.items(listed.json()) == []


async def test_paging_walks_every_event_once(d: Adapter, client, conn, box_office, make_key):
    made = await _events(conn, box_office, 7)
    secret = await make_key(box_office, d.name)
    params: dict[str, str] | None = dict(d.first_page)
    seen: list[str] = []
    while params is not None:
        response = await client.get(d.url(d.events), headers=d.auth(secret), params=params)
        assert response.status_code == 200, response.text
        page = d.items(response.json())
        assert len(page) <= 3
        seen += [item["id"] for item in page]
        params = d.next_page(response, params)
    assert sorted(seen) == sorted(d.event_id(n) for n in made)


async def test_bad_parameters_are_400_in_the_dialect_format(d: Adapter, client, box_office, make_key):
    secret = await make_key(box_office, d.name)
    for params in d.bad_params:
        response = await client.get(d.url(d.events), headers=d.auth(secret), params=params)
        assert response.status_code == 400, (params, response.text)
        assert d.is_error(response.json())


async def test_unknown_routes_and_ids_never_500(d: Adapter, client, box_office, make_key):
    secret = await make_key(box_office, d.name)
    for path in ("/nowhere", f"{d.events}/{d.event_id(999999999)}", f"{d.events}/%00", f"{d.events}/x" * 50):
        response = await client.get(d.url(path), headers=d.auth(secret))
        assert response.status_code in (400, 404), (path, response.status_code)
        assert d.is_error(response.json())
    posted = await client.post(d.url(d.events), headers={**d.auth(secret), "content-type": "application/json"},
                               content=b"{not json")
    assert posted.status_code in (400, 404, 405) and d.is_error(posted.json())


async def test_events_are_one_core_across_dialects(d: Adapter, client, conn, box_office, make_key):
    [made] = await _events(conn, box_office, 1)
    secret = await make_key(box_office, d.name)
    response = await client.get(d.url(f"{d.events}/{d.event_id(made)}"), headers=d.auth(secret))
    assert response.status_code == 200
    body = response.json()
    assert body.get("id") == d.event_id(made) or body.get("event", {}).get("id") == d.event_id(made)


@pytest.fixture(scope="module")
async def limited(app_with: Any) -> AsyncIterator[httpx.AsyncClient]:
    """Every dialect with its small limits, counted by a limiter of this module's own."""
    overrides: dict[str, Any] = {}
    for adapter in ADAPTERS:
        overrides.update(adapter.rate_limit_settings)
    app = app_with(*(a.name for a in ADAPTERS), settings=overrides, limiter=RateLimiter("memory://"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c


async def test_rate_limit_is_per_key_with_retry_after(d: Adapter, limited, box_office, make_key):
    secret, other = await make_key(box_office, d.name), await make_key(box_office, d.name)
    codes = [(await limited.get(d.url(d.events), headers=d.auth(secret))).status_code for _ in range(3)]
    refused = await limited.get(d.url(d.events), headers=d.auth(secret))
    assert codes == [200, 200, 200] and refused.status_code == 429
    assert d.is_error(refused.json()) and int(refused.headers["retry-after"]) >= 1
    assert (await limited.get(d.url(d.events), headers=d.auth(other))).status_code == 200


async def test_cors(d: Adapter, client, box_office, make_key):
    if not d.cors:  # undocumented there: OPTIONS is just another refused method, in the vendor's format
        response = await client.options(d.url(d.events), headers={"origin": "https://shop.example"})
        assert response.status_code in (404, 405) and d.is_error(response.json())
        assert "access-control-allow-origin" not in response.headers
        return
    preflight = await client.options(d.url(d.events), headers={
        "origin": "https://shop.example", "access-control-request-method": "POST"})
    assert preflight.status_code in (200, 204)
    refused = await client.get(d.url(d.events))
    for response in (preflight, refused):
        assert response.headers["access-control-allow-origin"] == "*"
        assert response.headers["access-control-allow-methods"] == "GET, POST, PATCH, OPTIONS"
        assert response.headers["access-control-allow-headers"] == "Content-Type, x-api-key"
