"""Event series: list, read, the occurrences of one; create one, its ticket types, its occurrences.

Reads are one statement each (core.reads), the occurrences' list reading whether the series
is the caller's in the same statement (a 404 for another box office's series, as the detail).
Writes take form fields (forms.py) and answer with the new object as a read would show it.
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from core import listing, reads
from core import series as core_series
from core.errors import FieldError, ValidationFailed
from core.keys import Principal
from core.listing import EventFilters, Where
from core.projection import Projection
from core.series import OccurrenceCreate, SeriesCreate, SeriesTicketTypeCreate
from dialects.base import Route, json_response
from dialects.tickettailor import pagination, serializers
from dialects.tickettailor.dates import zone
from dialects.tickettailor.forms import core_input, read_form, required, unix
from dialects.tickettailor.pagination import EVENTS, SERIES, Parent
from dialects.tickettailor.routes.reference import context, path_id
from dialects.tickettailor.serializers import TICKET_TYPE, TICKET_TYPE_STATUS
from dialects.tickettailor.serializers import series as wire
from dialects.tickettailor.write_fields import (
    OCCURRENCE_BODY,
    OCCURRENCE_FIELDS,
    OCCURRENCE_REQUIRED,
    SERIES_BODY,
    SERIES_FIELDS,
    SERIES_REQUIRED,
    TYPE_BODY,
    TYPE_FIELDS,
    TYPE_REQUIRED,
)

if TYPE_CHECKING:
    from dialects.tickettailor.dialect import TicketTailor

SERIES_ID = "event_series_id"


async def list_series(d: TicketTailor, request: Request, p: Principal) -> Response:
    pagination.parse_limit(request)
    ctx = context(d, p)
    where = Where()
    where.add("s.box_office_id = ? AND s.livemode = ?", p.box_office_id, p.livemode)
    async with d.services.pool.acquire() as conn:
        page, has_next, has_previous = await pagination.read_page(
            conn, request, p.scope, SERIES, where, wire.SERIES_READ, now=ctx.now, box_office=ctx.box_office_id)
    links = pagination.links(request, d.settings.links, SERIES, page, has_next, has_previous)
    return json_response({"data": wire.series(page.rows, ctx), "links": links})


async def get_series(d: TicketTailor, request: Request, p: Principal) -> Response:
    series_id = path_id(request, SERIES_ID, "event_series")
    return json_response(await _series(d, p, series_id))


async def _series(d: TicketTailor, p: Principal, series_id: int) -> dict[str, Any]:
    ctx = context(d, p)
    async with d.services.pool.acquire() as conn:
        row = await reads.read_one(conn, wire.SERIES_READ, listing.SERIES, p.scope, series_id, now=ctx.now,
                                   box_office=ctx.box_office_id)
    return wire.series([row], ctx)[0]


async def list_occurrences(d: TicketTailor, request: Request, p: Principal) -> Response:
    series_id = path_id(request, SERIES_ID, "event_series")
    pagination.parse_limit(request)
    ctx = context(d, p)
    where = listing.event_where(p.scope, EventFilters())
    where.add("e.series_id = ?", series_id)
    within = Parent.of("event_series", where, p.scope, series_id, "event_series")
    async with d.services.pool.acquire() as conn:
        page, has_next, has_previous = await pagination.read_page(
            conn, request, p.scope, EVENTS, where, wire.OCCURRENCE_READ, within, now=ctx.now,
            box_office=ctx.box_office_id)
    links = pagination.links(request, d.settings.links, EVENTS, page, has_next, has_previous)
    return json_response({"data": serializers.events(page.rows, ctx, wire.OCCURRENCE_READ), "links": links})


# --- writes ----------------------------------------------------------------------------------

SERIES_TIMES = {"tickets_available_at": unix, "tickets_unavailable_at": unix}


async def create_series(d: TicketTailor, request: Request, p: Principal) -> Response:
    form = await read_form(request, SERIES_BODY)
    required(form, *SERIES_REQUIRED)
    for when in ("tickets_available_at", "tickets_unavailable_at"):  # named as the client sent it
        if form.get(f"{when}_message") and not form.get(when):
            raise ValidationFailed.single(f"{when}_message", f"needs {when}")
    online = {"online": True} if form.get("online_platform") else {}
    data = core_input(SeriesCreate, form, SERIES_FIELDS, SERIES_TIMES, online)
    async with d.services.pool.acquire() as conn:
        made = await core_series.create_series(conn, p.scope, data)
    return json_response(await _series(d, p, made["id"]))


MAX_PER_ORDER = 500  # the live API's bound


def _type_status(name: str, value: str) -> str:
    if value not in TICKET_TYPE_STATUS.values:
        raise ValidationFailed.single(name, f"must be one of {', '.join(TICKET_TYPE_STATUS.values)}")
    return str(TICKET_TYPE_STATUS.parse(value))


async def add_ticket_type(d: TicketTailor, request: Request, p: Principal) -> Response:
    series_id = path_id(request, SERIES_ID, "event_series")
    form = await read_form(request, TYPE_BODY)
    required(form, *TYPE_REQUIRED)
    for bound in ("min_per_order", "max_per_order"):
        value = form.get(bound, "")
        if value.isdigit() and not 1 <= int(value) <= MAX_PER_ORDER:
            raise ValidationFailed.single(bound, f"must be between 1 and {MAX_PER_ORDER}")
    hidden = {"hidden": True} if form.get("status") == "hidden" else {}
    data = core_input(SeriesTicketTypeCreate, form, TYPE_FIELDS, {"status": _type_status}, hidden)
    async with d.services.pool.acquire() as conn:
        made = await core_series.add_ticket_type(conn, p.scope, series_id, data)
        row = await conn.fetchrow(f"SELECT {_DEFAULT_TYPE.columns} FROM {wire.DEFAULTS} WHERE tt.id = $1", made["id"])
    return json_response(_DEFAULT_TYPE.objects([row])[0])


_DEFAULT_TYPE = Projection(TICKET_TYPE.projection.fields)  # a default ticket type, as a series shows it


def _local(form: dict[str, str], prefix: str) -> datetime | None:
    """``{prefix}_date`` (YYYY-MM-DD) and ``{prefix}_time`` (HH:MM[:SS]) as a local (naive) time,
    read before anything else: the series' time zone places it once the series is read."""
    day, clock = form.pop(f"{prefix}_date", None), form.pop(f"{prefix}_time", None)
    if day is None and clock is None:
        return None
    errors, parsed_day, parsed_time = [], None, None
    try:
        parsed_day = date.fromisoformat(day or "")
    except ValueError:
        errors.append(FieldError(f"{prefix}_date", "must be a date as YYYY-MM-DD"))
    with contextlib.suppress(ValueError):  # "25:00" and the like: refused just below
        parsed_time = time.fromisoformat(clock or "") if len(clock or "") in (5, 8) else None
    if parsed_time is None:
        errors.append(FieldError(f"{prefix}_time", "must be a time as HH:MM:SS"))
    if errors or parsed_day is None or parsed_time is None:
        raise ValidationFailed(errors)
    return datetime.combine(parsed_day, parsed_time)


