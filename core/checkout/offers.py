"""Products, discount codes and voucher codes at checkout, inside the order's transaction.

``prepare`` reads and claims what the order uses before the order is written, so its totals
are right when it is inserted: the products (checked against the event's series and
currency), one use of the discount (taken by a conditional UPDATE: never past ``max_uses``),
and the voucher code, locked (``FOR UPDATE``) until the order commits, so a concurrent order
with the same code waits and then sees what is left. ``write`` adds the order's product and
``gift_card`` line items (the vendors' line item for "discount or voucher applied"), records
the codes on the order, spends the voucher (``remaining >= amount`` checked again by the
UPDATE) and takes the products' stock. ``give_back`` undoes the codes and the products'
stock for a full refund. Locks are always taken in one order (discount, voucher code,
products by id, then ticket types by id), so two checkouts never deadlock.

Amounts: a discount takes its ``face_value_amount`` off each seat of its ticket types and each
unit of its products (never more than the price), and its ``booking_fee_amount`` off each
seat's booking fee; a voucher then pays what is due, up to what its code holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from core.checkout.sql import Order
from core.errors import (
    CodeExpired,
    CodeNotApplicable,
    CodeUsedUp,
    FieldError,
    SoldOut,
    Unprocessable,
    ValidationFailed,
)
from core.models import OrderCreate, OrderLine, ProductLine, Scope


@dataclass
class Applied:
    """What ``prepare`` claimed for one order, for ``write``."""

    products: list[tuple[Any, int]] = field(default_factory=list)  # (product row, quantity), by id
    discount: Any = None
    discount_amount: int = 0
    face_off: int = 0
    fee_off: int = 0
    code: Any = None  # the voucher code row (locked), with its voucher's columns
    voucher_amount: int = 0  # taken off the order
    spent: int = 0  # taken from the code (all of it for a voucher without partial redemption)


def wanted(data: OrderCreate) -> bool:
    return bool(data.products or data.discount_code or data.voucher_code)


_PRODUCTS = ("SELECT * FROM products WHERE id = ANY($1::bigint[]) AND box_office_id = $2 AND livemode = $3"
             " ORDER BY id")
_DISCOUNT = "SELECT * FROM discounts WHERE box_office_id = $1 AND livemode = $2 AND lower(code) = lower($3)"
_TAKE_USE = ("UPDATE discounts SET uses = uses + 1, updated_at = $2 WHERE id = $1"
             " AND (max_uses IS NULL OR uses < max_uses) RETURNING uses")
_CODE = ("SELECT c.*, v.name AS voucher_name, v.currency, v.partial_redemption, v.all_series, v.series_ids,"
         " v.expires_at, v.value FROM voucher_codes c JOIN vouchers v ON v.id = c.voucher_id"
         " WHERE c.box_office_id = $1 AND c.livemode = $2 AND lower(c.code) = lower($3) FOR UPDATE OF c")


async def prepare(conn: asyncpg.Connection, scope: Scope, event: dict[str, Any], lines: list[OrderLine],
                  types: dict[int, Any], data: OrderCreate, order: Order, now: datetime) -> tuple[Order, Applied]:
    """The order with its totals after products, discount and voucher; what it claimed."""
    applied = Applied(products=await _products(conn, scope, event, data.products))
    subtotal = order.subtotal + sum(p["price"] * qty for p, qty in applied.products)
    if data.discount_code is not None:
        await _discount(conn, scope, data.discount_code, lines, types, applied, now)
    subtotal, fees = subtotal - applied.face_off, order.booking_fee - applied.fee_off
    due = subtotal + fees + order.tax
    if data.voucher_code is not None:
        await _voucher(conn, scope, event, data.voucher_code, due, applied, now)
    total = due - applied.voucher_amount
    payment = order.payment_method if total > 0 else "no_cost"
    return order._replace(subtotal=subtotal, booking_fee=fees, total=total, payment_method=payment), applied


async def _products(conn: asyncpg.Connection, scope: Scope, event: dict[str, Any],
                    wanted_: list[ProductLine]) -> list[tuple[Any, int]]:
    if not wanted_:
        return []
    rows = {r["id"]: r for r in await conn.fetch(_PRODUCTS, [p.product_id for p in wanted_], scope.box_office_id,
                                                  scope.livemode)}
    errors = [FieldError(f"products.{n}.product_id", "no such product") for n, p in enumerate(wanted_)
              if p.product_id not in rows]
    if errors:
        raise ValidationFailed(errors)
    for line in wanted_:
        product = rows[line.product_id]
        if product["status"] != "on_sale":
            raise Unprocessable(f"{product['name']} is not on sale")
        if not product["all_series"] and event["series_id"] not in product["series_ids"]:
            raise Unprocessable(f"{product['name']} is not sold with this event")
        if product["currency"] != event["currency"]:
            raise Unprocessable(f"{product['name']} is priced in {product['currency']},"
                                f" the event in {event['currency']}")
    return sorted(((rows[p.product_id], p.quantity) for p in wanted_), key=lambda pq: pq[0]["id"])


async def _discount(conn: asyncpg.Connection, scope: Scope, code: str, lines: list[OrderLine],
                    types: dict[int, Any], applied: Applied, now: datetime) -> None:
    discount = await conn.fetchrow(_DISCOUNT, scope.box_office_id, scope.livemode, code)
    if discount is None:
        raise ValidationFailed.single("discount_code", "no such discount code")
    if discount["expires_at"] is not None and discount["expires_at"] <= now:
        raise CodeExpired(f"The discount code {discount['code']} has expired")
    face = fee = 0
    for line in lines:
        if line.ticket_type_id in discount["ticket_type_ids"]:
            tt = types[line.ticket_type_id]
            face += min(discount["face_value_amount"], tt["price"]) * line.quantity
            fee += min(discount["booking_fee_amount"], tt["booking_fee"]) * line.quantity
    for product, quantity in applied.products:
        if product["id"] in discount["product_ids"]:
            face += min(discount["face_value_amount"], product["price"]) * quantity
    if face + fee == 0:
        raise CodeNotApplicable(f"The discount code {discount['code']} applies to nothing in this order")
    if await conn.fetchval(_TAKE_USE, discount["id"], now) is None:
        raise CodeUsedUp(f"The discount code {discount['code']} has been used as often as it may be")
    applied.discount, applied.face_off, applied.fee_off, applied.discount_amount = discount, face, fee, face + fee


async def _voucher(conn: asyncpg.Connection, scope: Scope, event: dict[str, Any], code: str, due: int,
                   applied: Applied, now: datetime) -> None:
    row = await conn.fetchrow(_CODE, scope.box_office_id, scope.livemode, code)
    if row is None:
        raise ValidationFailed.single("voucher_code", "no such voucher code")
    if row["expires_at"] is not None and row["expires_at"] <= now:
        raise CodeExpired(f"The voucher code {row['code']} has expired")
    if not row["all_series"] and event["series_id"] not in row["series_ids"]:
        raise CodeNotApplicable(f"The voucher code {row['code']} cannot be used on this event")
    if row["currency"] != event["currency"]:
        raise CodeNotApplicable(f"The voucher code {row['code']} is in {row['currency']}, the event in"
                                f" {event['currency']}")
    if row["remaining"] <= 0:
        raise CodeUsedUp(f"The voucher code {row['code']} has no value left")
    if due <= 0:
        raise CodeNotApplicable(f"Nothing is due for the voucher code {row['code']} to pay")
    applied.code, applied.voucher_amount = row, min(due, row["remaining"])
    applied.spent = applied.voucher_amount if row["partial_redemption"] else row["remaining"]


# the order's extra line items and its codes, in one statement
_WRITE = (
    "WITH items AS (INSERT INTO order_line_items (order_id, product_id, type, description, quantity, value,"
    " booking_fee, total) SELECT $1, x.product_id, x.type, x.description, x.quantity, x.value, x.fee,"
    " x.value + x.fee FROM unnest($2::bigint[], $3::text[], $4::text[], $5::int[], $6::int[], $7::int[])"
    " AS x(product_id, type, description, quantity, value, fee))"
    " UPDATE orders SET discount_id = $8, discount_amount = $9, voucher_code_id = $10, voucher_amount = $11"
    " WHERE id = $1 RETURNING discount_id, discount_amount, voucher_code_id, voucher_amount"
)
_SPEND = "UPDATE voucher_codes SET remaining = remaining - $2, updated_at = $3 WHERE id = $1 AND remaining >= $2"
_PRODUCT_STOCK = ("UPDATE products SET sold = sold + $2, updated_at = $3 WHERE id = $1"
                  " AND (quantity IS NULL OR sold + $2 <= quantity) RETURNING id")


def _lines(applied: Applied) -> list[tuple[int | None, str, str, int, int, int]]:
    """(product id, type, description, quantity, value, booking fee) of each extra line item."""
    out: list[tuple[int | None, str, str, int, int, int]] = [
        (p["id"], "product", p["name"], qty, p["price"] * qty, 0) for p, qty in applied.products]
    if applied.discount is not None:
        out.append((None, "gift_card", f"Discount: {applied.discount['code']}", 1, -applied.face_off,
                    -applied.fee_off))
    if applied.code is not None:
        out.append((None, "gift_card", f"Voucher: {applied.code['code']}", 1, -applied.voucher_amount, 0))
    return out


async def write(conn: asyncpg.Connection, row: Any, applied: Applied, now: datetime) -> dict[str, Any]:
    """After the order's insert: its extra lines and codes, the voucher spent, the products' stock."""
    columns = list(zip(*_lines(applied), strict=True)) or [()] * 6
    code_id = applied.code["id"] if applied.code is not None else None
    discount_id = applied.discount["id"] if applied.discount is not None else None
    codes = await conn.fetchrow(_WRITE, row["id"], *(list(c) for c in columns), discount_id,
                                applied.discount_amount, code_id, applied.voucher_amount)
    if code_id is not None and await conn.execute(_SPEND, code_id, applied.spent, now) != "UPDATE 1":
        raise CodeUsedUp(f"The voucher code {applied.code['code']} has no value left")  # the lock makes it rare
    for product, quantity in applied.products:
        if product["quantity"] is not None and await conn.fetchval(_PRODUCT_STOCK, product["id"], quantity,
                                                                   now) is None:
            raise SoldOut(f"{product['name']} is sold out" if quantity == 1
                          else f"Not enough {product['name']} left for {quantity}")
    return {**dict(row), **dict(codes)}


# one statement each, in checkout's lock order (discount, voucher code, products by id), so a
# refund and a checkout never wait on each other's rows crosswise
_GIVE_BACK = (
    "UPDATE discounts d SET uses = greatest(d.uses - 1, 0), updated_at = $2 FROM orders o"
    " WHERE o.id = $1 AND d.id = o.discount_id",
    "UPDATE voucher_codes c SET remaining = CASE WHEN v.partial_redemption"
    " THEN least(v.value, c.remaining + o.voucher_amount) ELSE v.value END, updated_at = $2"
    " FROM orders o, vouchers v WHERE o.id = $1 AND c.id = o.voucher_code_id AND v.id = c.voucher_id",
    "UPDATE products p SET sold = greatest(p.sold - li.quantity, 0), updated_at = $2"
    " FROM (SELECT product_id, sum(quantity)::int AS quantity FROM order_line_items"
    " WHERE order_id = $1 AND product_id IS NOT NULL GROUP BY product_id ORDER BY product_id) li"
    " WHERE p.id = li.product_id",
)


async def give_back(conn: asyncpg.Connection, order_id: int, now: datetime) -> None:
    """A fully refunded order's discount use, voucher value and products' stock, returned (before
    its seats, as checkout takes them before the seats)."""
    for statement in _GIVE_BACK:
        await conn.execute(statement, order_id, now)
