"""The endpoints of the reference page: parse the query, read through core, serialize."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import asyncpg
from starlette.requests import Request
from starlette.responses import Response

from core import listing
from core.errors import NotFound
from core.ids import parse_id
from core.keys import Principal
from core.listing import Where
from core.reads import Shape
from dialects.base import Route, json_response
from dialects.tickettailor import openapi, pagination
from dialects.tickettailor.inputs import event_where, order_filters, ticket_filters
from dialects.tickettailor.pagination import EVENTS, ORDERS, TICKETS, Listing
from dialects.tickettailor.serializers import Context

if TYPE_CHECKING:
    from dialects.tickettailor.dialect import TicketTailor

Render = Callable[[Sequence[asyncpg.Record], Context], list[dict[str, Any]]]


def context(d: TicketTailor, p: Principal) -> Context:
    return Context(d.services.public_base_url, p.box_office_id, p.box_office_slug, d.services.clock.now())


def path_id(request: Request, param: str, kind: str) -> int:
    number = parse_id(kind, request.path_params[param])
    if number is None:  # a malformed id names no object: the vendor answers 404
        raise NotFound(kind, f"{kind.replace('_', ' ').capitalize()} not found")
    return number


async def ping(d: TicketTailor, request: Request, p: Principal) -> Response:
    return json_response({"version": "pong"})


async def openapi_document(d: TicketTailor, request: Request, p: None) -> Response:
    return json_response(openapi.document(request.scope.get("root_path", "")))


async def _list(d: TicketTailor, request: Request, p: Principal, spec: Listing, where: Where, shape: Shape,
                render: Render) -> Response:
    ctx = context(d, p)
    async with d.services.pool.acquire() as conn:
        page, has_next, has_previous = await pagination.read_page(conn, request, p.scope, spec, where, shape,
                                                                  now=ctx.now, box_office=ctx.box_office_id)
    data = render(page.rows, ctx)
    links = pagination.links(request, d.settings.links, spec, page, has_next, has_previous)
    return json_response({"data": data, "links": links})


async def list_events(d: TicketTailor, request: Request, p: Principal) -> Response:
    pagination.parse_limit(request)  # validate everything before touching the database
    where = event_where(p.scope, request.query_params)
    return await _list(d, request, p, EVENTS, where, d.reads.event_read, d.reads.events)


async def list_orders(d: TicketTailor, request: Request, p: Principal) -> Response:
    pagination.parse_limit(request)
    where = listing.order_where(p.scope, order_filters(request.query_params))
    return await _list(d, request, p, ORDERS, where, d.reads.order_read, d.reads.orders)


async def list_issued_tickets(d: TicketTailor, request: Request, p: Principal) -> Response:
    pagination.parse_limit(request)
    where = listing.ticket_where(p.scope, ticket_filters(request.query_params))
    return await _list(d, request, p, TICKETS, where, d.reads.ticket_read, d.reads.tickets)


async def get_event(d: TicketTailor, request: Request, p: Principal) -> Response:
    event_id = path_id(request, "event_id", "event")
    ctx = context(d, p)
    async with d.services.pool.acquire() as conn:
        row = await d.reads.event(conn, p.scope, event_id, ctx)
    (body,) = d.reads.events([row], ctx)
    return json_response(body)


async def get_order(d: TicketTailor, request: Request, p: Principal) -> Response:
    order_id = path_id(request, "order_id", "order")
    async with d.services.pool.acquire() as conn:
        row = await d.reads.order(conn, p.scope, order_id)
    (body,) = d.reads.orders([row], context(d, p))
    return json_response(body)


async def get_issued_ticket(d: TicketTailor, request: Request, p: Principal) -> Response:
    ticket_id = path_id(request, "issued_ticket_id", "issued_ticket")
    async with d.services.pool.acquire() as conn:
        row = await d.reads.ticket_row(conn, p.scope, ticket_id)
    return json_response(d.reads.ticket.objects([row])[0])


ROUTES: tuple[Route, ...] = (
    Route("GET", "/v1/ping", ping, "read"),
    Route("GET", "/v1/events", list_events, "read"),
    Route("GET", "/v1/events/{event_id}", get_event, "read"),
    Route("GET", "/v1/orders", list_orders, "read"),
    Route("GET", "/v1/orders/{order_id}", get_order, "read"),
    Route("GET", "/v1/issued_tickets", list_issued_tickets, "read"),
    Route("GET", "/v1/issued_tickets/{issued_ticket_id}", get_issued_ticket, "read"),
    Route("GET", "/v1/openapi.json", openapi_document, None),  # public: no key is read
)
