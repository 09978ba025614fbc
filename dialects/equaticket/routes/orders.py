"""Orders and attendees (issued tickets): read-only lists and details."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from core.events import get_event
from core.keys import Principal
from core.listing import OrderFilters, TicketFilters
from dialects.base import json_response
from dialects.equaticket import queries
from dialects.equaticket.inputs import choice, filter_id, flag, path_id, query_param
from dialects.equaticket.serializers import ORDER_STATUS

if TYPE_CHECKING:
    from dialects.equaticket.dialect import Equaticket


def _order_filters(request: Request, event_id: int | None) -> OrderFilters:
    status = choice(request, "status", ORDER_STATUS.values)
    return OrderFilters(
        event_id=event_id,
        statuses=(ORDER_STATUS.parse(status),) if status else (),
        buyer_email=query_param(request, "buyer_email"),
    )


async def _orders(d: Equaticket, request: Request, p: Principal, kind: str, event_id: int | None,
                  *, nested: bool = False) -> Response:
    """A page of orders; ``nested`` (an event's own list) first checks that the event exists."""
    filters = _order_filters(request, event_id)
    query = d.cursors.page_query(request, p.scope, kind)
    async with d.services.pool.acquire() as conn:
        if nested:
            await get_event(conn, p.scope, event_id)  # type: ignore[arg-type]
        page, data = await queries.order_page(conn, p.scope, filters, query)
    return json_response(d.cursors.envelope(p.scope, kind, page, data))


async def list_orders(d: Equaticket, request: Request, p: Principal) -> Response:
    return await _orders(d, request, p, "orders", filter_id(request, "event", "event"))


async def list_event_orders(d: Equaticket, request: Request, p: Principal) -> Response:
    event_id = path_id(request, "event_id", "event")
    return await _orders(d, request, p, f"event_orders.{event_id}", event_id, nested=True)


async def get_order(d: Equaticket, request: Request, p: Principal) -> Response:
    order_id = path_id(request, "order_id", "order")
    async with d.services.pool.acquire() as conn:
        data = await queries.order(conn, p.scope, order_id)
    return json_response(data)


async def _attendees(d: Equaticket, request: Request, p: Principal, kind: str, event_id: int | None,
                     *, nested: bool = False) -> Response:
    filters = TicketFilters(event_id=event_id, checked_in=flag(request, "checked_in"))
    query = d.cursors.page_query(request, p.scope, kind)
    async with d.services.pool.acquire() as conn:
        if nested:
            await get_event(conn, p.scope, event_id)  # type: ignore[arg-type]
        page, data = await queries.attendee_page(conn, p.scope, filters, query)
    return json_response(d.cursors.envelope(p.scope, kind, page, data))


async def list_attendees(d: Equaticket, request: Request, p: Principal) -> Response:
    return await _attendees(d, request, p, "attendees", filter_id(request, "event", "event"))


async def list_event_attendees(d: Equaticket, request: Request, p: Principal) -> Response:
    event_id = path_id(request, "event_id", "event")
    return await _attendees(d, request, p, f"event_attendees.{event_id}", event_id, nested=True)
