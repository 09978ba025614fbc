"""HTTP Basic in every form real clients send, and the hourly limit with its headers."""

from __future__ import annotations

import base64

import pytest

from core.keys import revoke_key
from tests.tickettailor.conftest import BASE, basic

LIMIT_HEADERS = ("x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset")


def raw(value: str) -> dict[str, str]:
    return {"Authorization": value}


async def test_both_basic_forms_and_the_php_sample_form(tt, seed):
    encoded = base64.b64encode(seed.key.encode()).decode()
    for headers in (basic(seed.key), basic(seed.key, colon=False), raw(f"Basic {encoded}:"),
                    raw(f"basic {encoded.rstrip('=')}")):
        response = await tt.get(f"{BASE}/ping", headers=headers)
        assert response.status_code == 200, headers
    response = await tt.get(f"{BASE}/ping", auth=(seed.key, ""))  # httpx's own Basic auth
    assert response.status_code == 200


@pytest.mark.parametrize("headers", [
    {},
    raw("Basic"),
    raw("Basic !!!notbase64"),
    raw("Bearer sometoken"),
    raw("Basic " + base64.b64encode(b"\xff\xfe:").decode()),
    raw("Basic " + base64.b64encode(b":password").decode()),
    raw("Basic " + base64.b64encode(b"sk_1_1_nope:").decode()),
    raw("Basic " + "A" * 5000),
])
async def test_missing_or_wrong_credentials_are_401(tt, seed, headers):
    response = await tt.get(f"{BASE}/orders", headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert (body["status"], body["error_code"]) == (401, "Unauthorized") and body["message"]
    assert response.headers["www-authenticate"].startswith("Basic")
    assert not any(h in response.headers for h in LIMIT_HEADERS)


async def test_other_dialects_keys_and_revoked_keys_are_401(tt, seed, make_key, conn):
    for dialect in ("ticketsmart", "equaticket"):
        other = await make_key(seed.office, dialect)
        assert (await tt.get(f"{BASE}/ping", headers=basic(other))).status_code == 401
    key_id = await conn.fetchval("SELECT id FROM api_keys WHERE box_office_id = $1 AND dialect = 'tickettailor'",
                                 seed.office["id"])
    await revoke_key(conn, key_id)
    assert (await tt.get(f"{BASE}/ping", headers=seed.auth)).status_code == 401


async def test_every_authenticated_response_counts_and_429_says_when(make_tt, seed, small_limiter):
    client = await make_tt(limiter=small_limiter, requests_per_hour=3)
    paths = ["/ping", "/orders", "/orders/or_999999999"]
    responses = [await client.get(f"{BASE}{p}", headers=seed.auth) for p in paths]
    assert [r.status_code for r in responses] == [200, 200, 404]
    assert [r.headers["x-rate-limit-remaining"] for r in responses] == ["2", "1", "0"]
    assert all(r.headers["x-rate-limit-limit"] == "3" for r in responses)
    refused = await client.get(f"{BASE}/events", headers=seed.auth)
    assert refused.status_code == 429
    assert refused.json() == {"status": 429, "error_code": "Too Many Requests",
                              "message": "Too many requests hit the API too quickly."}
    reset = int(refused.headers["x-rate-limit-reset"])
    assert 1 <= reset <= 3600 and refused.headers["retry-after"] == str(reset)
    assert refused.headers["x-rate-limit-remaining"] == "0" and refused.headers["x-rate-limit-limit"] == "3"


async def test_limits_are_per_key(make_tt, seed, small_limiter, make_key):
    client = await make_tt(limiter=small_limiter, requests_per_hour=1)
    assert (await client.get(f"{BASE}/ping", headers=seed.auth)).status_code == 200
    assert (await client.get(f"{BASE}/ping", headers=seed.auth)).status_code == 429
    other = basic(await make_key(seed.office, "tickettailor"))
    assert (await client.get(f"{BASE}/ping", headers=other)).status_code == 200


async def test_rate_limits_off_means_no_headers(make_tt, seed):
    client = await make_tt(limiter=None)
    response = await client.get(f"{BASE}/ping", headers=seed.auth)
    assert response.status_code == 200
    assert not any(h in response.headers for h in LIMIT_HEADERS)
