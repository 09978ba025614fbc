"""The unauthenticated public listing, and the test-data reset."""

from __future__ import annotations

from typing import TYPE_CHECKING

import asyncpg
from starlette.requests import Request
from starlette.responses import Response

from core.errors import NotFound
from core.keys import Principal
from core.listing import EventFilters, list_events
from core.models import SLUG_RE, Scope
from core.testdata import reset_test_data
from dialects.base import BadRequest, json_response
from dialects.equaticket import inputs
from dialects.equaticket import serializers as ser
from dialects.equaticket.pagination import query_param

if TYPE_CHECKING:
    from dialects.equaticket.dialect import Equaticket

PUBLIC = EventFilters(statuses=("published",), visibility=("public",))


async def _office(conn: asyncpg.Connection, request: Request) -> tuple[int, str]:
    slug = query_param(request, "org_slug")
    if not slug:
        raise BadRequest("org_slug is required", "org_slug")
    office_id = None
    if SLUG_RE.fullmatch(slug):  # anything else cannot name an organization
        office_id = await conn.fetchval("SELECT id FROM box_offices WHERE slug = $1", slug)
    if office_id is None:
        raise NotFound("box_office", "Organization not found")
    return office_id, slug


async def public_events(d: Equaticket, request: Request) -> Response:
    """Published, public, live events of one organization; nothing private."""
    async with d.services.pool.acquire() as conn:
        office_id, slug = await _office(conn, request)
        scope = Scope(office_id, True)
        query = d.cursors.page_query(request, scope, "public_events")
        page = await list_events(conn, ser.PUBLIC_EVENT.columns, scope, PUBLIC, query)
        data = await ser.events_json(conn, page.rows, ser.events_base(d.services.public_base_url, slug), public=True)
    return json_response(d.cursors.envelope(scope, "public_events", page, data))


async def reset_test(d: Equaticket, request: Request, p: Principal) -> Response:
    """Delete this organization's test-mode data (either key mode may call it; live data stays)."""
    await inputs.json_object(request, optional=True)
    async with d.services.pool.acquire() as conn:
        counts = await reset_test_data(conn, p.box_office_id)
    return json_response({"object": "test_data_reset", "livemode": False, "deleted": counts})
