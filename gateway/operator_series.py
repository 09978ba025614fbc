"""The operator's event series: create a series, give it ticket types, add occurrences, publish it.

Requests and operations in the shape of ``gateway.operations`` and ``gateway.operator`` (one
pydantic model per request; ``(conn, checkout, request)`` operations returning JSON-ready
dicts), kept apart so the series surface reads in one place. The admin API serves them under
``/box-offices/{box_office}/series``, the CLI as ``ticketgate series ...``.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from core import boxoffices, series
from core.checkout import Checkout
from core.ids import format_id
from core.models import Scope
from core.series import OccurrenceCreate, SeriesCreate, SeriesTicketTypeCreate
from gateway.operations import ModeRequest
from gateway.operator import mode_of, plain, require_id


class CreateSeries(ModeRequest, SeriesCreate):
    """The core's own input, with the box office and mode."""


class SeriesRequest(ModeRequest):
    series: str  # es_12 or 12


class AddSeriesTicketType(SeriesRequest, SeriesTicketTypeCreate):
    pass


class AddOccurrence(SeriesRequest, OccurrenceCreate):
    pass


class PublishSeries(SeriesRequest):
    pass


async def _scope(conn: asyncpg.Connection, request: ModeRequest) -> Scope:
    office = await boxoffices.get_box_office(conn, request.box_office)
    return Scope(office["id"], mode_of(request.mode))


def _core(request: ModeRequest, model: type[Any]) -> Any:
    """The core input inside an operator request (what the caller set; defaults otherwise)."""
    fields = set(model.model_fields) & request.model_fields_set
    return model.model_validate({name: getattr(request, name) for name in fields})


def _series(row: Any) -> dict[str, Any]:
    return {**plain(row), "id": format_id("es_", row["id"])}


async def create_series(conn: asyncpg.Connection, checkout: Checkout, req: CreateSeries) -> dict[str, Any]:
    scope = await _scope(conn, req)
    return _series(await series.create_series(conn, scope, _core(req, SeriesCreate)))


async def add_ticket_type(conn: asyncpg.Connection, checkout: Checkout, req: AddSeriesTicketType) -> dict[str, Any]:
    scope = await _scope(conn, req)
    row = await series.add_ticket_type(conn, scope, require_id("event_series", req.series),
                                       _core(req, SeriesTicketTypeCreate))
    return {**plain(row), "series_id": format_id("es_", row["series_id"])}


async def add_occurrence(conn: asyncpg.Connection, checkout: Checkout, req: AddOccurrence) -> dict[str, Any]:
    scope = await _scope(conn, req)
    row = await series.add_occurrence(conn, scope, require_id("event_series", req.series),
                                      _core(req, OccurrenceCreate))
    return {**plain(row), "series_id": format_id("es_", row["series_id"])}


async def publish_series(conn: asyncpg.Connection, checkout: Checkout, req: PublishSeries) -> dict[str, Any]:
    scope = await _scope(conn, req)
    return _series(await series.publish_series(conn, scope, require_id("event_series", req.series)))
