"""The v1 surface, one row per operation, and its handlers: parse the wire input, call core or
queries.py, serialise. Nothing else happens here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import asyncpg
from starlette.requests import Request
from starlette.responses import Response

from core import events as core_events
from core.errors import NotFound
from core.keys import Principal
from core.models import Scope
from dialects.base import Route, json_response, read_json
from dialects.ticketsmart import inputs, queries, writes
from dialects.ticketsmart.openapi import document
from dialects.ticketsmart.pagination import pagination_json

if TYPE_CHECKING:
    from dialects.ticketsmart.dialect import TicketSmart

READ, WRITE = "events:read", "events:write"
API = "/api/v1"
ONE = f"{API}/events/{{id_or_slug}}"


def _view(d: TicketSmart, p: Principal) -> queries.View:
    return queries.View(d.services.clock.now(), f"{d.services.public_base_url}/events/{p.box_office_slug}")


def _ref(request: Request) -> str:
    ref: str = request.path_params["id_or_slug"]
    return ref


async def list_events(d: TicketSmart, request: Request, p: Principal) -> Response:
    filters, page = inputs.list_params(request.query_params)
    async with d.services.pool.acquire() as conn:
        items, total = await queries.event_page(conn, p.scope, filters, page.query, _view(d, p))
    return json_response({"events": items, "pagination": pagination_json(page, total)})


async def create_event(d: TicketSmart, request: Request, p: Principal) -> Response:
    data = inputs.event_create(await read_json(request))
    async with d.services.pool.acquire() as conn:
        body = await writes.create_event(conn, p.scope, data, _view(d, p))  # one statement, or None
        if body is None:
            event = await core_events.create_event(conn, p.scope, data)
            body = await queries.event(conn, p.scope, event["id"], _view(d, p))
    return json_response({"event": body}, 201)


async def get_event(d: TicketSmart, request: Request, p: Principal) -> Response:
    async with d.services.pool.acquire() as conn:
        body = await queries.event_by_ref(conn, p.scope, _ref(request), _view(d, p))
    return json_response({"event": body})


async def patch_event(d: TicketSmart, request: Request, p: Principal) -> Response:
    patch = inputs.event_patch(await read_json(request))
    async with d.services.pool.acquire() as conn:
        body = await writes.patch_event(conn, p.scope, _ref(request), patch, _view(d, p))  # one statement, or None
        if body is None:
            body = await _patch(conn, p.scope, _ref(request), patch, _view(d, p))
    return json_response({"event": body})


async def _patch(conn: asyncpg.Connection, scope: Scope, ref: str, patch: inputs.EventPatch, view: queries.View
                 ) -> dict[str, Any]:
    async with conn.transaction():
        # one transaction: the field update, the addition and the removal land together or not at all
        event_id = await queries.event_id(conn, scope, ref)
        await core_events.update_event(conn, scope, event_id, patch.update)
        if patch.add is not None:
            await core_events.add_ticket_type(conn, scope, event_id, patch.add)
        if patch.remove is not None:
            await _remove(conn, scope, event_id, patch.remove)
        return await queries.event(conn, scope, event_id, view)


async def _remove(conn: asyncpg.Connection, scope: Scope, event_id: int, type_id: int) -> None:
    """Removes one of the event's own ticket types (another event's is not found from here)."""
    row = await core_events.get_ticket_type(conn, scope, type_id)
    if row["event_id"] != event_id:
        raise NotFound("ticket_type", "Ticket type not found")
    await core_events.remove_ticket_type(conn, scope, type_id)


async def ticket_types(d: TicketSmart, request: Request, p: Principal) -> Response:
    async with d.services.pool.acquire() as conn:
        body = await queries.ticket_types(conn, p.scope, _ref(request), d.services.clock.now())
    return json_response(body)


async def availability(d: TicketSmart, request: Request, p: Principal) -> Response:
    now = d.services.clock.now()
    async with d.services.pool.acquire() as conn:
        body = await queries.availability(conn, p.scope, _ref(request), now)
    return json_response(body)


async def openapi(d: TicketSmart, request: Request, p: None) -> Response:
    return json_response(document())


ROUTES: tuple[Route, ...] = (
    Route("GET", f"{API}/events", list_events, READ),
    Route("POST", f"{API}/events", create_event, WRITE),
    Route("GET", ONE, get_event, READ),
    Route("PATCH", ONE, patch_event, WRITE),
    Route("GET", f"{ONE}/ticket-types", ticket_types, READ),
    Route("GET", f"{ONE}/availability", availability, READ),
    Route("GET", f"{API}/openapi.json", openapi, None),  # public: no key is read
)
