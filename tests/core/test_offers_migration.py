"""Schema migration 9 (products, discounts, vouchers, waitlists) on a database at version 8."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import pytest

from core.db import SCHEMA_FILE, migrate, parse_migrations
from tests.core.test_series_migration import fresh  # noqa: F401  (the fixture)


async def test_existing_orders_keep_their_line_items_and_take_products_after(fresh, tmp_path):  # noqa: F811
    text = SCHEMA_FILE.read_text()
    previous = tmp_path / "v8.sql"
    previous.write_text(text[: text.index("-- migration: 9")])
    assert await migrate(fresh, previous) == 8
    office = await fresh.fetchval("INSERT INTO box_offices (slug, name) VALUES ('old', 'Old') RETURNING id")
    event = await fresh.fetchval(
        "INSERT INTO events (box_office_id, livemode, title, slug, starts_at, currency)"
        " VALUES ($1, true, 'Old', 'old', $2, 'GBP') RETURNING id", office, datetime(2031, 9, 1, tzinfo=UTC))
    order = await fresh.fetchval(
        "INSERT INTO orders (box_office_id, livemode, event_id, buyer_email, currency, subtotal, total)"
        " VALUES ($1, true, $2, 'a@example.com', 'GBP', 500, 500) RETURNING id", office, event)
    await fresh.execute("INSERT INTO order_line_items (order_id, description, quantity, value, total)"
                        " VALUES ($1, 'GA', 1, 500, 500)", order)

    assert await migrate(fresh) == len(parse_migrations(text))
    assert tuple(await fresh.fetchrow("SELECT discount_id, discount_amount, voucher_code_id, voucher_amount"
                                      " FROM orders WHERE id = $1", order)) == (None, 0, None, 0)
    assert await fresh.fetchval("SELECT product_id FROM order_line_items WHERE order_id = $1", order) is None
    product = await fresh.fetchval("INSERT INTO products (box_office_id, livemode, name, price, currency, quantity)"
                                   " VALUES ($1, true, 'Mug', 900, 'GBP', 1) RETURNING id", office)
    await fresh.execute("INSERT INTO order_line_items (order_id, product_id, type, description, quantity, value,"
                        " total) VALUES ($1, $2, 'product', 'Mug', 1, 900, 900)", order, product)
    with pytest.raises(asyncpg.CheckViolationError):  # the table refuses an oversold product
        await fresh.execute("UPDATE products SET sold = 2 WHERE id = $1", product)
