"""Shared helpers of the Equaticket wire tests."""

from __future__ import annotations

from typing import Any

import httpx

from core.checkout import Checkout
from core.ids import parse_id
from core.models import OrderCreate, Scope, parse

API = "/equaticket/api/v1"
EVENT = {
    "title": "Spring Workshop",
    "slug": "spring-workshop-2026",
    "timezone": "America/Chicago",
    "starts_at": "2030-09-15T18:00:00Z",
    "currency": "usd",
}
TICKET_TYPE = {"name": "General Admission", "price": 2500, "currency": "usd", "quantity_total": 100}


def bearer(key: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", **extra}


async def create_event(client: httpx.AsyncClient, key: str, **fields: Any) -> dict[str, Any]:
    response = await client.post(f"{API}/events", json={**EVENT, **fields}, headers=bearer(key))
    assert response.status_code == 201, response.text
    return response.json()


async def create_type(client: httpx.AsyncClient, key: str, event_id: str, **fields: Any) -> dict[str, Any]:
    response = await client.post(
        f"{API}/events/{event_id}/ticket-types", json={**TICKET_TYPE, **fields}, headers=bearer(key)
    )
    assert response.status_code == 201, response.text
    return response.json()


async def seed_order(
    conn: Any,
    office: Any,
    livemode: bool,
    event_id: str,
    type_id: str,
    checkout: Checkout,
    quantity: int = 1,
    email: str = "jane@example.com",
) -> Any:
    data = parse(
        OrderCreate,
        {
            "event_id": parse_id("event", event_id),
            "buyer": {"email": email, "name": "Jane Doe"},
            "lines": [{"ticket_type_id": parse_id("ticket_type", type_id), "quantity": quantity}],
        },
    )
    return await checkout.place(conn, Scope(office["id"], livemode), data)


async def event_with_type(client: httpx.AsyncClient, key: str, **type_fields: Any) -> tuple[str, str]:
    event = await create_event(client, key, slug=None)
    ticket_type = await create_type(client, key, event["id"], **type_fields)
    return event["id"], ticket_type["id"]
