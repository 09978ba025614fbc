"""Operator checkouts honour Idempotency-Key, on Equaticket's records (core.idempotency).

A client whose connection dropped after its order committed retries with the same key and
hears the stored answer (201, the same order) instead of buying twice.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

from core.models import Scope
from gateway.admin import admin_app
from tests.factories import event_with_type

AUTH = {"authorization": "Bearer test-admin-token-0123456789"}  # tests/conftest.py's token


@pytest.fixture(scope="module")
def operator_api(gateway) -> Starlette:
    return Starlette(routes=[Mount("/admin/v1", app=admin_app(gateway))])


@pytest.fixture
async def admin(operator_api) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=operator_api), base_url="http://t/admin/v1",
                                 headers=AUTH) as c:
        yield c


@pytest.fixture
async def sale(admin, conn) -> dict[str, Any]:
    """A box office with an event of 3 seats at 15.00, and the order body buying 2 of them."""
    slug = f"idem-{uuid.uuid4().hex[:10]}"
    made = await admin.post("/box-offices", json={"name": "Idem", "slug": slug, "plan": "growth"})
    assert made.status_code == 201, made.text
    office = await conn.fetchval("SELECT id FROM box_offices WHERE slug = $1", slug)
    event_id, type_id = await event_with_type(conn, Scope(office, True), title="Gig", price=1500, quantity=3)
    return {"path": f"/box-offices/{slug}/orders", "office": office, "event": event_id,
            "body": {"event": f"ev_{event_id}", "tickets": [f"tt_{type_id}:2"], "email": "buyer@example.com"}}


async def _orders(conn, sale: dict[str, Any]) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM orders WHERE event_id = $1", sale["event"]))


def _key() -> dict[str, str]:
    return {"idempotency-key": f"retry-{uuid.uuid4().hex}"}


async def test_a_retry_replays_the_order_without_buying_twice(admin, conn, sale):
    key = _key()
    first = await admin.post(sale["path"], json=sale["body"], headers=key)
    assert first.status_code == 201, first.text
    # the same JSON value, written differently, is the same request
    again = await admin.post(sale["path"], content=orjson.dumps(dict(reversed(sale["body"].items()))),
                             headers={**key, "content-type": "application/json"})
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json() and "idempotent-replayed" not in first.headers
    assert await _orders(conn, sale) == 1
    fresh = await admin.post(sale["path"], json={**sale["body"], "tickets": [sale["body"]["tickets"][0][:-2]]},
                             headers=_key())  # another key is another order (one seat is left)
    assert fresh.status_code == 201 and await _orders(conn, sale) == 2


async def test_the_same_key_with_another_body_is_refused(admin, conn, sale):
    key = _key()
    assert (await admin.post(sale["path"], json=sale["body"], headers=key)).status_code == 201
    other = await admin.post(sale["path"], json={**sale["body"], "email": "someone@example.com"}, headers=key)
    assert other.status_code == 422
    assert other.json()["error"] == {"code": "unprocessable",
                                     "message": "This Idempotency-Key was already used with a different request"}
    assert await _orders(conn, sale) == 1


async def test_concurrent_duplicates_make_one_order(admin, conn, sale):
    key = _key()
    answers = await asyncio.gather(*(admin.post(sale["path"], json=sale["body"], headers=key) for _ in range(10)))
    codes = sorted(a.status_code for a in answers)
    assert set(codes) <= {201, 409} and 201 in codes, codes
    for busy in (a for a in answers if a.status_code == 409):
        assert busy.json()["error"]["code"] == "conflict"
    assert len({a.json()["data"]["id"] for a in answers if a.status_code == 201}) == 1
    assert await _orders(conn, sale) == 1
    settled = await admin.post(sale["path"], json=sale["body"], headers=key)
    assert settled.status_code == 201 and settled.headers["idempotent-replayed"] == "true"


async def test_a_refusal_is_replayed_too_and_a_bad_key_is_400(admin, conn, sale):
    key = _key()
    too_many = {**sale["body"], "tickets": [sale["body"]["tickets"][0][:-1] + "4"]}
    refused = await admin.post(sale["path"], json=too_many, headers=key)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "sold_out"
    again = await admin.post(sale["path"], json=too_many, headers=key)
    assert again.status_code == 422 and again.headers["idempotent-replayed"] == "true"
    for bad in ("", "k" * 251, "tab\there"):
        response = await admin.post(sale["path"], json=sale["body"], headers={"idempotency-key": bad})
        assert response.status_code == 400 and response.json()["error"]["code"] == "bad_request", bad
    longest = await admin.post(sale["path"], json=sale["body"], headers={"idempotency-key": "k" * 250})
    assert longest.status_code == 201


async def test_keys_are_apart_per_box_office_and_from_equaticket_records(admin, conn, sale):
    key = _key()
    assert (await admin.post(sale["path"], json=sale["body"], headers=key)).status_code == 201
    stored = await conn.fetchval("SELECT key FROM idempotency_keys WHERE box_office_id = $1", sale["office"])
    assert stored == "admin:" + key["idempotency-key"]  # an Equaticket key of the same text is another record
    missing = await admin.post("/box-offices/no-such-office/orders", json=sale["body"], headers=key)
    assert missing.status_code == 404


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def served(operator_api) -> AsyncIterator[str]:
    """The operator API under a real uvicorn on loopback: a client can hang up on it."""
    port = _free_port()
    config = uvicorn.Config(operator_api, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.get_running_loop().create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await asyncio.wait_for(task, 10)


async def test_a_retry_after_the_connection_dropped(served, conn, sale):
    """The first request is sent whole and the client hangs up without reading the answer; once
    its order is committed, the retry hears that order (409 while its answer is being stored)."""
    key = _key()["idempotency-key"]
    body = orjson.dumps(sale["body"])
    head = (f"POST /admin/v1{sale['path']} HTTP/1.1\r\nhost: t\r\nauthorization: {AUTH['authorization']}\r\n"
            f"idempotency-key: {key}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n")
    _, writer = await asyncio.open_connection("127.0.0.1", int(served.rsplit(":", 1)[1]))
    writer.write(head.encode() + body)
    await writer.drain()
    writer.close()  # gone before any answer
    for _ in range(500):
        if await _orders(conn, sale):
            break
        await asyncio.sleep(0.01)
    async with httpx.AsyncClient(base_url=f"{served}/admin/v1", headers=AUTH) as client:
        for _ in range(200):
            retry = await client.post(sale["path"], json=sale["body"], headers={"idempotency-key": key})
            if retry.status_code != 409:
                break
            await asyncio.sleep(0.02)
    assert retry.status_code == 201 and retry.headers["idempotent-replayed"] == "true", retry.text
    assert await _orders(conn, sale) == 1
    placed = await conn.fetchval("SELECT id FROM orders WHERE event_id = $1", sale["event"])
    assert retry.json()["data"]["id"] == placed
