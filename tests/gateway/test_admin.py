"""The operator HTTP API under /admin/v1."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from core.models import Scope
from gateway.admin import admin_app
from tests.factories import event_with_type

AUTH = {"authorization": "Bearer test-admin-token"}


@pytest.fixture
async def admin(gateway) -> AsyncIterator[httpx.AsyncClient]:
    app = Starlette(routes=[Mount("/admin/v1", app=admin_app(gateway))])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t/admin/v1",
                                 headers=AUTH) as c:
        yield c


async def _office(admin: httpx.AsyncClient, **extra: object) -> str:
    slug = f"adm-{uuid.uuid4().hex[:10]}"
    made = await admin.post("/box-offices", json={"name": "Admin Test", "slug": slug, "plan": "growth",
                                                 "api_terms_accepted": True, **extra})
    assert made.status_code == 201, made.text
    return slug


async def _event(conn, slug: str) -> tuple[int, int]:
    office = await conn.fetchval("SELECT id FROM box_offices WHERE slug = $1", slug)
    return await event_with_type(conn, Scope(office, True), title="Gig", price=1500, quantity=3)


async def test_admin_requires_the_token(admin):
    refused = await admin.get("/box-offices", headers={"authorization": "Bearer nope"})
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"


async def test_keys_lifecycle(admin):
    slug = await _office(admin)
    made = await admin.post(f"/box-offices/{slug}/keys", json={"dialect": "equaticket", "mode": "test",
                                                              "scopes": ["events:read"]})
    assert made.status_code == 201
    key = made.json()["data"]
    assert key["secret"].startswith("sk_test_") and key["scopes"] == ["events:read"]
    listed = (await admin.get(f"/box-offices/{slug}/keys")).json()["data"]
    assert [k["id"] for k in listed] == [key["id"]] and "secret" not in listed[0]
    revoked = await admin.post(f"/keys/{key['id']}/revoke", json={})
    assert revoked.json()["data"]["revoked_at"] is not None


async def test_equaticket_key_needs_api_terms(admin):
    slug = await _office(admin, api_terms_accepted=False)
    refused = await admin.post(f"/box-offices/{slug}/keys", json={"dialect": "equaticket"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "api_terms_required"


async def test_ticketsmart_key_limit(admin):
    slug = await _office(admin)
    for _ in range(10):
        assert (await admin.post(f"/box-offices/{slug}/keys", json={"dialect": "ticketsmart"})).status_code == 201
    refused = await admin.post(f"/box-offices/{slug}/keys", json={"dialect": "ticketsmart"})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "key_limit_reached"


async def test_orders_refunds_voids_and_check_ins(admin, conn):
    slug = await _office(admin)
    event_id, type_id = await _event(conn, slug)
    order = await admin.post(f"/box-offices/{slug}/orders", json={
        "event": f"ev_{event_id}", "tickets": [f"tt_{type_id}:2"], "email": "buyer@example.com"})
    assert order.status_code == 201, order.text
    body = order.json()["data"]
    assert body["total"] == 3000 and len(body["tickets"]) == 2
    first, second = body["tickets"]
    checked = await admin.post(f"/box-offices/{slug}/tickets/{first['barcode']}/checkin", json={"nonce": "n1"})
    assert checked.json()["data"]["new_check_in"] is True
    again = await admin.post(f"/box-offices/{slug}/tickets/it_{first['id']}/checkin", json={"nonce": "n1"})
    assert again.json()["data"]["new_check_in"] is False
    voided = await admin.post(f"/box-offices/{slug}/tickets/{second['id']}/void", json={})
    assert voided.json()["data"]["status"] == "void"
    refund = await admin.post(f"/box-offices/{slug}/orders/or_{body['id']}/refund", json={"amount": 1000})
    assert refund.json()["data"]["refund_amount"] == 1000
    sold_out = await admin.post(f"/box-offices/{slug}/orders", json={
        "event": str(event_id), "tickets": [f"{type_id}:3"], "email": "late@example.com"})
    assert sold_out.status_code == 422 and sold_out.json()["error"]["code"] == "sold_out"


@pytest.mark.parametrize("body", [
    [], "x", {"tickets": "tt_1"}, {"event": 5, "tickets": [7], "email": "a@b.c"},
    {"event": "nope", "tickets": ["tt_1"], "email": "a@b.c"}, {"unknown": 1},
])
async def test_bad_order_input_is_a_clear_error(admin, body):
    slug = await _office(admin)
    response = await admin.post(f"/box-offices/{slug}/orders", json=body)
    assert 400 <= response.status_code < 500 and "error" in response.json()


async def test_bad_json_and_unknown_box_office(admin):
    bad = await admin.post("/box-offices", content=b"{", headers={"content-type": "application/json"})
    assert bad.status_code == 400
    missing = await admin.get("/box-offices/none-such/keys")
    assert missing.status_code == 404
    dup = await _office(admin)
    taken = await admin.post("/box-offices", json={"name": "x", "slug": dup})
    assert taken.status_code == 409


async def test_reset_test_data_keeps_live_data(admin, conn):
    from core import events
    from core.models import EventCreate, Scope, parse

    slug = await _office(admin)
    office = await conn.fetchval("SELECT id FROM box_offices WHERE slug = $1", slug)
    data = parse(EventCreate, {"title": "Either", "starts_at": "2031-01-01T20:00:00Z"})
    live = await events.create_event(conn, Scope(office, True), data)
    await events.create_event(conn, Scope(office, False), data)
    reset = await admin.post(f"/box-offices/{slug}/reset-test-data", json={})
    assert reset.status_code == 201 and reset.json()["data"]["deleted"]["events"] == 1
    remaining = await conn.fetch("SELECT id FROM events WHERE box_office_id = $1", office)
    assert [r["id"] for r in remaining] == [live["id"]]
