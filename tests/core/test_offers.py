"""Products, discounts, vouchers and waitlists on real PostgreSQL: created, applied at checkout,
refused when used up or expired, never overspent by concurrent checkouts, given back by refunds."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import orjson
import pytest

from core import discounts, products, vouchers, waitlists
from core.db import create_pool
from core.errors import CodeExpired, CodeNotApplicable, CodeUsedUp, NotSoldOut, SoldOut, Unprocessable, ValidationFailed
from core.models import OrderCreate, Scope, parse
from core.offers import DiscountCreate, ProductCreate, VoucherCreate, WaitlistSignupCreate
from tests.factories import event_with_type


def _order(event_id: int, type_id: int, qty: int = 1, **extra: Any) -> OrderCreate:
    return parse(OrderCreate, {"event_id": event_id, "buyer": {"email": "b@example.com", "name": "B C"},
                               "lines": [{"ticket_type_id": type_id, "quantity": qty}], **extra})


async def _lines(conn, order_id: int) -> list[tuple[Any, ...]]:
    rows = await conn.fetch("SELECT type, description, quantity, value, booking_fee, total, product_id"
                            " FROM order_line_items WHERE order_id = $1 ORDER BY id", order_id)
    return [tuple(r) for r in rows]


@pytest.fixture
def scope(box_office) -> Scope:
    return Scope(box_office["id"], True)


async def _product(conn, scope, clock, **fields) -> Any:
    return await products.create_product(conn, scope, parse(ProductCreate, {"name": "T-shirt", "price": 1500,
                                                                            **fields}), clock.now())


async def _voucher(conn, scope, clock, **fields) -> Any:
    data = {"name": "Gift", "value": 3000, "codes": ["GIFT-" + str(scope.box_office_id)], **fields}
    return await vouchers.create_voucher(conn, scope, parse(VoucherCreate, data), clock.now())


async def test_products_are_sold_with_tickets_and_take_their_stock(conn, scope, checkout, clock):
    event_id, type_id = await event_with_type(conn, scope)
    shirt = await _product(conn, scope, clock, quantity=3)
    order = await checkout.place(conn, scope, _order(event_id, type_id, 2,
                                                    products=[{"product_id": shirt["id"], "quantity": 2}]))
    assert order["subtotal"] == 2 * 1000 + 2 * 1500 and order["total"] == 5000
    assert await _lines(conn, order["id"]) == [("ticket", "GA", 2, 2000, 0, 2000, None),
                                               ("product", "T-shirt", 2, 3000, 0, 3000, shirt["id"])]
    assert await conn.fetchval("SELECT sold FROM products WHERE id = $1", shirt["id"]) == 2
    with pytest.raises(SoldOut, match="T-shirt"):
        await checkout.place(conn, scope, _order(event_id, type_id, 1,
                                                 products=[{"product_id": shirt["id"], "quantity": 2}]))
    # nothing of the refused order was written: no seats, no product stock
    assert await conn.fetchval("SELECT sold FROM ticket_types WHERE id = $1", type_id) == 2
    assert await conn.fetchval("SELECT sold FROM products WHERE id = $1", shirt["id"]) == 2


async def test_a_product_linked_to_another_series_or_off_sale_is_refused(conn, scope, checkout, clock):
    event_id, type_id = await event_with_type(conn, scope)
    other_event, _ = await event_with_type(conn, scope, title="Other")
    series = await conn.fetchval("SELECT series_id FROM events WHERE id = $1", other_event)
    linked = await _product(conn, scope, clock, series_ids=[series])
    off = await _product(conn, scope, clock, status="off_sale")
    for product, message in ((linked, "not sold with this event"), (off, "not on sale")):
        with pytest.raises(Unprocessable, match=message):
            await checkout.place(conn, scope, _order(event_id, type_id, products=[{"product_id": product["id"]}]))
    with pytest.raises(ValidationFailed):  # a series of another box office cannot be linked
        await _product(conn, Scope(scope.box_office_id, False), clock, series_ids=[series])


async def test_a_discount_takes_fixed_amounts_off_face_value_and_booking_fee(conn, scope, checkout, clock):
    event_id, type_id = await event_with_type(conn, scope, booking_fee=100)
    shirt = await _product(conn, scope, clock)
    await discounts.create_discount(conn, scope, parse(DiscountCreate, {
        "name": "Friends", "code": "FRIENDS", "face_value_amount": 300, "booking_fee_amount": 500,
        "ticket_type_ids": [type_id], "product_ids": [shirt["id"]]}), clock.now())
    order = await checkout.place(conn, scope, _order(event_id, type_id, 2, discount_code="friends",
                                                    products=[{"product_id": shirt["id"]}]))
    # face: 300 off each of 2 seats and off the shirt; fee: at most the seat's own fee (100)
    assert (order["subtotal"], order["booking_fee"], order["total"]) == (2000 + 1500 - 900, 0, 2600)
    assert order["discount_amount"] == 1100
    assert (await _lines(conn, order["id"]))[-1] == ("gift_card", "Discount: FRIENDS", 1, -900, -200, -1100, None)


async def test_a_discount_is_refused_past_its_uses_its_expiry_or_when_it_applies_to_nothing(
        conn, scope, checkout, clock):
    event_id, type_id = await event_with_type(conn, scope)
    _, other_type = await event_with_type(conn, scope, title="Elsewhere")
    made = {"name": "Once", "face_value_amount": 100, "ticket_type_ids": [type_id]}
    await discounts.create_discount(conn, scope, parse(DiscountCreate, {**made, "code": "ONCE", "max_uses": 1}),
                                    clock.now())
    await discounts.create_discount(conn, scope, parse(DiscountCreate, {
        **made, "code": "SOON", "expires_at": clock.now() + timedelta(days=1)}), clock.now())
    await discounts.create_discount(conn, scope, parse(DiscountCreate, {
        **made, "code": "OTHER", "ticket_type_ids": [other_type]}), clock.now())
    await checkout.place(conn, scope, _order(event_id, type_id, discount_code="ONCE"))
    with pytest.raises(CodeUsedUp):
        await checkout.place(conn, scope, _order(event_id, type_id, discount_code="ONCE"))
    with pytest.raises(CodeNotApplicable):
        await checkout.place(conn, scope, _order(event_id, type_id, discount_code="OTHER"))
    with pytest.raises(ValidationFailed, match="no such discount code"):
        await checkout.place(conn, scope, _order(event_id, type_id, discount_code="NOPE"))
    clock.advance(days=2)
    with pytest.raises(CodeExpired):
        await checkout.place(conn, scope, _order(event_id, type_id, discount_code="SOON"))
    assert await conn.fetchval("SELECT count(*) FROM orders WHERE event_id = $1", event_id) == 1
    with pytest.raises(ValidationFailed, match="already used"):
        await discounts.create_discount(conn, scope, parse(DiscountCreate, {**made, "code": "once"}), clock.now())


async def test_a_voucher_code_is_spent_over_orders_and_given_back_by_a_refund(conn, scope, checkout, clock):
    event_id, type_id = await event_with_type(conn, scope, price=2000)
    await _voucher(conn, scope, clock)
    code = f"gift-{scope.box_office_id}"
    first = await checkout.place(conn, scope, _order(event_id, type_id, voucher_code=code))
    assert (first["total"], first["voucher_amount"], first["payment_method"]) == (0, 2000, "no_cost")
    second = await checkout.place(conn, scope, _order(event_id, type_id, voucher_code=code))
    assert (second["total"], second["voucher_amount"]) == (1000, 1000)
    assert (await _lines(conn, second["id"]))[-1] == ("gift_card", f"Voucher: GIFT-{scope.box_office_id}", 1,
                                                      -1000, 0, -1000, None)
    with pytest.raises(CodeUsedUp):
        await checkout.place(conn, scope, _order(event_id, type_id, voucher_code=code))
    await checkout.refund(conn, scope, second["id"])
    assert await conn.fetchval("SELECT remaining FROM voucher_codes WHERE code = $1", code.upper()) == 1000


async def test_a_voucher_without_partial_redemption_is_spent_whole(conn, scope, checkout, clock):
    event_id, type_id = await event_with_type(conn, scope)
    await _voucher(conn, scope, clock, partial_redemption=False)
    code = f"GIFT-{scope.box_office_id}"
    order = await checkout.place(conn, scope, _order(event_id, type_id, voucher_code=code))
    assert order["voucher_amount"] == 1000 and order["total"] == 0
    assert await conn.fetchval("SELECT remaining FROM voucher_codes WHERE code = $1", code) == 0


async def test_a_voucher_code_is_refused_on_other_series_and_past_expiry(conn, scope, checkout, clock):
    event_id, type_id = await event_with_type(conn, scope)
    other_event, _ = await event_with_type(conn, scope, title="Other")
    series = await conn.fetchval("SELECT series_id FROM events WHERE id = $1", other_event)
    await _voucher(conn, scope, clock, series_ids=[series], expires_at=clock.now() + timedelta(days=1),
                   codes=["ELSEWHERE"], generate=2)
    with pytest.raises(CodeNotApplicable):
        await checkout.place(conn, scope, _order(event_id, type_id, voucher_code="ELSEWHERE"))
    clock.advance(days=2)
    with pytest.raises(CodeExpired):
        await checkout.place(conn, scope, _order(other_event, (await _type(conn, other_event)),
                                                 voucher_code="ELSEWHERE"))
    assert len(await conn.fetch("SELECT * FROM voucher_codes WHERE box_office_id = $1", scope.box_office_id)) == 3


async def _type(conn, event_id: int) -> int:
    return await conn.fetchval("SELECT id FROM ticket_types WHERE event_id = $1", event_id)


async def test_concurrent_checkouts_never_spend_more_than_a_code_holds(database_dsn, conn, scope, checkout, clock):
    event_id, type_id = await event_with_type(conn, scope, price=1000, quantity=100)
    await _voucher(conn, scope, clock, value=3500, codes=["RACE"])
    await discounts.create_discount(conn, scope, parse(DiscountCreate, {
        "name": "Few", "code": "FEW", "face_value_amount": 1, "ticket_type_ids": [type_id], "max_uses": 5}),
        clock.now())
    pool = await create_pool(database_dsn, min_size=16, max_size=16)

    async def buy(**codes: str) -> str:
        async with pool.acquire() as c:
            try:
                await checkout.place(c, scope, _order(event_id, type_id, **codes))
                return "ok"
            except CodeUsedUp:
                return "used_up"

    try:
        spent = await asyncio.gather(*(buy(voucher_code="RACE") for _ in range(16)))
        used = await asyncio.gather(*(buy(discount_code="FEW") for _ in range(16)))
    finally:
        await pool.close()
    assert spent.count("ok") == 4 and spent.count("used_up") == 12  # 1000 + 1000 + 1000 + 500
    assert await conn.fetchval("SELECT remaining FROM voucher_codes WHERE code = 'RACE'"
                               " AND box_office_id = $1", scope.box_office_id) == 0
    assert await conn.fetchval("SELECT sum(voucher_amount) FROM orders WHERE event_id = $1", event_id) == 3500
    assert used.count("ok") == 5 and used.count("used_up") == 11
    assert await conn.fetchval("SELECT uses FROM discounts WHERE box_office_id = $1", scope.box_office_id) == 5


async def test_a_waitlist_signup_needs_a_sold_out_occurrence(conn, scope, checkout, clock):
    event_id, type_id = await event_with_type(conn, scope, quantity=1)
    signup = parse(WaitlistSignupCreate, {"event_id": event_id, "email": "w@example.com", "first_name": "W"})
    with pytest.raises(NotSoldOut):
        await waitlists.sign_up(conn, scope, signup, clock.now())
    await checkout.place(conn, scope, _order(event_id, type_id))
    row = await waitlists.sign_up(conn, scope, signup, clock.now())
    assert row["series_id"] == await conn.fetchval("SELECT series_id FROM events WHERE id = $1", event_id)
    assert [r["id"] for r in await waitlists.list_signups(conn, scope, row["series_id"])] == [row["id"]]


async def test_the_order_placed_webhook_shows_products_and_codes(conn, scope, checkout, clock):
    event_id, type_id = await event_with_type(conn, scope, price=2000)
    shirt = await _product(conn, scope, clock)
    await _voucher(conn, scope, clock, codes=["HOOK"])
    await conn.execute(
        "INSERT INTO webhook_subscriptions (box_office_id, livemode, url, event_types, secret)"
        " VALUES ($1, true, 'https://hooks.invalid/x', '{order.placed}', 'whsec_dGVzdA==')", scope.box_office_id)
    try:
        order = await checkout.place(conn, scope, _order(event_id, type_id, voucher_code="HOOK",
                                                        products=[{"product_id": shirt["id"]}]))
        payload = await conn.fetchval("SELECT payload FROM webhook_events WHERE box_office_id = $1"
                                      " AND type = 'order.placed'", scope.box_office_id)
    finally:  # no test's delivery engine may try them
        await conn.execute("DELETE FROM webhook_deliveries WHERE subscription_id IN"
                           " (SELECT id FROM webhook_subscriptions WHERE box_office_id = $1)", scope.box_office_id)
    data = (payload if isinstance(payload, dict) else orjson.loads(payload))["data"]
    assert data["total"] == order["total"] == 500
    assert [(li["type"], li["total"]) for li in data["line_items"]] == [
        ("ticket", 2000), ("product", 1500), ("gift_card", -3000)]


async def test_a_full_refund_gives_back_the_discount_use_and_the_products_stock(conn, scope, checkout, clock):
    event_id, type_id = await event_with_type(conn, scope)
    mug = await _product(conn, scope, clock, quantity=1)
    await discounts.create_discount(conn, scope, parse(DiscountCreate, {
        "name": "Once", "code": "BACK", "face_value_amount": 100, "ticket_type_ids": [type_id], "max_uses": 1}),
        clock.now())
    order = await checkout.place(conn, scope, _order(event_id, type_id, discount_code="BACK",
                                                    products=[{"product_id": mug["id"]}]))
    await checkout.refund(conn, scope, order["id"], 100)  # a partial refund keeps them spent
    assert await conn.fetchval("SELECT uses FROM discounts WHERE code = 'BACK' AND box_office_id = $1",
                               scope.box_office_id) == 1
    await checkout.refund(conn, scope, order["id"])
    assert await conn.fetchval("SELECT uses FROM discounts WHERE code = 'BACK' AND box_office_id = $1",
                               scope.box_office_id) == 0
    assert await conn.fetchval("SELECT sold FROM products WHERE id = $1", mug["id"]) == 0
    again = await checkout.place(conn, scope, _order(event_id, type_id, discount_code="BACK",
                                                    products=[{"product_id": mug["id"]}]))
    assert again["discount_amount"] == 100
