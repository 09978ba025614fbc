"""Products, discounts, vouchers and their codes, and a series' waitlist signups: lists that
the live API serves beyond the reference page, paged like the rest of the dialect, each read
in one statement (a nested list's parent is checked by a head column of that statement)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import asyncpg
from starlette.requests import Request
from starlette.responses import Response

from core.listing import Where
from core.reads import Shape
from dialects.base import Route, json_response
from dialects.tickettailor import pagination
from dialects.tickettailor.pagination import Listing, Parent
from dialects.tickettailor.routes.reference import context, path_id
from dialects.tickettailor.serializers import offers as wire

if TYPE_CHECKING:
    from core.keys import Principal
    from dialects.tickettailor.dialect import TicketTailor

Render = Callable[[Sequence[asyncpg.Record]], list[dict[str, Any]]]

PRODUCTS = Listing("product", "pr_", wire.PRODUCTS)
DISCOUNTS = Listing("discount", "dc_", wire.DISCOUNTS)
VOUCHERS = Listing("voucher", "vo_", wire.VOUCHERS)
VOUCHER_CODES = Listing("voucher_code", "vc_", wire.VOUCHER_CODES)
WAITLIST_SIGNUPS = Listing("waitlist_signup", "ws_", wire.WAITLIST_SIGNUPS)


def scoped(p: Principal, alias: str) -> Where:
    where = Where()
    where.add(f"{alias}.box_office_id = ? AND {alias}.livemode = ?", p.scope.box_office_id, p.scope.livemode)
    return where


async def _list(d: TicketTailor, request: Request, p: Principal, spec: Listing, where: Where, shape: Shape,
                render: Render, within: Parent | None = None) -> Response:
    ctx = context(d, p)
    async with d.services.pool.acquire() as conn:
        page, has_next, has_previous = await pagination.read_page(conn, request, p.scope, spec, where, shape,
                                                                  within, now=ctx.now, box_office=ctx.box_office_id)
    links = pagination.links(request, d.settings.links, spec, page, has_next, has_previous)
    return json_response({"data": render(page.rows), "links": links})


async def list_products(d: TicketTailor, request: Request, p: Principal) -> Response:
    pagination.parse_limit(request)  # validate everything before touching the database
    return await _list(d, request, p, PRODUCTS, scoped(p, "p"), wire.PRODUCT_READ, wire.products)


async def list_discounts(d: TicketTailor, request: Request, p: Principal) -> Response:
    pagination.parse_limit(request)
    return await _list(d, request, p, DISCOUNTS, scoped(p, "d"), wire.DISCOUNT_READ, wire.DISCOUNT_READ.objects)


async def list_vouchers(d: TicketTailor, request: Request, p: Principal) -> Response:
    pagination.parse_limit(request)
    return await _list(d, request, p, VOUCHERS, scoped(p, "v"), wire.VOUCHER_READ, wire.vouchers)


async def list_voucher_codes(d: TicketTailor, request: Request, p: Principal) -> Response:
    voucher_id = path_id(request, "voucher_id", "voucher")
    pagination.parse_limit(request)
    where = scoped(p, "c")
    where.add("c.voucher_id = ?", voucher_id)
    within = Parent.of("vouchers", where, p.scope, voucher_id, "voucher")
    return await _list(d, request, p, VOUCHER_CODES, where, wire.VOUCHER_CODE_READ, wire.VOUCHER_CODE_READ.objects,
                       within)


async def list_waitlist_signups(d: TicketTailor, request: Request, p: Principal) -> Response:
    series_id = path_id(request, "event_series_id", "event_series")
    pagination.parse_limit(request)
    where = scoped(p, "w")
    where.add("w.series_id = ?", series_id)
    within = Parent.of("event_series", where, p.scope, series_id, "event_series")
    return await _list(d, request, p, WAITLIST_SIGNUPS, where, wire.WAITLIST_SIGNUP_READ,
                       wire.WAITLIST_SIGNUP_READ.objects, within)


ROUTES: tuple[Route, ...] = (
    Route("GET", "/v1/products", list_products, "read"),
    Route("GET", "/v1/discounts", list_discounts, "read"),
    Route("GET", "/v1/vouchers", list_vouchers, "read"),
    Route("GET", "/v1/vouchers/{voucher_id}/codes", list_voucher_codes, "read"),
    Route("GET", "/v1/event_series/{event_series_id}/waitlist_signups", list_waitlist_signups, "read"),
)
