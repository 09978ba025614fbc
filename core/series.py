"""Event series: create one, give it default ticket types, add occurrences to it, publish it.

Every event is an occurrence of a series (schema migration 7); an event created without one
gets a one-occurrence series of its own from the database. A series made here holds what its
occurrences share (name, venue, currency, time zone, default ticket types); each occurrence
added to it is an event copied from the series, with its own dates, stock and flags, and with
a copy of every default ticket type (so an occurrence sells and reports on its own, as each
dialect already reads events). A ticket type added to a series later joins its defaults and
every occurrence that still sells (draft or published).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import asyncpg
from pydantic import Field, ValidationInfo, field_validator, model_validator

from core import events, scoped
from core.errors import Conflict
from core.models import (
    MAX_INT,
    Currency,
    EventCreate,
    Input,
    Instant,
    LongText,
    Money,
    Name,
    PerOrder,
    Scope,
    ShortText,
    TicketTypeCreate,
    TicketTypeStatus,
    TimeZone,
    Visibility,
    check_event_times,
    parse,
)

CLOSED = ("cancelled", "completed", "archived")  # a series in these states takes no new occurrence


class SeriesTicketTypeCreate(Input):
    """A default ticket type: the fields each occurrence's copy starts with."""

    name: Name
    description: LongText | None = None
    price: Money = 0
    booking_fee: Money = 0
    quantity: Annotated[int, Field(ge=0, le=MAX_INT)]
    min_per_order: PerOrder = 1
    max_per_order: PerOrder = 100
    hidden: bool = False
    access_code: ShortText | None = None
    sort_order: Annotated[int, Field(ge=-MAX_INT, le=MAX_INT)] = 0
    status: TicketTypeStatus = "on_sale"

    @model_validator(mode="after")
    def _consistent(self) -> SeriesTicketTypeCreate:
        if self.min_per_order > self.max_per_order:
            raise ValueError("min_per_order must not exceed max_per_order")
        return self


class SeriesCreate(Input):
    name: Name
    description: LongText | None = None
    currency: Currency | None = None  # None: the box office's
    timezone: TimeZone = "UTC"
    visibility: Visibility = "public"
    venue_name: ShortText | None = None
    postal_code: ShortText | None = None
    country: ShortText | None = None
    online: bool = False
    online_platform: ShortText | None = None
    access_code: ShortText | None = None
    call_to_action: ShortText | None = None
    image_header: ShortText | None = None
    image_thumbnail: ShortText | None = None
    max_tickets_sold_per_occurrence: Annotated[int, Field(ge=1, le=MAX_INT)] | None = None
    tickets_available_at: Instant | None = None
    tickets_available_at_message: ShortText | None = None
    tickets_unavailable_at: Instant | None = None
    tickets_unavailable_at_message: ShortText | None = None
    waitlist_active: bool = False
    waitlist_call_to_action: ShortText | None = None
    waitlist_event_page_text: LongText | None = None
    waitlist_confirmation_message: LongText | None = None
    ticket_types: list[SeriesTicketTypeCreate] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _messages_need_times(self) -> SeriesCreate:
        for when in ("tickets_available_at", "tickets_unavailable_at"):
            if getattr(self, f"{when}_message") is not None and getattr(self, when) is None:
                raise ValueError(f"{when}_message needs {when}")
        return self


class OccurrenceCreate(Input):
    starts_at: Instant
    ends_at: Instant | None = None
    hidden: bool = False  # not listed on the series' page
    unavailable: bool = False  # listed, not bookable
    unavailable_status: ShortText | None = None  # the text shown instead ("Sold out", "Cancelled")
    online_link: ShortText | None = None

    @field_validator("ends_at")
    @classmethod
    def _ordered(cls, ends: datetime | None, info: ValidationInfo) -> datetime | None:
        starts = info.data.get("starts_at")  # absent when it failed itself
        if ends is not None and starts is not None:
            check_event_times(starts, ends, None)
        return ends


SERIES_COLUMNS = tuple(name for name in SeriesCreate.model_fields if name != "ticket_types")
TYPE_COLUMNS = tuple(SeriesTicketTypeCreate.model_fields)
# what an occurrence copies from its series (event column -> series column)
COPIED = {"title": "name", "description": "description", "currency": "currency", "timezone": "timezone",
          "visibility": "visibility", "venue_name": "venue_name", "postal_code": "postal_code",
          "country": "country", "online": "online", "access_code": "access_code",
          "call_to_action": "call_to_action", "image_header": "image_header", "image_thumbnail": "image_thumbnail"}


