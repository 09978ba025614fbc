"""Products: add-ons sold with an order (merchandise, parking, a programme).

A product is sold with the events of the series it is linked to, or with every event when it
is linked to none. With a quantity its stock is taken by checkout in one conditional UPDATE
(``sold + n <= quantity``, backed by the ``products_stock`` constraint), like ticket types.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from core.models import Scope
from core.offers import ProductCreate
from core.owned import check_owned, office_currency

_INSERT = (
    "INSERT INTO products (box_office_id, livemode, name, description, price, currency, status, fulfilment_type,"
    " quantity, all_series, series_ids, created_at, updated_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING *"
)


async def create_product(conn: asyncpg.Connection, scope: Scope, data: ProductCreate, now: datetime) -> asyncpg.Record:
    series = await check_owned(conn, scope, "event_series", data.series_ids, "series_ids")
    currency = data.currency or await office_currency(conn, scope)
    return await conn.fetchrow(_INSERT, scope.box_office_id, scope.livemode, data.name, data.description, data.price,
                               currency, data.status, data.fulfilment_type, data.quantity, not series, series, now)


async def list_products(conn: asyncpg.Connection, scope: Scope, limit: int = 100) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM products WHERE box_office_id = $1 AND livemode = $2"
                            " ORDER BY created_at DESC, id DESC LIMIT $3", scope.box_office_id, scope.livemode, limit)
