"""Operator use cases shared by the CLI and the admin API.

Each takes ``(conn, checkout, request)``: the process's checkout (which holds its clock) and one
of ``gateway.operations``' models,
already validated; ids inside it are still text (any dialect's id form, slugs, ``TYPE:QTY``).
Outputs are plain JSON-ready dicts. Errors stay ``CoreError``s; each surface renders them its own way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from core import boxoffices, events, keys, testdata, webhooks
from core import tickets as core_tickets
from core.checkout import Checkout
from core.errors import NotFound, ValidationFailed
from core.ids import format_id, parse_id
from core.models import OrderCreate, Scope, parse
from dialects import registry
from gateway.operations import (
    CheckIn,
    CreateBoxOffice,
    CreateKey,
    ListBoxOffices,
    ListDeliveries,
    ListKeys,
    PlaceOrder,
    Refund,
    ResendDelivery,
    ResetTestData,
    RevokeKey,
    UpdateBoxOffice,
    VoidTicket,
)


def plain(row: Any) -> dict[str, Any]:
    """A record as JSON-ready values (times as ISO-8601, bytes dropped)."""
    out: dict[str, Any] = {}
    for key, value in dict(row).items():
        if isinstance(value, bytes):
            continue
        out[key] = value.isoformat() if isinstance(value, datetime) else value
    return out


def mode_of(mode: str) -> bool:
    return mode == "live"  # the request models accept only live or test


def require_id(kind: str, text: str) -> int:
    number = parse_id(kind, str(text))
    if number is None:
        raise ValidationFailed.single(kind, f"{text!r} is not a valid {kind.replace('_', ' ')} id")
    return number


async def _scope(conn: asyncpg.Connection, box_office: str, mode: str) -> Scope:
    office = await boxoffices.get_box_office(conn, box_office)
    return Scope(office["id"], mode_of(mode))


async def create_box_office(conn: asyncpg.Connection, checkout: Checkout, req: CreateBoxOffice) -> dict[str, Any]:
    return plain(await boxoffices.create_box_office(conn, req))


async def update_box_office(conn: asyncpg.Connection, checkout: Checkout, req: UpdateBoxOffice) -> dict[str, Any]:
    return plain(await boxoffices.update_box_office(conn, req.box_office, req.changes()))


async def list_box_offices(conn: asyncpg.Connection, checkout: Checkout, req: ListBoxOffices) -> list[dict[str, Any]]:
    return [plain(r) for r in await boxoffices.list_box_offices(conn)]


async def create_key(conn: asyncpg.Connection, checkout: Checkout, req: CreateKey) -> dict[str, Any]:
    office = await boxoffices.get_box_office(conn, req.box_office)
    row, secret = await keys.create_key(
        conn, office["id"], registry.key_rules(req.dialect), livemode=mode_of(req.mode), scopes=req.scopes,
        name=req.name,
    )
    return {**_key(row), "secret": secret}


def _key(row: Any) -> dict[str, Any]:
    out = plain(row)
    out["id"] = format_id("key_", row["id"])
    out["mode"] = "live" if out.pop("livemode") else "test"
    return out


async def list_keys(conn: asyncpg.Connection, checkout: Checkout, req: ListKeys) -> list[dict[str, Any]]:
    office = await boxoffices.get_box_office(conn, req.box_office)
    return [_key(r) for r in await keys.list_keys(conn, office["id"])]


async def revoke_key(conn: asyncpg.Connection, checkout: Checkout, req: RevokeKey) -> dict[str, Any]:
    return _key(await keys.revoke_key(conn, require_id("api_key", req.key_id)))


def parse_ticket_spec(spec: str, field: str = "ticket_type") -> tuple[str, int]:
    ref, _, qty = spec.partition(":")
    if not ref or (qty and not qty.isdigit()):
        raise ValidationFailed.single(field, f"{spec!r} is not {field.upper()} or {field.upper()}:QUANTITY")
    return ref, int(qty) if qty else 1


async def create_order(conn: asyncpg.Connection, checkout: Checkout, req: PlaceOrder) -> dict[str, Any]:
    box_office, mode, event = req.box_office, req.mode, str(req.event)
    event_id = parse_id("event", event)  # an id goes straight to checkout, which checks it
    if event_id is None:
        event_id = (await events.resolve_event(conn, await _scope(conn, box_office, mode), event, "e.id"))["id"]
    lines = []
    for spec in req.tickets:
        ref, quantity = parse_ticket_spec(spec)
        lines.append({"ticket_type_id": require_id("ticket_type", ref), "quantity": quantity,
                      "access_code": req.access_code})
    products = [{"product_id": require_id("product", ref), "quantity": quantity}
                for ref, quantity in (parse_ticket_spec(spec, "product") for spec in req.products)]
    data = parse(OrderCreate, {"event_id": event_id, "lines": lines, "products": products,
                               "discount_code": req.discount_code, "voucher_code": req.voucher_code,
                               "buyer": {"email": req.email, "name": req.name, "phone": req.phone}})
    # the box office is read with the event, the ticket types and the stock, in one query
    return plain(await checkout.place_in(conn, box_office, mode_of(mode), data))


async def order_detail(conn: asyncpg.Connection, order: Any) -> dict[str, Any]:
    tickets = await conn.fetch(
        "SELECT id, barcode, status, ticket_type_id FROM issued_tickets WHERE order_id = $1 ORDER BY id",
        order["id"],
    )
    return {**plain(order), "tickets": [plain(t) for t in tickets]}


async def refund_order(conn: asyncpg.Connection, checkout: Checkout, req: Refund) -> dict[str, Any]:
    order, amount = req.order, req.amount
    scope = await _scope(conn, req.box_office, req.mode)
    row = await checkout.refund(conn, scope, require_id("order", order), amount)
    return await order_detail(conn, row)


async def void_ticket(conn: asyncpg.Connection, checkout: Checkout, req: VoidTicket) -> dict[str, Any]:
    ticket = req.ticket
    scope = await _scope(conn, req.box_office, req.mode)
    return plain(await core_tickets.void_ticket(conn, scope, await _ticket_id(conn, scope, ticket)))


async def check_in(conn: asyncpg.Connection, checkout: Checkout, req: CheckIn) -> dict[str, Any]:
    ticket, nonce = req.ticket, req.nonce
    scope = await _scope(conn, req.box_office, req.mode)
    row, new = await checkout.check_in(conn, scope, await _ticket_id(conn, scope, ticket), nonce)
    return {**plain(row), "new_check_in": new}


async def _ticket_id(conn: asyncpg.Connection, scope: Scope, ref: str) -> int:
    """A ticket by any id form, or by its barcode."""
    number = parse_id("issued_ticket", ref)
    if number is not None:
        return number
    try:
        return (await core_tickets.find_ticket_by_barcode(conn, scope, ref))["id"]
    except NotFound:
        raise NotFound("issued_ticket", f"No ticket with id or barcode {ref!r}") from None


async def list_deliveries(conn: asyncpg.Connection, checkout: Checkout, req: ListDeliveries) -> list[dict[str, Any]]:
    office = await boxoffices.get_box_office(conn, req.box_office)
    rows = await webhooks.list_deliveries(conn, office["id"], status=req.status, limit=req.limit)
    return [_delivery(r) for r in rows]


async def resend_delivery(conn: asyncpg.Connection, checkout: Checkout, req: ResendDelivery) -> dict[str, Any]:
    row = await webhooks.resend(conn, require_id("webhook_delivery", req.delivery), checkout.clock.now())
    if row is None:
        raise NotFound("webhook_delivery", f"No finished delivery {req.delivery!r} (pending ones are already queued)")
    return _delivery(row)


def _delivery(row: Any) -> dict[str, Any]:
    return {**plain(row), "id": format_id("whdel_", row["id"])}


async def reset_test_data(conn: asyncpg.Connection, checkout: Checkout, req: ResetTestData) -> dict[str, Any]:
    """Delete the box office's test-mode data (livemode false); live data is untouched."""
    office = await boxoffices.get_box_office(conn, req.box_office)
    return {"box_office": office["slug"], "deleted": await testdata.reset_test_data(conn, office["id"])}
