"""Webhook subscriptions: CRUD, plans, URL rules, the one-time secret, delivery history."""

from __future__ import annotations

import pytest

from core.ids import parse_id
from tests.equaticket.helpers import API, bearer

SUBS = f"{API}/webhooks/subscriptions"
BODY = {"url": "https://hooks.example.com/equaticket", "event_types": ["order.placed", "ticket.scanned"]}


async def test_subscription_crud_golden(client, live_key):
    created = await client.post(SUBS, json={**BODY, "description": "CRM sync"}, headers=bearer(live_key))
    assert created.status_code == 201
    body = created.json()
    assert body == {
        "id": body["id"],
        "object": "webhook_subscription",
        "livemode": True,
        "url": "https://hooks.example.com/equaticket",
        "event_types": ["order.placed", "ticket.scanned"],
        "description": "CRM sync",
        "enabled": True,
        "disabled_reason": None,
        "secret": body["secret"],
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert body["id"].startswith("whsub_") and body["secret"].startswith("whsec_")
    shown = {k: v for k, v in body.items() if k != "secret"}
    got = await client.get(f"{SUBS}/{body['id']}", headers=bearer(live_key))
    assert got.json() == shown  # the secret is never shown again
    listed = await client.get(SUBS, headers=bearer(live_key))
    assert listed.json() == {"livemode": True, "data": [shown], "has_more": False, "next_cursor": None}
    patched = await client.patch(
        f"{SUBS}/{body['id']}", json={"enabled": False, "event_types": ["event.sold_out"]}, headers=bearer(live_key)
    )
    assert (patched.json()["enabled"], patched.json()["event_types"]) == (False, ["event.sold_out"])
    assert "secret" not in patched.json()
    deleted = await client.delete(f"{SUBS}/{body['id']}", headers=bearer(live_key))
    assert deleted.json() == {"id": body["id"], "object": "webhook_subscription", "livemode": True, "deleted": True}
    assert (await client.get(f"{SUBS}/{body['id']}", headers=bearer(live_key))).status_code == 404
    assert (await client.delete(f"{SUBS}/{body['id']}", headers=bearer(live_key))).status_code == 404


@pytest.mark.parametrize("plan", ["free", "starter"])
async def test_only_growth_and_pro_may_subscribe(client, make_box_office, make_key, plan):
    key = await make_key(await make_box_office(plan=plan), "equaticket")
    response = await client.post(SUBS, json=BODY, headers=bearer(key))
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "forbidden" and "Growth and Pro" in error["message"]


async def test_growth_plan_may_subscribe(client, make_box_office, make_key):
    key = await make_key(await make_box_office(plan="growth"), "equaticket")
    assert (await client.post(SUBS, json=BODY, headers=bearer(key))).status_code == 201


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({**BODY, "url": "http://hooks.example.com/x"}, "url"),
        ({**BODY, "url": "ftp://hooks.example.com/x"}, "url"),
        ({**BODY, "url": "https://user:pw@hooks.example.com/x"}, "url"),
        ({**BODY, "url": "not a url"}, "url"),
        ({**BODY, "url": "https://[::1"}, "url"),
        ({**BODY, "event_types": []}, "event_types"),
        ({**BODY, "event_types": ["order.exploded"]}, "event_types.0"),
        ({**BODY, "event_types": "order.placed"}, "event_types"),
        ({"url": BODY["url"]}, "event_types"),
        ({**BODY, "secret": "mine"}, "secret"),
    ],
)
async def test_subscription_validation(client, live_key, body, param):
    response = await client.post(SUBS, json=body, headers=bearer(live_key))
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == param


@pytest.mark.parametrize("url", ["http://localhost:9000/hook", "http://127.0.0.1/hook", "http://[::1]:8080/h"])
async def test_http_allowed_for_loopback_in_development(client, live_key, url):
    response = await client.post(SUBS, json={**BODY, "url": url}, headers=bearer(live_key))
    assert response.status_code == 201, response.text


async def test_delivery_history(client, live_key, box_office, conn):
    sub = (await client.post(SUBS, json=BODY, headers=bearer(live_key))).json()
    sub_id = parse_id("webhook_subscription", sub["id"])
    event_id = await conn.fetchval(
        "INSERT INTO webhook_events (box_office_id, livemode, type, payload) VALUES ($1, true, 'order.placed',"
        " $2) RETURNING id",
        box_office["id"],
        {"id": "ord_1"},
    )
    delivery_id = await conn.fetchval(
        "INSERT INTO webhook_deliveries (event_id, subscription_id, status, attempts, last_status_code)"
        " VALUES ($1, $2, 'succeeded', 2, 200) RETURNING id",
        event_id,
        sub_id,
    )
    await conn.execute(
        "INSERT INTO webhook_attempts (delivery_id, attempted_at, status_code, duration_ms, error) VALUES"
        " ($1, now(), 500, 12, 'HTTP 500'), ($1, now(), 200, 8, NULL)",
        delivery_id,
    )
    response = await client.get(f"{SUBS}/{sub['id']}/deliveries", headers=bearer(live_key))
    assert response.status_code == 200
    body = response.json()
    item = body["data"][0]
    assert body["livemode"] is True and body["has_more"] is False and len(body["data"]) == 1
    assert item == {
        "id": f"whdel_{delivery_id}",
        "object": "webhook_delivery",
        "livemode": True,
        "subscription_id": sub["id"],
        "webhook_event_id": f"whevt_{event_id}",
        "event_type": "order.placed",
        "payload": {"id": "ord_1"},
        "status": "succeeded",
        "attempt_count": 2,
        "next_attempt_at": None,
        "last_status_code": 200,
        "last_error": None,
        "attempts": [
            {
                "attempted_at": item["attempts"][0]["attempted_at"],
                "status_code": 500,
                "duration_ms": 12,
                "error": "HTTP 500",
            },
            {"attempted_at": item["attempts"][1]["attempted_at"], "status_code": 200, "duration_ms": 8, "error": None},
        ],
        "created_at": item["created_at"],
        "updated_at": item["updated_at"],
    }


async def test_deliveries_of_unknown_subscription_is_404(client, live_key, test_key):
    sub = (await client.post(SUBS, json=BODY, headers=bearer(live_key))).json()
    response = await client.get(f"{SUBS}/{sub['id']}/deliveries", headers=bearer(test_key))
    assert response.status_code == 404


async def test_webhook_scopes(client, box_office, make_key):
    reader = await make_key(box_office, "equaticket", scopes=["webhooks:read"])
    assert (await client.get(SUBS, headers=bearer(reader))).status_code == 200
    refused = await client.post(SUBS, json=BODY, headers=bearer(reader))
    assert refused.status_code == 403 and "webhooks:write" in refused.json()["error"]["message"]
