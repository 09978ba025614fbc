"""Products, discounts, vouchers and waitlists through the operator API and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from core.models import Scope
from gateway.admin import admin_app
from tests.factories import event_with_type

AUTH = {"authorization": "Bearer test-admin-token-0123456789"}
CLI = os.path.join(os.path.dirname(sys.executable), "ticketgate")


@pytest.fixture
async def admin(gateway) -> AsyncIterator[httpx.AsyncClient]:
    app = Starlette(routes=[Mount("/admin/v1", app=admin_app(gateway))])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t/admin/v1",
                                 headers=AUTH) as c:
        yield c


async def _office(admin: httpx.AsyncClient) -> str:
    slug = f"off-{uuid.uuid4().hex[:10]}"
    made = await admin.post("/box-offices", json={"name": "Offers", "slug": slug, "currency": "GBP"})
    assert made.status_code == 201, made.text
    return slug


async def _post(admin: httpx.AsyncClient, path: str, **body: object) -> dict:
    answer = await admin.post(path, json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]


async def test_an_order_with_a_product_a_discount_and_a_voucher(admin, conn):
    slug = await _office(admin)
    office = await conn.fetchval("SELECT id FROM box_offices WHERE slug = $1", slug)
    event_id, type_id = await event_with_type(conn, Scope(office, True), title="Gig", price=2000, quantity=1)
    base = f"/box-offices/{slug}"
    mug = await _post(admin, f"{base}/products", name="Mug", price=800, quantity=5)
    assert (mug["currency"], mug["all_series"], mug["quantity"]) == ("GBP", True, 5)
    await _post(admin, f"{base}/discounts", name="Early", code="EARLY", face_value_amount=500,
                ticket_type_ids=[f"tt_{type_id}"])
    voucher = await _post(admin, f"{base}/vouchers", name="Gift", value=1000, codes=["G1"], generate=1)
    assert [c["remaining"] for c in voucher["codes"]] == [1000, 1000]
    order = await _post(admin, f"{base}/orders", event=f"ev_{event_id}", tickets=[f"tt_{type_id}"],
                        products=[f"pr_{mug['id']}:2"], discount_code="early", voucher_code="g1", email="a@b.co")
    assert (order["subtotal"], order["discount_amount"], order["voucher_amount"], order["total"]) == (
        2000 + 1600 - 500, 500, 1000, 2100)
    codes = (await admin.get(f"{base}/vouchers/vo_{voucher['id']}/codes")).json()["data"]
    assert sorted(c["remaining"] for c in codes) == [0, 1000]
    listed = (await admin.get(f"{base}/vouchers")).json()["data"]
    assert [(v["total_codes"], v["available_codes"]) for v in listed] == [(2, 1)]
    assert [p["sold"] for p in (await admin.get(f"{base}/products")).json()["data"]] == [2]
    assert [d["uses"] for d in (await admin.get(f"{base}/discounts")).json()["data"]] == [1]

    refused = await admin.post(f"{base}/orders", json={"event": event_id, "tickets": [str(type_id)],
                                                        "products": [str(mug["id"])], "email": "a@b.co"})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "sold_out"
    # sold out now: the waitlist takes a signup, listed under the event's series
    signup = await _post(admin, f"{base}/waitlist", event_id=f"ev_{event_id}", email="w@b.co")
    waiting = (await admin.get(f"{base}/event-series/es_{signup['series_id']}/waitlist")).json()["data"]
    assert [w["email"] for w in waiting] == ["w@b.co"]


async def test_refusals_name_their_code(admin, conn):
    slug = await _office(admin)
    office = await conn.fetchval("SELECT id FROM box_offices WHERE slug = $1", slug)
    event_id, type_id = await event_with_type(conn, Scope(office, True), title="Gig", price=500)
    base = f"/box-offices/{slug}"
    await _post(admin, f"{base}/vouchers", name="Small", value=500, codes=["ONCE"], partial_redemption=False)
    order = {"event": event_id, "tickets": [str(type_id)], "voucher_code": "ONCE", "email": "a@b.co"}
    assert (await admin.post(f"{base}/orders", json=order)).status_code == 201
    used = await admin.post(f"{base}/orders", json=order)
    assert used.status_code == 422 and used.json()["error"]["code"] == "code_used_up"
    early = await admin.post(f"{base}/waitlist", json={"event_id": str(event_id), "email": "w@b.co"})
    assert early.status_code == 422 and early.json()["error"]["code"] == "not_sold_out"
    bad = await admin.post(f"{base}/discounts", json={"name": "X", "code": "X", "face_value_amount": 1,
                                                       "ticket_type_ids": ["tt_999999999"]})
    assert bad.status_code == 400 and bad.json()["error"]["fields"][0]["field"] == "ticket_type_ids.0"
    assert (await admin.get(f"{base}/vouchers/vo_999999999/codes")).status_code == 404


def test_the_cli_creates_and_lists_vouchers(database_dsn):
    def run(*args: str) -> dict:
        env = {**os.environ, "DATABASE_URL": database_dsn}
        done = subprocess.run([CLI, "--json", *args], capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    slug = f"cli-{uuid.uuid4().hex[:8]}"
    run("boxoffice", "create", "--name", "CLI Offers", "--slug", slug)
    voucher = run("vouchers", "create", "--box-office", slug, "--name", "Gift", "--value", "2500", "--generate", "3")
    assert len(voucher["codes"]) == 3 and voucher["currency"] == "USD"
    codes = run("vouchers", "codes", "--box-office", slug, str(voucher["id"]))["data"]
    assert sorted(c["code"] for c in codes) == sorted(c["code"] for c in voucher["codes"])
    product = run("products", "create", "--box-office", slug, "--name", "Poster", "--price", "700")
    assert run("products", "list", "--box-office", slug)["data"][0]["id"] == product["id"]
