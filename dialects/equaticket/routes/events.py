"""Events and ticket types: list, get, create, update, publish, cancel; ticket type CRUD."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import asyncpg
from starlette.requests import Request
from starlette.responses import Response

from core import events as core_events
from core.errors import NotFound
from core.keys import Principal
from core.listing import EventFilters
from core.models import EventStatus, Scope
from dialects.base import json_response
from dialects.equaticket import inputs, queries
from dialects.equaticket.inputs import choice, path_id

if TYPE_CHECKING:
    from dialects.equaticket.dialect import Equaticket

Transition = Callable[[asyncpg.Connection, Scope, int], Awaitable[Any]]
EVENT_STATUSES: tuple[str, ...] = EventStatus.__args__  # type: ignore[attr-defined]


async def _event_json(d: Equaticket, p: Principal, event_id: int, status: int = 200) -> Response:
    """The event as GET returns it (after a write: read back through the projection)."""
    async with d.services.pool.acquire() as conn:
        data = await queries.event(conn, p.scope, event_id, d.events_base(p))
    return json_response(data, status)


async def list_events(d: Equaticket, request: Request, p: Principal) -> Response:
    status = choice(request, "status", EVENT_STATUSES)
    query = d.cursors.page_query(request, p.scope, "events")
    filters = EventFilters(statuses=(status,) if status else ())
    async with d.services.pool.acquire() as conn:
        page, data = await queries.event_page(conn, p.scope, filters, query, d.events_base(p))
    return json_response(d.cursors.envelope(p.scope, "events", page, data))


async def get_event(d: Equaticket, request: Request, p: Principal) -> Response:
    return await _event_json(d, p, path_id(request, "event_id", "event"))


async def create_event(d: Equaticket, request: Request, p: Principal) -> Response:
    data = inputs.event_create(await inputs.json_object(request))
    async with d.services.pool.acquire() as conn:
        row = await core_events.create_event(conn, p.scope, data)
    return await _event_json(d, p, row["id"], 201)


async def update_event(d: Equaticket, request: Request, p: Principal) -> Response:
    event_id = path_id(request, "event_id", "event")
    data = inputs.event_update(await inputs.json_object(request))
    async with d.services.pool.acquire() as conn:
        await core_events.update_event(conn, p.scope, event_id, data)
    return await _event_json(d, p, event_id)


async def _transition(d: Equaticket, request: Request, p: Principal, change: Transition) -> Response:
    """Publish or cancel: an optional empty body, the core rule, the event as GET returns it."""
    event_id = path_id(request, "event_id", "event")
    await inputs.json_object(request, optional=True)
    async with d.services.pool.acquire() as conn:
        await change(conn, p.scope, event_id)
    return await _event_json(d, p, event_id)


async def publish_event(d: Equaticket, request: Request, p: Principal) -> Response:
    return await _transition(d, request, p, core_events.publish_event)


async def cancel_event(d: Equaticket, request: Request, p: Principal) -> Response:
    return await _transition(d, request, p, core_events.cancel_event)


async def list_ticket_types(d: Equaticket, request: Request, p: Principal) -> Response:
    """All of an event's types in display order (an event has few: not paged, has_more false)."""
    event_id = path_id(request, "event_id", "event")
    async with d.services.pool.acquire() as conn:
        data = await queries.ticket_types(conn, p.scope, event_id)
    return json_response({"livemode": p.livemode, "data": data, "has_more": False, "next_cursor": None})


async def create_ticket_type(d: Equaticket, request: Request, p: Principal) -> Response:
    event_id = path_id(request, "event_id", "event")
    body = await inputs.json_object(request)
    async with d.services.pool.acquire() as conn:
        event = await core_events.get_event(conn, p.scope, event_id)
        row = await core_events.add_ticket_type(
            conn, p.scope, event_id, inputs.ticket_type_create(body, event["currency"])
        )
        data = await queries.ticket_type(conn, row["id"])
    return json_response(data, 201)


async def _owned_type(d: Equaticket, request: Request, p: Principal) -> tuple[int, Any]:
    """The path's ticket type id, after checking it belongs to the path's event."""
    event_id = path_id(request, "event_id", "event")
    type_id = path_id(request, "ticket_type_id", "ticket_type")
    async with d.services.pool.acquire() as conn:
        event = await core_events.get_event(conn, p.scope, event_id)
        row = await core_events.get_ticket_type(conn, p.scope, type_id)
    if row["event_id"] != event_id:
        raise NotFound("ticket_type", "Ticket type not found")
    return type_id, event


async def update_ticket_type(d: Equaticket, request: Request, p: Principal) -> Response:
    type_id, event = await _owned_type(d, request, p)
    data = inputs.ticket_type_update(await inputs.json_object(request), event["currency"])
    async with d.services.pool.acquire() as conn:
        await core_events.update_ticket_type(conn, p.scope, type_id, data)
        body = await queries.ticket_type(conn, type_id)
    return json_response(body)


async def delete_ticket_type(d: Equaticket, request: Request, p: Principal) -> Response:
    type_id, _ = await _owned_type(d, request, p)
    async with d.services.pool.acquire() as conn:
        await core_events.remove_ticket_type(conn, p.scope, type_id)
    return json_response({"id": f"tkt_{type_id}", "object": "ticket_type", "livemode": p.livemode, "deleted": True})