async def add_occurrence(d: TicketTailor, request: Request, p: Principal) -> Response:
    series_id = path_id(request, SERIES_ID, "event_series")
    form = await read_form(request, OCCURRENCE_BODY)
    required(form, *OCCURRENCE_REQUIRED)
    local = {"starts_at": _local(form, "start"), "ends_at": _local(form, "end")}
    async with d.services.pool.acquire() as conn:
        series = await core_series.get_series(conn, p.scope, series_id)
        where = zone(series["timezone"])
        times = {name: moment.replace(tzinfo=where) for name, moment in local.items() if moment is not None}
        data = core_input(OccurrenceCreate, form, OCCURRENCE_FIELDS, extra=times)
        made = await core_series.add_occurrence(conn, p.scope, series_id, data)
        ctx = context(d, p)
        row = await reads.read_one(conn, wire.OCCURRENCE_READ, listing.EVENTS, p.scope, made["id"], now=ctx.now,
                                   box_office=ctx.box_office_id)
    return json_response(serializers.events([row], ctx, wire.OCCURRENCE_READ)[0])


ROUTES: tuple[Route, ...] = (
    Route("GET", "/v1/event_series", list_series, "read"),
    Route("POST", "/v1/event_series", create_series, "write"),
    Route("GET", "/v1/event_series/{event_series_id}", get_series, "read"),
    Route("GET", "/v1/event_series/{event_series_id}/events", list_occurrences, "read"),
    Route("POST", "/v1/event_series/{event_series_id}/events", add_occurrence, "write"),
    Route("POST", "/v1/event_series/{event_series_id}/ticket_types", add_ticket_type, "write"),
)
