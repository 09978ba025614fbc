"""Vouchers: a value (gift card or credit) spent through its codes.

Each code starts with the voucher's value and keeps what is left of it (``remaining``). A
voucher with partial redemption lets a code be spent over several orders; one without it is
spent whole by its first order (what the order does not use is lost, as with a paper voucher).
A code is refused past the voucher's expiry, on an event of a series it is not usable on, and
once nothing is left. Checkout spends a code under its row lock and the UPDATE checks what is
left again (``remaining >= amount``, with the ``remaining >= 0`` constraint behind it), so
concurrent orders never spend more than the code holds; a full refund gives the value back.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import asyncpg

from core.errors import ValidationFailed
from core.models import Scope
from core.offers import VoucherCodesCreate, VoucherCreate
from core.owned import check_owned, office_currency
from core.scoped import fetch_one

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: read aloud at a box office
CODE_LENGTH = 10

_INSERT = (
    "INSERT INTO vouchers (box_office_id, livemode, name, type, value, currency, partial_redemption, all_series,"
    " series_ids, expires_at, created_at, updated_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING *"
)
_CODES = (
    "INSERT INTO voucher_codes (voucher_id, box_office_id, livemode, code, remaining, created_at, updated_at)"
    " SELECT $1, $2, $3, c, $4, $5, $5"
    " FROM unnest($6::text[]) WITH ORDINALITY AS x(c, n) RETURNING *"
)


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


async def create_voucher(conn: asyncpg.Connection, scope: Scope, data: VoucherCreate, now: datetime) -> asyncpg.Record:
    """The voucher with its codes (given and generated), in one transaction."""
    series = await check_owned(conn, scope, "event_series", data.series_ids, "series_ids")
    currency = data.currency or await office_currency(conn, scope)
    async with conn.transaction():
        voucher = await conn.fetchrow(_INSERT, scope.box_office_id, scope.livemode, data.name, data.type, data.value,
                                      currency, data.partial_redemption, not series, series, data.expires_at, now)
        await _insert_codes(conn, voucher, data.codes, data.generate, now)
    return voucher


async def add_codes(conn: asyncpg.Connection, scope: Scope, voucher_id: int, data: VoucherCodesCreate,
                    now: datetime) -> list[asyncpg.Record]:
    """More codes for a voucher, each holding the voucher's whole value."""
    async with conn.transaction():
        voucher = await fetch_one(conn, "vouchers", "*", scope, voucher_id, "voucher", lock=" FOR SHARE")
        return await _insert_codes(conn, voucher, data.codes, data.generate, now)


async def _insert_codes(conn: asyncpg.Connection, voucher: asyncpg.Record, codes: list[str], generate: int,
                        now: datetime) -> list[asyncpg.Record]:
    wanted = [*codes, *(new_code() for _ in range(generate))]
    if not wanted:
        raise ValidationFailed.single("codes", "give at least one code or a number of codes to generate")
    try:
        async with conn.transaction():  # a savepoint: a taken code leaves nothing of this request
            return await conn.fetch(_CODES, voucher["id"], voucher["box_office_id"], voucher["livemode"],
                                    voucher["value"], now, wanted)
    except asyncpg.UniqueViolationError:
        raise ValidationFailed.single("codes", "a code is already used by another voucher") from None


async def list_vouchers(conn: asyncpg.Connection, scope: Scope, limit: int = 100) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT v.*, (SELECT count(*) FROM voucher_codes c WHERE c.voucher_id = v.id) AS total_codes,"
        " (SELECT count(*) FROM voucher_codes c WHERE c.voucher_id = v.id AND c.remaining > 0) AS available_codes"
        " FROM vouchers v WHERE v.box_office_id = $1 AND v.livemode = $2 ORDER BY v.created_at DESC, v.id DESC"
        " LIMIT $3", scope.box_office_id, scope.livemode, limit)


async def list_codes(conn: asyncpg.Connection, scope: Scope, voucher_id: int) -> list[asyncpg.Record]:
    await fetch_one(conn, "vouchers", "id", scope, voucher_id, "voucher")
    return await conn.fetch("SELECT * FROM voucher_codes WHERE voucher_id = $1 ORDER BY created_at DESC, id DESC",
                            voucher_id)