def _insert(table: str, columns: tuple[str, ...] | list[str]) -> str:
    marks = ", ".join(f"${n}" for n in range(1, len(columns) + 1))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) RETURNING *"


async def create_series(conn: asyncpg.Connection, scope: Scope, data: SeriesCreate) -> asyncpg.Record:
    """A new series (a draft, with no occurrence yet) and its default ticket types."""
    values: dict[str, Any] = {c: getattr(data, c) for c in SERIES_COLUMNS}
    if values["currency"] is None:
        values["currency"] = await conn.fetchval("SELECT currency FROM box_offices WHERE id = $1",
                                                 scope.box_office_id)
    async with conn.transaction():
        series = await conn.fetchrow(_insert("event_series", ["box_office_id", "livemode", *values]),
                                     scope.box_office_id, scope.livemode, *values.values())
        for ticket_type in data.ticket_types:
            await _insert_default(conn, series["id"], ticket_type)
    return series


async def get_series(conn: asyncpg.Connection, scope: Scope, series_id: int, *, lock: str = "") -> asyncpg.Record:
    return await scoped.fetch_one(conn, "event_series", "*", scope, series_id, "event_series", lock=lock,
                                  missing="Event series not found")


async def _insert_default(conn: asyncpg.Connection, series_id: int, data: SeriesTicketTypeCreate) -> asyncpg.Record:
    values = [getattr(data, c) for c in TYPE_COLUMNS]
    return await conn.fetchrow(_insert("series_ticket_types", ["series_id", *TYPE_COLUMNS]), series_id, *values)


async def add_ticket_type(conn: asyncpg.Connection, scope: Scope, series_id: int,
                          data: SeriesTicketTypeCreate) -> asyncpg.Record:
    """A default ticket type, copied into each occurrence that still sells; the default's row."""
    async with conn.transaction():
        await get_series(conn, scope, series_id, lock=" FOR UPDATE")  # no occurrence is added meanwhile
        default = await _insert_default(conn, series_id, data)
        selling = await conn.fetch("SELECT id FROM events WHERE series_id = $1 AND status IN ('draft', 'published')"
                                   " ORDER BY id", series_id)
        copy = _as_event_type(default)
        for event in selling:
            await events.add_ticket_type(conn, scope, event["id"], copy)
    return default


def _as_event_type(default: Any) -> TicketTypeCreate:
    return parse(TicketTypeCreate, {c: default[c] for c in TYPE_COLUMNS})


async def add_occurrence(conn: asyncpg.Connection, scope: Scope, series_id: int,
                         data: OccurrenceCreate) -> asyncpg.Record:
    """A new occurrence (an event) of the series, with copies of its default ticket types; published
    at once when the series is (the publishing rules apply: paid tickets need payments)."""
    async with conn.transaction():
        series = await get_series(conn, scope, series_id, lock=" FOR UPDATE")
        if series["status"] in CLOSED:
            raise Conflict(f"An event series that is {series['status']} takes no new occurrence")
        defaults = await conn.fetch("SELECT * FROM series_ticket_types WHERE series_id = $1 ORDER BY sort_order, id",
                                    series_id)
        spec = {event: series[column] for event, column in COPIED.items()}
        spec.update(starts_at=data.starts_at, ends_at=data.ends_at,
                    ticket_types=[_as_event_type(d).model_dump() for d in defaults])
        extra = {"series_id": series_id, "hidden": data.hidden, "unavailable": data.unavailable,
                 "unavailable_status": data.unavailable_status, "online_link": data.online_link}
        event = await events.create_event(conn, scope, parse(EventCreate, spec), extra)
        if series["status"] == "published":
            event = await events.publish_event(conn, scope, event["id"])
    return event


async def publish_series(conn: asyncpg.Connection, scope: Scope, series_id: int) -> asyncpg.Record:
    """Publish the series and its draft occurrences (each under the publishing rules), together."""
    async with conn.transaction():
        series = await get_series(conn, scope, series_id, lock=" FOR UPDATE")
        if series["status"] not in ("draft", "published"):
            raise Conflict(f"An event series that is {series['status']} cannot be published")
        drafts = await conn.fetch("SELECT id FROM events WHERE series_id = $1 AND status = 'draft' ORDER BY id",
                                  series_id)
        for event in drafts:
            await events.publish_event(conn, scope, event["id"])
        return await conn.fetchrow("UPDATE event_series SET status = 'published', updated_at = now()"
                                   " WHERE id = $1 RETURNING *", series_id)

