"""Orders and attendees (issued tickets): read-only lists and details."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from core.events import get_event
from core.keys import Principal
from core.listing import ORDERS, OrderFilters, TicketFilters, list_orders, list_tickets, read_one
from dialects.base import json_response
from dialects.equaticket import serializers as ser
from dialects.equaticket.common import choice, filter_id, flag, path_id
from dialects.equaticket.pagination import query_param

if TYPE_CHECKING:
    from dialects.equaticket.dialect import Equaticket


def _order_filters(request: Request, event_id: int | None) -> OrderFilters:
    status = choice(request, "status", ser.ORDER_STATUS_IN)
    return OrderFilters(
        event_id=event_id,
        statuses=(ser.ORDER_STATUS_IN[status],) if status else (),
        buyer_email=query_param(request, "buyer_email"),
    )


async def _orders(d: Equaticket, request: Request, p: Principal, kind: str, event_id: int | None) -> Response:
    filters = _order_filters(request, event_id)
    query = d.cursors.page_query(request, p.scope, kind)
    async with d.services.pool.acquire() as conn:
        if event_id is not None and kind != "orders":
            await get_event(conn, p.scope, event_id)  # type: ignore[arg-type]
        page = await list_orders(conn, ser.ORDER.columns, p.scope, filters, query)
        data = await ser.orders_json(conn, page.rows)
    return json_response(d.cursors.envelope(p.scope, kind, page, data))


async def list_orders_(d: Equaticket, request: Request, p: Principal) -> Response:
    return await _orders(d, request, p, "orders", filter_id(request, "event", "event"))


async def list_event_orders(d: Equaticket, request: Request, p: Principal) -> Response:
    event_id = path_id(request, "event_id", "event")
    return await _orders(d, request, p, f"event_orders.{event_id}", event_id)


async def get_order_(d: Equaticket, request: Request, p: Principal) -> Response:
    order_id = path_id(request, "order_id", "order")
    async with d.services.pool.acquire() as conn:
        row = await read_one(conn, ser.ORDER.columns, ORDERS, p.scope, order_id)
        data = await ser.orders_json(conn, [row])
    return json_response(data[0])


async def _attendees(d: Equaticket, request: Request, p: Principal, kind: str, event_id: int | None) -> Response:
    filters = TicketFilters(event_id=event_id, checked_in=flag(request, "checked_in"))
    query = d.cursors.page_query(request, p.scope, kind)
    async with d.services.pool.acquire() as conn:
        if event_id is not None and kind != "attendees":
            await get_event(conn, p.scope, event_id)  # type: ignore[arg-type]
        page = await list_tickets(conn, ser.ATTENDEE.columns, p.scope, filters, query)
    data = ser.ATTENDEE.objects(page.rows)
    return json_response(d.cursors.envelope(p.scope, kind, page, data))


async def list_attendees(d: Equaticket, request: Request, p: Principal) -> Response:
    return await _attendees(d, request, p, "attendees", filter_id(request, "event", "event"))


async def list_event_attendees(d: Equaticket, request: Request, p: Principal) -> Response:
    event_id = path_id(request, "event_id", "event")
    return await _attendees(d, request, p, f"event_attendees.{event_id}", event_id)
