"""Checkout's rules: who may buy what, what it costs, and what a refund may be.

Pure functions of rows already read: nothing here touches the database.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from core.checkout.sql import Order
from core.errors import Conflict, SaleWindowClosed, SoldOut, Unprocessable, ValidationFailed
from core.events import on_sale_now
from core.models import OrderCreate, OrderLine, Scope

BARCODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
BARCODE_LENGTH = 10
CLOSED_EVENT_STATUSES = ("cancelled", "completed", "archived")


def new_barcode() -> str:
    """Ten characters of the alphabet, uniformly random: one draw from the OS (not one per character)."""
    number = secrets.randbelow(len(BARCODE_ALPHABET) ** BARCODE_LENGTH)
    chars = []
    for _ in range(BARCODE_LENGTH):
        number, digit = divmod(number, len(BARCODE_ALPHABET))
        chars.append(BARCODE_ALPHABET[digit])
    return "".join(chars)


def check_event_open(event: dict[str, Any]) -> None:
    if event["status"] in CLOSED_EVENT_STATUSES:
        raise Unprocessable(f"The event is {event['status']} and not selling tickets")


def check_sale_window(event: dict[str, Any], now: datetime) -> None:
    """The event's series sells from ``tickets_available_at`` until ``tickets_unavailable_at``
    (each optional); outside that window the series' own message, or ours, says why not."""
    opens, closes = event["opens_at"], event["closes_at"]
    if opens is not None and now < opens:
        when = opens.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        raise SaleWindowClosed(event["opens_message"] or f"Tickets for this event go on sale at {when}")
    if closes is not None and now >= closes:
        raise SaleWindowClosed(event["closes_message"] or "Tickets for this event are no longer on sale")


def check_cap(cap: int | None, taken: int, seats: int) -> None:
    """``seats`` more fit under the series' cap per occurrence when ``taken`` are sold or held."""
    if cap is None or taken + seats <= cap:
        return
    left = cap - taken
    if left <= 0:
        raise SoldOut("This event is sold out")
    raise SoldOut(f"Only {left} ticket{'s' if left > 1 else ''} left for this event, not {seats}")


def check_lines(lines: list[OrderLine], types: dict[int, Any], now: datetime) -> None:
    """Each line's type on sale now, visible or unlocked by its code, within its per-order limits."""
    for line in lines:
        tt = types[line.ticket_type_id]
        if not on_sale_now(tt, now):
            raise Unprocessable(f"{tt['name']} is not on sale")
        if tt["hidden"] and not tt["access_code"]:
            raise Unprocessable(f"{tt['name']} is hidden and has no access code")
        if tt["access_code"] and line.access_code != tt["access_code"]:
            raise Unprocessable(f"{tt['name']} needs a valid access code")
        if line.quantity < tt["min_per_order"]:
            raise Unprocessable(f"{tt['name']}: at least {tt['min_per_order']} per order")
        if line.quantity > tt["max_per_order"]:
            raise Unprocessable(f"{tt['name']}: at most {tt['max_per_order']} per order")


def sold_out(ticket_type: Any, quantity: int) -> SoldOut:
    if quantity == 1:
        return SoldOut(f"{ticket_type['name']} is sold out")
    return SoldOut(f"Not enough {ticket_type['name']} tickets left for {quantity}")


def price(
    scope: Scope, event: dict[str, Any], lines: list[OrderLine], types: dict[int, Any], data: OrderCreate,
    now: datetime,
) -> Order:
    """The order to write: its totals, payment method, holder names and one barcode per ticket."""
    buyer = data.buyer
    line_types = [types[line.ticket_type_id] for line in lines]
    values = [tt["price"] * line.quantity for tt, line in zip(line_types, lines, strict=True)]
    fees = [tt["booking_fee"] * line.quantity for tt, line in zip(line_types, lines, strict=True)]
    subtotal, fee_total = sum(values), sum(fees)
    total = subtotal + fee_total + data.tax
    first, last = _holder_names(buyer.name)
    seats = [tt for tt, line in zip(line_types, lines, strict=True) for _ in range(line.quantity)]
    return Order(
        scope.box_office_id, scope.livemode, event["id"], buyer.name, buyer.email, buyer.phone,
        buyer.address.model_dump(), [a.model_dump() for a in buyer.custom_questions], event["currency"],
        subtotal, fee_total, data.tax, total, data.payment_method if total > 0 else "no_cost",
        data.txn_id or f"txn_{secrets.token_hex(8)}", now,
        [tt["id"] for tt in line_types], [tt["name"] for tt in line_types], [line.quantity for line in lines],
        values, fees, first, last,
        [tt["id"] for tt in seats], [tt["name"] for tt in seats], [new_barcode() for _ in seats],
    )


def _holder_names(name: str) -> tuple[str | None, str | None]:
    """The buyer's name split at its first space: ("Ann", None) for one word, (None, None) for none."""
    names = name.split(" ", 1) if name else []
    first, last = (names + [None, None])[:2] if names else (None, None)
    return first, last


def refund_amount(order: Any, amount: int | None) -> int:
    """``amount`` (everything left when None), checked against what is left to refund."""
    remaining = order["total"] - order["refund_amount"]
    if order["status"] == "refunded" or (remaining <= 0 and order["total"] > 0):
        raise Conflict("The order is already fully refunded")
    amount = remaining if amount is None else amount
    if amount < 0 or amount > remaining:
        raise ValidationFailed.single("amount", f"must be between 0 and {remaining}")
    return amount
