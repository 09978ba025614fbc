"""Discounts: codes that take fixed amounts off the face value and/or the booking fee of each
seat of chosen ticket types (and each unit of chosen products).

A code is refused past its expiry and once used ``max_uses`` times; a checkout takes one use in
the statement that checks the limit (``uses < max_uses``, backed by the ``discounts_uses``
constraint), so concurrent buyers never use a code more often than allowed.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from core.errors import ValidationFailed
from core.models import Scope
from core.offers import DiscountCreate
from core.owned import check_owned

_INSERT = (
    "INSERT INTO discounts (box_office_id, livemode, name, code, type, face_value_amount, booking_fee_amount,"
    " ticket_type_ids, product_ids, max_uses, expires_at, created_at, updated_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING *"
)


async def create_discount(conn: asyncpg.Connection, scope: Scope, data: DiscountCreate,
                          now: datetime) -> asyncpg.Record:
    types = await check_owned(conn, scope, "ticket_types", data.ticket_type_ids, "ticket_type_ids")
    products = await check_owned(conn, scope, "products", data.product_ids, "product_ids")
    try:
        return await conn.fetchrow(_INSERT, scope.box_office_id, scope.livemode, data.name, data.code, data.type,
                                   data.face_value_amount, data.booking_fee_amount, types, products, data.max_uses,
                                   data.expires_at, now)
    except asyncpg.UniqueViolationError:
        raise ValidationFailed.single("code", f"The code {data.code!r} is already used by another discount") from None


async def list_discounts(conn: asyncpg.Connection, scope: Scope, limit: int = 100) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM discounts WHERE box_office_id = $1 AND livemode = $2"
                            " ORDER BY created_at DESC, id DESC LIMIT $3", scope.box_office_id, scope.livemode, limit)


