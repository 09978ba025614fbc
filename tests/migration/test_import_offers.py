"""Import from Ticket Tailor of products, discounts, vouchers and their codes, waitlist signups,
and orders whose line items name products: mapped through the id map, resumable, idempotent."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from core import discounts, products, vouchers, waitlists
from core.checkout import Checkout
from core.clock import SystemClock
from core.models import OrderCreate, Scope, parse
from core.offers import DiscountCreate, ProductCreate, VoucherCreate, WaitlistSignupCreate
from gateway.migration.clients import client_module, http_client
from gateway.migration.importer import Importer
from tests.migration.conftest import PREFIX, no_sleep

TT = "tickettailor"


@pytest.fixture
async def offered(conn, vendor) -> dict[str, Any]:
    """The vendor's products, a discount, two vouchers with codes (one partly spent on an order
    with a product), and a waitlist signup on a sold-out event."""
    scope, now = Scope(vendor["office"]["id"], True), SystemClock().now()
    event_id = vendor["events"][0]
    types = await conn.fetch("SELECT id, name FROM ticket_types WHERE event_id = $1 ORDER BY id", event_id)
    mug = await products.create_product(conn, scope, parse(ProductCreate, {"name": "Mug", "price": 900}), now)
    await products.create_product(conn, scope, parse(ProductCreate, {"name": "Poster", "price": 300}), now)
    await discounts.create_discount(conn, scope, parse(DiscountCreate, {
        "name": "Friends", "code": "FRIENDS", "face_value_amount": 200, "ticket_type_ids": [types[0]["id"]],
        "product_ids": [mug["id"]]}), now)
    for n in range(2):
        await vouchers.create_voucher(conn, scope, parse(VoucherCreate, {
            "name": f"Gift {n}", "value": 5000, "codes": [f"VENDOR{n}A", f"VENDOR{n}B", f"VENDOR{n}C"]}), now)
    order = await Checkout(SystemClock()).place(conn, scope, parse(OrderCreate, {
        "event_id": event_id, "buyer": {"email": "p@mail.test", "name": "P"}, "voucher_code": "VENDOR0A",
        "lines": [{"ticket_type_id": types[0]["id"], "quantity": 1}], "products": [{"product_id": mug["id"]}]}))
    sold_out = vendor["events"][1]
    await conn.execute("UPDATE ticket_types SET quantity = sold WHERE event_id = $1", sold_out)
    await waitlists.sign_up(conn, scope, parse(WaitlistSignupCreate, {"event_id": sold_out,
                                                                      "email": "wait@mail.test"}), now)
    return {"order": order}


def importer(conn, app, vendor, offered) -> Importer:
    module = client_module(TT)
    base = f"http://testserver{PREFIX[TT]}"
    http = http_client(TT, lambda: httpx.ASGITransport(app=app), sleep=no_sleep)[0]
    return Importer(conn, module, module.Client(base, vendor["keys"][TT], http), base, progress=False)


async def _copied(conn, office: int) -> dict[str, Any]:
    return {
        "products": [tuple(r) for r in await conn.fetch(
            "SELECT name, price, currency, all_series FROM products WHERE box_office_id = $1 ORDER BY name", office)],
        "discounts": [tuple(r) for r in await conn.fetch(
            "SELECT d.code, d.face_value_amount, (SELECT array_agg(tt.name) FROM ticket_types tt"
            " WHERE tt.id = ANY(d.ticket_type_ids)), (SELECT array_agg(p.name) FROM products p"
            " WHERE p.id = ANY(d.product_ids)) FROM discounts d WHERE d.box_office_id = $1", office)],
        "codes": [tuple(r) for r in await conn.fetch(
            "SELECT v.name, c.code, c.remaining FROM voucher_codes c JOIN vouchers v ON v.id = c.voucher_id"
            " WHERE c.box_office_id = $1 ORDER BY c.code", office)],
        "signups": [tuple(r) for r in await conn.fetch(
            "SELECT w.email, e.title FROM waitlist_signups w JOIN events e ON e.id = w.event_id"
            " WHERE w.box_office_id = $1", office)],
        "totals": sorted(tuple(r) for r in await conn.fetch(
            "SELECT subtotal, booking_fee, total FROM orders WHERE box_office_id = $1", office)),
        "product_lines": [tuple(r) for r in await conn.fetch(
            "SELECT li.description, p.name, li.total FROM order_line_items li JOIN orders o ON o.id = li.order_id"
            " LEFT JOIN products p ON p.id = li.product_id WHERE o.box_office_id = $1 AND li.type <> 'ticket'"
            " ORDER BY li.description", office)],
    }


async def test_import_copies_offers_and_maps_product_lines(conn, app, vendor, offered, target_conn, target_office):
    summary = await importer(target_conn, app, vendor, offered).run(target_office["slug"])
    assert summary["complete"] and not summary["problems"], summary
    got, want = await _copied(target_conn, target_office["id"]), await _copied(conn, vendor["office"]["id"])
    assert got == want
    assert ("Mug", "Mug", 900) in got["product_lines"] and len(got["codes"]) == 6
    assert got["signups"] == [("wait@mail.test", "Show 1")]
    again = await importer(target_conn, app, vendor, offered).run(target_office["slug"])
    assert again["created"] == 0 and not again["problems"]
    assert await _copied(target_conn, target_office["id"]) == want  # updated, not duplicated


async def test_an_interrupted_import_resumes_inside_a_vouchers_codes(conn, app, vendor, offered, target_conn,
                                                                    target_office):
    # a voucher of 150 codes is listed first (newest) in two pages: interrupted after its first
    await vouchers.create_voucher(conn, Scope(vendor["office"]["id"], True), parse(VoucherCreate, {
        "name": "Many", "value": 100, "generate": 150}), SystemClock().now())
    first_pages = len(("series", "events", "products", "discounts", "vouchers")) + 1
    partial = await importer(target_conn, app, vendor, offered).run(target_office["slug"], max_pages=first_pages)
    assert not partial["complete"] and partial["resources"]["voucher_codes"]["objects"] == 100
    second = await importer(target_conn, app, vendor, offered).run(target_office["slug"])
    assert second["resumed"] and second["complete"] and not second["problems"], second
    assert second["resources"]["voucher_codes"]["objects"] == 156
    assert await _copied(target_conn, target_office["id"]) == await _copied(conn, vendor["office"]["id"])
