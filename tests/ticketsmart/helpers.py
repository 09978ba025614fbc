"""Shared expectations of the TicketSmart wire tests."""

from __future__ import annotations

import re
from typing import Any

CORS = {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "GET, POST, PATCH, OPTIONS",
    "access-control-allow-headers": "Content-Type, x-api-key",
}
UNAUTHORIZED = {"error": "Unauthorized", "hint": "Send your API key in the x-api-key request header"}
NOT_FOUND = {"error": "Event not found"}
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def assert_cors(response: Any) -> None:
    for name, value in CORS.items():
        assert response.headers[name] == value, name


def ticket_type(number: int, name: str = "General Admission", price: int = 2500, quantity: int = 120,
                **overrides: Any) -> dict[str, Any]:
    return {
        "id": f"tkt_{number}", "name": name, "description": None, "price": price, "quantity": quantity,
        "sold": 0, "available": quantity, "soldOut": quantity == 0, "onSale": quantity > 0,
        "saleStartsAt": None, "saleEndsAt": None, "minPerOrder": 1, "maxPerOrder": 100,
        "hidden": False, "sortOrder": 0, **overrides,
    }


def event(body: dict[str, Any], office_slug: str, **fields: Any) -> dict[str, Any]:
    """The expected event with the server-set timestamps taken from ``body`` once checked."""
    assert ISO.match(body["createdAt"]) and ISO.match(body["updatedAt"])
    slug = fields.get("slug", "comedy-night")
    return {
        "id": body["id"], "title": "Comedy Night", "slug": slug, "description": None, "status": "DRAFT",
        "startsAt": "2031-09-01T19:00:00.000Z", "endsAt": None, "doorsOpen": None, "timezone": "UTC",
        "venueName": None, "address": None, "postalCode": None, "city": None, "country": None,
        "currency": "USD", "visibility": "PUBLIC", "category": "OTHER",
        "publicUrl": f"http://localhost:8000/events/{office_slug}/{slug}",
        "ticketTypes": [], "createdAt": body["createdAt"], "updatedAt": body["updatedAt"], **fields,
    }
