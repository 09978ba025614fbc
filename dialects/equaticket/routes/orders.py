"""Orders and attendees (issued tickets): read-only lists and details."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import asyncpg
from starlette.requests import Request
from starlette.responses import Response

from core.keys import Principal
from core.listing import OrderFilters, Page, PageQuery, TicketFilters
from core.models import Scope
from dialects.base import json_response
from dialects.equaticket import queries
from dialects.equaticket.inputs import choice, filter_id, flag, path_id, query_param
from dialects.equaticket.serializers import ORDER_STATUS

if TYPE_CHECKING:
    from dialects.equaticket.dialect import Equaticket

Read = Callable[[asyncpg.Connection, Scope, PageQuery], Awaitable[tuple[Page, list[Any]]]]


def _order_filters(request: Request, event_id: int | None) -> OrderFilters:
    status = choice(request, "status", ORDER_STATUS.values)
    return OrderFilters(
        event_id=event_id,
        statuses=(ORDER_STATUS.parse(status),) if status else (),
        buyer_email=query_param(request, "buyer_email"),
    )


async def _page(d: Equaticket, request: Request, p: Principal, kind: str, read: Read) -> Response:
    """One page of ``read`` (an event's own list: NotFound unless the event is the scope's)."""
    query = d.cursors.page_query(request, p.scope, kind)
    async with d.services.pool.acquire() as conn:
        page, data = await read(conn, p.scope, query)
    return json_response(d.cursors.envelope(p.scope, kind, page, data))


def _orders(request: Request, event_id: int | None, within: int | None = None) -> Read:
    return partial(queries.order_page, filters=_order_filters(request, event_id), within=within)


def _attendees(request: Request, event_id: int | None, within: int | None = None) -> Read:
    filters = TicketFilters(event_id=event_id, checked_in=flag(request, "checked_in"))
    return partial(queries.attendee_page, filters=filters, within=within)


async def list_orders(d: Equaticket, request: Request, p: Principal) -> Response:
    return await _page(d, request, p, "orders", _orders(request, filter_id(request, "event", "event")))


async def list_event_orders(d: Equaticket, request: Request, p: Principal) -> Response:
    event_id = path_id(request, "event_id", "event")
    return await _page(d, request, p, f"event_orders.{event_id}", _orders(request, event_id, event_id))


async def list_attendees(d: Equaticket, request: Request, p: Principal) -> Response:
    return await _page(d, request, p, "attendees", _attendees(request, filter_id(request, "event", "event")))


async def list_event_attendees(d: Equaticket, request: Request, p: Principal) -> Response:
    event_id = path_id(request, "event_id", "event")
    return await _page(d, request, p, f"event_attendees.{event_id}", _attendees(request, event_id, event_id))


async def get_order(d: Equaticket, request: Request, p: Principal) -> Response:
    order_id = path_id(request, "order_id", "order")
    async with d.services.pool.acquire() as conn:
        data = await queries.order(conn, p.scope, order_id)
    return json_response(data)
