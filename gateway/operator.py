"""Operator use cases shared by the CLI and the admin API.

Inputs arrive as text (any dialect's id form, slugs, ``TYPE:QTY``); outputs are plain
JSON-ready dicts. Errors stay ``CoreError``s; each surface renders them its own way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from core import boxoffices, events, keys, testdata, webhooks
from core import tickets as core_tickets
from core.checkout import Checkout
from core.clock import SystemClock
from core.errors import NotFound, ValidationFailed
from core.ids import format_id, parse_id
from core.models import BoxOfficeCreate, BoxOfficeUpdate, OrderCreate, Scope, parse
from dialects import registry


def plain(row: Any) -> dict[str, Any]:
    """A record as JSON-ready values (times as ISO-8601, bytes dropped)."""
    out: dict[str, Any] = {}
    for key, value in dict(row).items():
        if isinstance(value, bytes):
            continue
        out[key] = value.isoformat() if isinstance(value, datetime) else value
    return out


def mode_of(mode: str) -> bool:
    if mode not in ("live", "test"):
        raise ValidationFailed.single("mode", "must be live or test")
    return mode == "live"


def require_id(kind: str, text: str) -> int:
    number = parse_id(kind, str(text))
    if number is None:
        raise ValidationFailed.single(kind, f"{text!r} is not a valid {kind.replace('_', ' ')} id")
    return number


async def _scope(conn: asyncpg.Connection, box_office: str, mode: str) -> Scope:
    if not isinstance(box_office, str):
        raise ValidationFailed.single("box_office", "must be a slug")
    office = await boxoffices.get_box_office(conn, box_office)
    return Scope(office["id"], mode_of(mode))


async def create_box_office(conn: asyncpg.Connection, fields: dict[str, Any]) -> dict[str, Any]:
    return plain(await boxoffices.create_box_office(conn, parse(BoxOfficeCreate, fields)))


async def update_box_office(conn: asyncpg.Connection, slug: str, fields: dict[str, Any]) -> dict[str, Any]:
    return plain(await boxoffices.update_box_office(conn, slug, parse(BoxOfficeUpdate, fields)))


async def list_box_offices(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    return [plain(r) for r in await boxoffices.list_box_offices(conn)]


async def create_key(
    conn: asyncpg.Connection, box_office: str, dialect: str, *, scopes: list[str] | None = None,
    mode: str = "live", name: str = "",
) -> dict[str, Any]:
    for field, value in (("dialect", dialect), ("name", name)):
        if not isinstance(value, str):
            raise ValidationFailed.single(field, "must be a string")
    if scopes is not None and not (isinstance(scopes, list) and all(isinstance(s, str) for s in scopes)):
        raise ValidationFailed.single("scopes", "must be a list of strings")
    if dialect not in registry.NAMES:
        raise ValidationFailed.single("dialect", f"must be one of {', '.join(registry.NAMES)}")
    office = await boxoffices.get_box_office(conn, box_office)
    row, secret = await keys.create_key(
        conn, office["id"], registry.key_rules(dialect), livemode=mode_of(mode), scopes=scopes, name=name
    )
    return {**_key(row), "secret": secret}


def _key(row: Any) -> dict[str, Any]:
    out = plain(row)
    out["id"] = format_id("key_", row["id"])
    out["mode"] = "live" if out.pop("livemode") else "test"
    return out


async def list_keys(conn: asyncpg.Connection, box_office: str) -> list[dict[str, Any]]:
    office = await boxoffices.get_box_office(conn, box_office)
    return [_key(r) for r in await keys.list_keys(conn, office["id"])]


async def revoke_key(conn: asyncpg.Connection, key_id: str) -> dict[str, Any]:
    return _key(await keys.revoke_key(conn, require_id("api_key", key_id)))


def parse_ticket_spec(spec: str) -> tuple[str, int]:
    if not isinstance(spec, str):
        raise ValidationFailed.single("tickets", "each ticket must be a string TYPE or TYPE:QUANTITY")
    ref, _, qty = spec.partition(":")
    if not ref or (qty and not qty.isdigit()):
        raise ValidationFailed.single("ticket_type", f"{spec!r} is not TYPE or TYPE:QUANTITY")
    return ref, int(qty) if qty else 1


async def create_order(
    conn: asyncpg.Connection, checkout: Checkout, box_office: str, *, event: str, tickets: list[str],
    email: str, name: str = "", mode: str = "live", phone: str | None = None,
    access_code: str | None = None,
) -> dict[str, Any]:
    if not isinstance(box_office, str):
        raise ValidationFailed.single("box_office", "must be a slug")
    event_id = parse_id("event", str(event))  # an id goes straight to checkout, which checks it
    if event_id is None:
        event_id = (await events.resolve_event(conn, await _scope(conn, box_office, mode), str(event), "e.id"))["id"]
    if not tickets or not isinstance(tickets, list):
        raise ValidationFailed.single("tickets", "name at least one ticket type, as a list")
    lines = []
    for spec in tickets:
        ref, quantity = parse_ticket_spec(spec)
        lines.append({"ticket_type_id": require_id("ticket_type", ref), "quantity": quantity,
                      "access_code": access_code})
    data = parse(OrderCreate, {"event_id": event_id, "lines": lines,
                               "buyer": {"email": email, "name": name, "phone": phone}})
    # the box office is read with the event, the ticket types and the stock, in one query
    return plain(await checkout.place_in(conn, box_office, mode_of(mode), data))


async def order_detail(conn: asyncpg.Connection, order: Any) -> dict[str, Any]:
    tickets = await conn.fetch(
        "SELECT id, barcode, status, ticket_type_id FROM issued_tickets WHERE order_id = $1 ORDER BY id",
        order["id"],
    )
    return {**plain(order), "tickets": [plain(t) for t in tickets]}


async def refund_order(
    conn: asyncpg.Connection, checkout: Checkout, box_office: str, order: str, *, amount: int | None = None,
    mode: str = "live",
) -> dict[str, Any]:
    if amount is not None and (not isinstance(amount, int) or isinstance(amount, bool)):
        raise ValidationFailed.single("amount", "must be an integer amount in minor units")
    scope = await _scope(conn, box_office, mode)
    row = await checkout.refund(conn, scope, require_id("order", order), amount)
    return await order_detail(conn, row)


async def void_ticket(
    conn: asyncpg.Connection, box_office: str, ticket: str, *, mode: str = "live"
) -> dict[str, Any]:
    scope = await _scope(conn, box_office, mode)
    return plain(await core_tickets.void_ticket(conn, scope, await _ticket_id(conn, scope, ticket)))


async def check_in(
    conn: asyncpg.Connection, checkout: Checkout, box_office: str, ticket: str, *, nonce: str,
    mode: str = "live",
) -> dict[str, Any]:
    if not isinstance(nonce, str) or not 1 <= len(nonce) <= 200:
        raise ValidationFailed.single("nonce", "must be a string of 1 to 200 characters")
    scope = await _scope(conn, box_office, mode)
    row, new = await checkout.check_in(conn, scope, await _ticket_id(conn, scope, ticket), nonce)
    return {**plain(row), "new_check_in": new}


async def _ticket_id(conn: asyncpg.Connection, scope: Scope, ref: str) -> int:
    """A ticket by any id form, or by its barcode."""
    ref = str(ref)
    number = parse_id("issued_ticket", ref)
    if number is not None:
        return number
    try:
        return (await core_tickets.find_ticket_by_barcode(conn, scope, ref))["id"]
    except NotFound:
        raise NotFound("issued_ticket", f"No ticket with id or barcode {ref!r}") from None


async def list_deliveries(
    conn: asyncpg.Connection, box_office: str, *, status: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    office = await boxoffices.get_box_office(conn, box_office)
    rows = await webhooks.list_deliveries(conn, office["id"], status=status, limit=limit)
    return [{**plain(r), "id": format_id("whdel_", r["id"])} for r in rows]


async def resend_delivery(conn: asyncpg.Connection, delivery: str) -> dict[str, Any]:
    row = await webhooks.resend(conn, require_id("webhook_delivery", delivery), SystemClock().now())
    if row is None:
        raise NotFound("webhook_delivery", f"No finished delivery {delivery!r} (pending ones are already queued)")
    return {**plain(row), "id": format_id("whdel_", row["id"])}


async def reset_test_data(conn: asyncpg.Connection, box_office: str) -> dict[str, Any]:
    """Delete the box office's test-mode data (livemode false); live data is untouched."""
    office = await boxoffices.get_box_office(conn, box_office)
    return {"box_office": office["slug"], "deleted": await testdata.reset_test_data(conn, office["id"])}
