"""Operator use cases for products, discounts, vouchers and waitlist signups (CLI and admin API).

Each takes ``(conn, checkout, request)`` like gateway.operator's; ids in the request are any
dialect's form, outputs are JSON-ready dicts with core ids.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from core import discounts, products, vouchers, waitlists
from core.checkout import Checkout
from core.models import Input, Scope, parse
from core.offers import DiscountCreate, ProductCreate, VoucherCodesCreate, VoucherCreate, WaitlistSignupCreate
from gateway.operations import ModeRequest
from gateway.operations_offers import (
    AddVoucherCodes,
    CreateDiscount,
    CreateProduct,
    CreateVoucher,
    CreateWaitlistSignup,
    ListDiscounts,
    ListProducts,
    ListVoucherCodes,
    ListVouchers,
    ListWaitlistSignups,
)
from gateway.operator import _scope, plain, require_id

_REQUEST = {"box_office", "mode"}


def _core(model: type[Input], req: ModeRequest, drop: frozenset[str] = frozenset(), **ids: list[int] | int) -> Any:
    """The core input behind an operator request: its fields (but ``drop``), its ids as core integers."""
    return parse(model, {**req.model_dump(exclude=_REQUEST | drop | set(ids), exclude_unset=True), **ids})


def _ids(kind: str, texts: list[str]) -> list[int]:
    return [require_id(kind, text) for text in texts]


async def _where(conn: asyncpg.Connection, req: ModeRequest) -> Scope:
    return await _scope(conn, req.box_office, req.mode)


async def create_product(conn: asyncpg.Connection, checkout: Checkout, req: CreateProduct) -> dict[str, Any]:
    data = _core(ProductCreate, req, series_ids=_ids("event_series", req.series_ids))
    return plain(await products.create_product(conn, await _where(conn, req), data, checkout.clock.now()))


async def list_products(conn: asyncpg.Connection, checkout: Checkout, req: ListProducts) -> list[dict[str, Any]]:
    return [plain(r) for r in await products.list_products(conn, await _where(conn, req))]


async def create_discount(conn: asyncpg.Connection, checkout: Checkout, req: CreateDiscount) -> dict[str, Any]:
    data = _core(DiscountCreate, req, ticket_type_ids=_ids("ticket_type", req.ticket_type_ids),
                 product_ids=_ids("product", req.product_ids))
    return plain(await discounts.create_discount(conn, await _where(conn, req), data, checkout.clock.now()))


async def list_discounts(conn: asyncpg.Connection, checkout: Checkout, req: ListDiscounts) -> list[dict[str, Any]]:
    return [plain(r) for r in await discounts.list_discounts(conn, await _where(conn, req))]


async def create_voucher(conn: asyncpg.Connection, checkout: Checkout, req: CreateVoucher) -> dict[str, Any]:
    scope = await _where(conn, req)
    data = _core(VoucherCreate, req, series_ids=_ids("event_series", req.series_ids))
    voucher = await vouchers.create_voucher(conn, scope, data, checkout.clock.now())
    codes = await vouchers.list_codes(conn, scope, voucher["id"])
    return {**plain(voucher), "codes": [plain(c) for c in codes]}


async def add_voucher_codes(conn: asyncpg.Connection, checkout: Checkout, req: AddVoucherCodes) -> list[dict[str, Any]]:
    data = _core(VoucherCodesCreate, req, frozenset({"voucher"}))  # the path's, not a field of the codes
    voucher_id = require_id("voucher", req.voucher)
    rows = await vouchers.add_codes(conn, await _where(conn, req), voucher_id, data, checkout.clock.now())
    return [plain(r) for r in rows]


async def list_vouchers(conn: asyncpg.Connection, checkout: Checkout, req: ListVouchers) -> list[dict[str, Any]]:
    return [plain(r) for r in await vouchers.list_vouchers(conn, await _where(conn, req))]


async def list_voucher_codes(conn: asyncpg.Connection, checkout: Checkout,
                             req: ListVoucherCodes) -> list[dict[str, Any]]:
    rows = await vouchers.list_codes(conn, await _where(conn, req), require_id("voucher", req.voucher))
    return [plain(r) for r in rows]


async def create_waitlist_signup(conn: asyncpg.Connection, checkout: Checkout,
                                 req: CreateWaitlistSignup) -> dict[str, Any]:
    data = _core(WaitlistSignupCreate, req, event_id=require_id("event", req.event_id))
    return plain(await waitlists.sign_up(conn, await _where(conn, req), data, checkout.clock.now()))


async def list_waitlist_signups(conn: asyncpg.Connection, checkout: Checkout,
                                req: ListWaitlistSignups) -> list[dict[str, Any]]:
    series = require_id("event_series", req.series)
    return [plain(r) for r in await waitlists.list_signups(conn, await _where(conn, req), series)]
