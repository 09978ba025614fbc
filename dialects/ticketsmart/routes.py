"""The v1 endpoints: parse the wire input, call core, serialise. Nothing else happens here.

Reads use asyncpg directly (a constant number of queries per request: the page, its
count, and every listed event's ticket types in one ``= ANY`` query).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import asyncpg
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from core import events as core_events
from core import listing
from core.errors import NotFound
from core.ids import parse_id
from core.keys import Principal
from core.listing import KEY_ID
from core.models import SLUG_RE
from dialects.base import json_response, read_json
from dialects.ticketsmart import inputs, serializers
from dialects.ticketsmart.filters import list_params
from dialects.ticketsmart.openapi import document
from dialects.ticketsmart.pagination import pagination_json
from dialects.ticketsmart.serializers import AVAILABILITY_LINE, EVENT, TICKET_TYPE
from dialects.ticketsmart.serializers import event_id as event_id_text

if TYPE_CHECKING:
    from dialects.ticketsmart.dialect import TicketSmart

READ, WRITE = "events:read", "events:write"
Objects = list[dict[str, Any]]
API = "/api/v1"


class Endpoints:
    def __init__(self, dialect: TicketSmart) -> None:
        self.services = dialect.services

    def _events_page(self, principal: Principal) -> str:
        return f"{self.services.public_base_url}/events/{principal.box_office_slug}"

    async def _events(self, conn: asyncpg.Connection, principal: Principal, rows: Sequence[Any]) -> Objects:
        """Events (rows of the EVENT projection) with their ticket types, as the API shows them."""
        ids = [row[KEY_ID] for row in rows]
        now = self.services.clock.now()
        types = await core_events.ticket_types_for(conn, ids, TICKET_TYPE.columns, now) if ids else []
        return serializers.events(rows, types, self._events_page(principal))

    async def _event(self, conn: asyncpg.Connection, principal: Principal, event_id: int) -> dict[str, Any]:
        row = await listing.read_one(conn, EVENT.columns, listing.EVENTS, principal.scope, event_id)
        return (await self._events(conn, principal, [row]))[0]

    async def _resolve(self, conn: asyncpg.Connection, principal: Principal, request: Request,
                       columns: str = "e.id") -> Any:
        """The path's event (by any id form or slug) in the key's box office and mode, or 404."""
        ref: str = request.path_params["id_or_slug"]
        if parse_id("event", ref) is None and not SLUG_RE.fullmatch(ref):
            raise NotFound("event", "Event not found")  # not an id or slug: no lookup needed
        return await core_events.resolve_event(conn, principal.scope, ref, columns)

    async def _load(self, conn: asyncpg.Connection, principal: Principal, request: Request) -> int:
        event_id: int = (await self._resolve(conn, principal, request))["id"]
        return event_id

    async def list_events(self, request: Request, principal: Principal) -> Response:
        filters, page_request = list_params(request.query_params)
        where = listing.event_where(principal.scope, filters)
        async with self.services.pool.acquire() as conn:
            page = await listing.page(conn, EVENT.columns, listing.EVENTS, where, page_request.query)
            total = await listing.count(conn, "events", "e", where)
            items = await self._events(conn, principal, page.rows)
        return json_response({"events": items, "pagination": pagination_json(page_request, total)})

    async def create_event(self, request: Request, principal: Principal) -> Response:
        data = inputs.event_create(await read_json(request))
        async with self.services.pool.acquire() as conn:
            event = await core_events.create_event(conn, principal.scope, data)
            body = await self._event(conn, principal, event["id"])
        return json_response({"event": body}, 201)

    async def get_event(self, request: Request, principal: Principal) -> Response:
        async with self.services.pool.acquire() as conn:
            row = await self._resolve(conn, principal, request, EVENT.columns)
            (body,) = await self._events(conn, principal, [row])
        return json_response({"event": body})

    async def patch_event(self, request: Request, principal: Principal) -> Response:
        patch = inputs.event_patch(await read_json(request))
        async with self.services.pool.acquire() as conn, conn.transaction():
            # one transaction: the field update, the addition and the removal land together or not at all
            event_id = await self._load(conn, principal, request)
            await core_events.update_event(conn, principal.scope, event_id, patch.update)
            if patch.add is not None:
                await core_events.add_ticket_type(conn, principal.scope, event_id, patch.add)
            if patch.remove is not None:
                await self._remove(conn, principal, event_id, patch.remove)
            body = await self._event(conn, principal, event_id)
        return json_response({"event": body})

    async def _remove(self, conn: asyncpg.Connection, principal: Principal, event: int, type_id: int) -> None:
        row = await core_events.get_ticket_type(conn, principal.scope, type_id)
        if row["event_id"] != event:
            raise NotFound("ticket_type", "Ticket type not found")
        await core_events.remove_ticket_type(conn, principal.scope, type_id)

    async def ticket_types(self, request: Request, principal: Principal) -> Response:
        async with self.services.pool.acquire() as conn:
            event_id = await self._load(conn, principal, request)
            types = await core_events.ticket_types_for(conn, [event_id], TICKET_TYPE.columns, self.services.clock.now())
        return json_response({"eventId": event_id_text(event_id), "ticketTypes": TICKET_TYPE.objects(types)})

    async def availability(self, request: Request, principal: Principal) -> Response:
        now = self.services.clock.now()
        async with self.services.pool.acquire() as conn:
            event = await self._resolve(conn, principal, request, EVENT.columns)
            lines = await core_events.ticket_types_for(conn, [event[KEY_ID]], AVAILABILITY_LINE.columns, now)
        return json_response(serializers.availability(event, lines, now))

    async def openapi(self, request: Request) -> Response:
        return json_response(document())


def routes(dialect: TicketSmart) -> list[BaseRoute]:
    e = Endpoints(dialect)
    one = f"{API}/events/{{id_or_slug}}"
    return [
        Route(f"{API}/events", dialect.endpoint(e.list_events, READ), methods=["GET"]),
        Route(f"{API}/events", dialect.endpoint(e.create_event, WRITE), methods=["POST"]),
        Route(one, dialect.endpoint(e.get_event, READ), methods=["GET"]),
        Route(one, dialect.endpoint(e.patch_event, WRITE), methods=["PATCH"]),
        Route(f"{one}/ticket-types", dialect.endpoint(e.ticket_types, READ), methods=["GET"]),
        Route(f"{one}/availability", dialect.endpoint(e.availability, READ), methods=["GET"]),
        Route(f"{API}/openapi.json", dialect.public(e.openapi), methods=["GET"]),
    ]
