"""The routes without a key (the OpenAPI document, the public listing), and the test-data reset."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from core.errors import NotFound
from core.keys import Principal
from core.listing import EventFilters, PageQuery
from core.models import SLUG_RE, Scope
from core.testdata import reset_test_data
from dialects.base import BadRequest, json_response
from dialects.equaticket import inputs, openapi, queries
from dialects.equaticket.pagination import DEFAULT_LIMIT
from dialects.equaticket.serializers import events_base

if TYPE_CHECKING:
    from dialects.equaticket.dialect import Equaticket

PUBLIC = EventFilters(statuses=("published",), visibility=("public",))


async def openapi_document(d: Equaticket, request: Request, p: None) -> Response:
    return json_response(openapi.document())


def _slug(request: Request) -> str:
    slug = inputs.query_param(request, "org_slug")
    if not slug:
        raise BadRequest("org_slug is required", "org_slug")
    return slug


async def public_events(d: Equaticket, request: Request, p: None) -> Response:
    """Published, public, live events of one organization; nothing private.

    The organization, its page and its events are one statement; the organization is known only
    after it, so a refused limit or cursor is raised then (an unknown organization stays a 404)."""
    slug = _slug(request)
    if not SLUG_RE.fullmatch(slug):  # anything that is not a slug cannot name an organization
        raise NotFound("box_office", "Organization not found")
    refusal: BadRequest | None = None
    try:
        query, owner = d.cursors.unscoped_page_query(request, "public_events")
    except BadRequest as exc:
        query, owner, refusal = PageQuery(DEFAULT_LIMIT), None, exc
    base = events_base(d.services.public_base_url, slug)
    async with d.services.pool.acquire() as conn:
        office_id, page, data = await queries.public_event_page(conn, slug, PUBLIC, query, base)
    if office_id is None:
        raise NotFound("box_office", "Organization not found")
    if refusal is not None:
        raise refusal
    scope = Scope(office_id, True)
    d.cursors.check(scope, owner)
    return json_response(d.cursors.envelope(scope, "public_events", page, data))


async def reset_test(d: Equaticket, request: Request, p: Principal) -> Response:
    """Delete this organization's test-mode data (either key mode may call it; live data stays)."""
    await inputs.json_object(request, optional=True)
    async with d.services.pool.acquire() as conn:
        counts = await reset_test_data(conn, p.box_office_id)
    return json_response({"object": "test_data_reset", "livemode": False, "deleted": counts})
