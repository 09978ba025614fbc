"""POST /events and POST /events/{id}/ticket-types with an Idempotency-Key in one statement
(core.event_writes): the key's record, the event (or the event locked), its ticket types and the
stored response written together, with one commit.

The response is the event as GET returns it, built by PostgreSQL (``event_created``: the event's
projection without its hidden columns, and its ``url`` in SQL), returned and stored as one JSON
object: the first answer and every replay are that object as compact JSON; a ticket type's
response is the type as GET lists it (``TYPE_CREATED``). A request this statement does not answer
(refused input, a taken slug, an expired key record, a type in a ticket group, an event not the
scope's or of another currency) returns None and runs the general path of
dialects.equaticket.idempotency.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from core import event_writes
from core.errors import CoreError
from core.idempotency import Claim
from core.keys import Principal
from core.models import TicketTypeCreate, parse
from core.projection import Projection, sql_text
from core.reads import Shape
from dialects.base import DialectError, json_response
from dialects.equaticket import inputs
from dialects.equaticket import serializers as ser
from dialects.equaticket.idempotency import STALE_RUNNING
from dialects.equaticket.inputs import path_id

if TYPE_CHECKING:
    from dialects.equaticket.dialect import Equaticket

KeyedWrite = Callable[["Equaticket", Request, Principal, str, bytes], Awaitable[Response | Claim | None]]
CREATED = 201
STORED_HEADERS = {"content-type": "application/json"}  # what idempotency.stored_form keeps of json_response


TYPE_CREATED = Shape(Projection(ser.TICKET_TYPE.projection.fields))  # as GET shows it, nothing hidden


def event_created(public_base_url: str) -> Shape:
    """EVENT_READ as the whole response: no hidden columns, ``url`` built like ser.events builds it."""
    base = sql_text(ser.events_base(public_base_url, ""))
    url = f"{base} || (SELECT b.slug FROM box_offices b WHERE b.id = e.box_office_id) || '/' || e.slug"
    fields = tuple((name, url if name == "url" else sql) for name, sql in ser.EVENT.projection.fields)
    return Shape(Projection(fields), ser.EVENT_READ.children)


async def create_event(d: Equaticket, request: Request, p: Principal, key: str, fingerprint: bytes
                       ) -> Response | Claim | None:
    """The created event's response; or the key's live record, judged (idempotency.idempotent answers
    it as it answers a claim); or None: not written, the general path runs."""
    try:
        data = inputs.event_create(await inputs.json_object(request))
    except (CoreError, DialectError):
        return None  # refused: the general path answers and stores the refusal
    if not event_writes.insertable(data.ticket_types):
        return None
    async with d.services.pool.acquire() as conn:
        try:
            answer = await event_writes.create_event_keyed(conn, p.scope, data, d.event_created, _keyed(d, key,
                                                                                                         fingerprint))
        except event_writes.KeyTaken:
            return None  # a request with this key committed first: the general path replays it
    return _answer(answer)


async def create_ticket_type(d: Equaticket, request: Request, p: Principal, key: str, fingerprint: bytes
                             ) -> Response | Claim | None:
    """POST /events/{id}/ticket-types like create_event: the event is locked and its currency checked
    by the statement (None: not the scope's event, another currency; the general path says which)."""
    try:
        event_id = path_id(request, "event_id", "event")
        fields, currency = inputs.ticket_type_fields(await inputs.json_object(request), None)
        data = parse(TicketTypeCreate, fields)
    except (CoreError, DialectError):
        return None
    if not event_writes.insertable([data]):
        return None
    async with d.services.pool.acquire() as conn:
        try:
            answer = await event_writes.add_ticket_type_keyed(conn, p.scope, event_id, currency, data, TYPE_CREATED,
                                                              _keyed(d, key, fingerprint))
        except event_writes.KeyTaken:
            return None
    return _answer(answer)


def _keyed(d: Equaticket, key: str, fingerprint: bytes) -> event_writes.Keyed:
    now = d.services.clock.now()
    return event_writes.Keyed(key, fingerprint, now, now + timedelta(hours=d.settings.idempotency_ttl_hours),
                              now - STALE_RUNNING, CREATED, STORED_HEADERS)


def _answer(answer: Any) -> Response | Claim | None:
    return answer if answer is None or isinstance(answer, Claim) else json_response(answer, CREATED)
