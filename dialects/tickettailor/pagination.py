"""Ticket Tailor paging: ``starting_after`` / ``ending_before`` object ids, ``limit``, ``links``.

The cursors are plain object ids (``or_120``); each is turned into its keyset position
(created_at, id) and handed to core as a ``PageQuery``. ``ending_before`` wins when both
are given, as the vendor documents. ``links`` hold the path of the next and previous
page with every other query parameter kept, and are null at the ends of the list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

import asyncpg
from starlette.requests import Request

from core import listing, reads
from core.errors import NotFound
from core.ids import parse_id
from core.listing import PageQuery, Where
from core.models import Scope
from core.projection import Field
from core.reads import Shape
from dialects.base import BadRequest
from dialects.tickettailor.inputs import text

DEFAULT_LIMIT = 100  # the vendor's own default
MAX_LIMIT = 100
CURSORS = ("starting_after", "ending_before")


@dataclass(frozen=True, slots=True)
class Listing:
    """One list endpoint's paging model, declared as data."""

    kind: str  # core.ids kind of the cursor ids
    prefix: str  # the id prefix this dialect prints
    source: listing.Source


EVENTS = Listing("event", "ev_", listing.EVENTS)
SERIES = Listing("event_series", "es_", listing.SERIES)
CHECK_INS = Listing("check_in", "chk_", listing.CHECK_INS)
ORDERS = Listing("order", "or_", listing.ORDERS)
TICKETS = Listing("issued_ticket", "it_", listing.TICKETS)


def parse_limit(request: Request) -> int:
    value = text(request.query_params, "limit")
    if value is None:
        return DEFAULT_LIMIT
    # digits only, as the document's integer: " 5" or "5 " is refused, not trimmed
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_LIMIT:
        raise BadRequest(f"limit must be an integer between 1 and {MAX_LIMIT}", "limit")
    return int(value)


@dataclass(frozen=True, slots=True)
class Parent:
    """The object a nested list belongs to (a voucher's codes): a head column of the page's own
    statement tells whether it is the scope's, and a missing one is a 404 (``kind``)."""

    exists: Field  # ("_parent", "EXISTS (...)"), its parameters bound to the list's Where
    kind: str

    @classmethod
    def of(cls, table: str, where: Where, scope: Scope, object_id: int, kind: str) -> Parent:
        """The scope's ``table`` row ``object_id``, read by the list's own statement (named apart
        from a cursor page's own ``_found``: whether the cursor is the scope's)."""
        return cls(("_parent", listing.exists(table, where, scope, object_id)[1]), kind)

    def check(self, page: listing.Page) -> None:
        if not page.head[self.exists[0]]:
            raise NotFound(self.kind)


async def read_page(
    conn: asyncpg.Connection, request: Request, scope: Scope, spec: Listing, where: Where, shape: Shape,
    parent: Parent | None = None, **values: Any,
) -> tuple[listing.Page, bool, bool]:
    """The page the request asks for (through ``shape``, with the request ``values`` its tokens
    name), and whether older (next) and newer (previous) rows exist; ``head`` columns (on
    ``where``'s parameters: whether a parent exists) are read by the same statement, in ``Page.head``,
    and handed to ``check`` before the cursor is judged (a missing parent is its 404, not a 400).

    A cursor page is one statement with its cursor's position, whether it is the scope's, and
    the probe behind the link back (core.listing.page_next_to), so it costs what a first page costs.
    """
    limit = parse_limit(request)
    params = request.query_params
    name = "ending_before" if params.get("ending_before") is not None else "starting_after"
    value = text(params, name)
    head = () if parent is None else (parent.exists,)
    if value is None:
        page = await reads.page(conn, shape, spec.source, where, PageQuery(limit), head, **values)
        if parent is not None:
            parent.check(page)
        return page, page.has_more, False
    number = parse_id(spec.kind, value.strip())
    before = name == "ending_before"
    near = None if number is None else await reads.page_next_to(
        conn, shape, spec.source, where, scope, number, limit, before=before, head=head, **values)
    if near is not None and parent is not None:
        parent.check(near)
    if near is None or not near.found:  # an unknown cursor is the client's mistake, not an empty page
        raise BadRequest(f"{name} must be the id of an existing {spec.kind.replace('_', ' ')}", name)
    if not near.rows:
        return near, False, False
    return (near, near.beyond, near.has_more) if before else (near, near.has_more, near.beyond)


def base_path(request: Request, form: Literal["api", "host"]) -> str:
    """The list path as the client should append it: to its API base, or to the host."""
    root = request.scope.get("root_path", "")
    path = request.scope["path"]  # a list route's own path (no query): request.url would build a whole URL
    relative = path[len(root):] if root and path.startswith(root) else path
    if form == "host":
        return root + relative
    return relative.removeprefix("/v1")


def link(request: Request, form: Literal["api", "host"], cursor: str, object_id: str) -> str:
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in CURSORS]
    query = f"{cursor}={object_id}&{urlencode(kept)}" if kept else f"{cursor}={object_id}"  # ids need no quoting
    return f"{base_path(request, form)}?{query}"


def links(
    request: Request, form: Literal["api", "host"], spec: Listing, page: listing.Page,
    has_next: bool, has_previous: bool,
) -> dict[str, str | None]:
    rows = page.rows
    return {
        "next": link(request, form, "starting_after", f"{spec.prefix}{rows[-1][listing.KEY_ID]}") if has_next else None,
        "previous": link(request, form, "ending_before", f"{spec.prefix}{rows[0][listing.KEY_ID]}")
        if has_previous else None,
    }
