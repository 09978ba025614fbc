"""Check-ins (list, record one) and the key's box office.

A check-in through any path (this endpoint, the operator's CLI and API) is
a row of core's check_ins, so this list shows them all; one recorded here marks the ticket
checked in for every dialect (core.checkins).
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from core import reads
from core.checkins import Scan
from core.errors import ValidationFailed
from core.ids import parse_id
from core.keys import Principal
from core.listing import CHECK_INS, Where
from dialects.base import Route, json_response
from dialects.tickettailor import pagination
from dialects.tickettailor.forms import read_form, required, unix
from dialects.tickettailor.pagination import CHECK_INS as CHECK_IN_LIST
from dialects.tickettailor.routes.reference import context
from dialects.tickettailor.serializers import series as wire
from dialects.tickettailor.write_fields import CHECK_IN_BODY, CHECK_IN_FIELDS, CHECK_IN_REQUIRED

if TYPE_CHECKING:
    from dialects.tickettailor.dialect import TicketTailor

async def list_check_ins(d: TicketTailor, request: Request, p: Principal) -> Response:
    pagination.parse_limit(request)
    where = Where()
    where.add("c.box_office_id = ? AND c.livemode = ?", p.box_office_id, p.livemode)
    async with d.services.pool.acquire() as conn:
        page, has_next, has_previous = await pagination.read_page(conn, request, p.scope, CHECK_IN_LIST, where,
                                                                  wire.CHECK_IN_READ)
    links = pagination.links(request, d.settings.links, CHECK_IN_LIST, page, has_next, has_previous)
    return json_response({"data": wire.CHECK_IN.objects(page.rows), "links": links})


def scan_of(form: dict[str, str]) -> Scan:
    """The form as one scan (a fresh nonce: every POST is a check-in of its own)."""
    required(form, *CHECK_IN_REQUIRED)
    unknown = sorted(set(form) - set(CHECK_IN_FIELDS))
    if unknown:
        raise ValidationFailed.single(unknown[0], "is not a field of this request")
    ticket_id = parse_id("issued_ticket", form["issued_ticket_id"].strip())
    if ticket_id is None:
        raise ValidationFailed.single("issued_ticket_id", "must be an issued ticket id such as it_123")
    quantity = form["quantity"].strip()
    if not quantity.lstrip("-").isdigit() or not quantity.isascii() or len(quantity) > 4:
        raise ValidationFailed.single("quantity", "must be a whole number (negative to check out)")
    at = unix("check_in_at", form["check_in_at"]) if form.get("check_in_at") else None
    return Scan(ticket_id, secrets.token_hex(16), int(quantity), at)


async def create_check_in(d: TicketTailor, request: Request, p: Principal) -> Response:
    scan = scan_of(await read_form(request, CHECK_IN_BODY))
    async with d.services.pool.acquire() as conn:
        done = await d.services.checkout.scan(conn, p.scope, scan)
        assert done.check_in is not None  # a fresh nonce is never a repeat
        row = await reads.read_one(conn, wire.CHECK_IN_READ, CHECK_INS, p.scope, done.check_in["id"])
    return json_response(wire.CHECK_IN.objects([row])[0])


async def get_box_office(d: TicketTailor, request: Request, p: Principal) -> Response:
    async with d.services.pool.acquire() as conn:
        row = await conn.fetchrow(f"SELECT {wire.BOX_OFFICE_OBJECT.columns} FROM box_offices b WHERE b.id = $1",
                                  p.box_office_id)
    return json_response(wire.box_office(row, context(d, p)))


ROUTES: tuple[Route, ...] = (
    Route("GET", "/v1/check_ins", list_check_ins, "read"),
    Route("POST", "/v1/check_ins", create_check_in, "write"),
    Route("GET", "/v1/box_office", get_box_office, "read"),
)
