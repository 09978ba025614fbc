"""Orders placed through the operator API appear here, with their issued tickets."""

from __future__ import annotations

import uuid

import httpx

from core.events import ticket_types_for
from core.models import Scope
from tests.tickettailor.conftest import BASE, basic, make_event

ADMIN = {"authorization": "Bearer test-admin-token-0123456789"}


async def test_operator_order_shows_up_with_tickets(app, conn):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        slug = f"tt-{uuid.uuid4().hex[:10]}"
        office = (await http.post("/admin/v1/box-offices", headers=ADMIN, json={
            "name": "Operator", "slug": slug, "plan": "pro", "payments_connected": True})).json()["data"]
        key = (await http.post(f"/admin/v1/box-offices/{slug}/keys", headers=ADMIN,
                               json={"dialect": "tickettailor"})).json()["data"]
        event = await make_event(conn, Scope(office["id"], True))
        type_id = (await ticket_types_for(conn, [event["id"]]))[0]["id"]
        made = await http.post(f"/admin/v1/box-offices/{slug}/orders", headers=ADMIN, json={
            "event": event["slug"], "tickets": [f"{type_id}:2"], "email": "op@example.com", "name": "Op Er"})
        assert made.status_code == 201, made.text
        order_id = made.json()["data"]["id"]
        auth = basic(key["secret"])
        body = (await http.get(f"{BASE}/orders/or_{order_id}", headers=auth)).json()
        assert body["buyer_details"]["email"] == "op@example.com"
        assert body["total"] == 1600 and body["payment_method"]["type"] == "operator"
        assert len(body["issued_tickets"]) == 2
        tickets = (await http.get(f"{BASE}/issued_tickets?order_id={order_id}", headers=auth)).json()
        assert {t["id"] for t in tickets["data"]} == {t["id"] for t in body["issued_tickets"]}
