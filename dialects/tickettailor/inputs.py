"""Wire input: query-string values and filters to core's types, parsed strictly, so a
malformed value is a 400, never a 500.

Every value is checked before it reaches SQL: integers in range, no NUL characters
(PostgreSQL text cannot hold them), bounded lengths. Write requests' form bodies are read by
forms.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.datastructures import QueryParams

from core import listing
from core.ids import parse_id
from core.listing import EventFilters, OrderFilters, TicketFilters, TimeRange, Where
from core.models import Scope
from dialects import querystring
from dialects.base import BadRequest
from dialects.tickettailor.serializers import TICKET_STATUS

MAX_UNIX = 253_402_300_799  # 9999-12-31T23:59:59Z, the last instant PostgreSQL and Python share
LAST = datetime.fromtimestamp(MAX_UNIX, UTC)
MAX_TEXT = 320
TIME_FILTERS = {"created_at": "eq", "created_at.gt": "gt", "created_at.gte": "gte",
                "created_at.lt": "lt", "created_at.lte": "lte"}
TICKET_STATUSES = tuple(TICKET_STATUS.values)
EVENT_TIME_FILTERS = {"start_at.gte": "starts_from", "start_at.lte": "starts_to", "end_at.gte": "ends_from",
                      "end_at.lte": "ends_to"}
# a wire status -> the core statuses behind it (EVENT_STATUS, ORDER_STATUS read backwards), and for
# events whether it is the "off sale temporarily" derived from the ticket types (serializers.events)
EVENT_STATUSES = {"draft": (("draft",), None), "published": (("published", "sold_out"), False),
                  "off_sale_temporarily": (("published",), True),
                  "close_sales": (("cancelled", "completed", "archived"), None)}
ORDER_STATUSES = {"completed": ("completed",), "pending": ("pending",), "cancelled": ("cancelled", "refunded")}
# a published event whose ticket types are all off sale (and it has some)
OFF_SALE = ("(e.status = 'published' AND EXISTS (SELECT 1 FROM ticket_types x WHERE x.event_id = e.id)"
            " AND NOT EXISTS (SELECT 1 FROM ticket_types x WHERE x.event_id = e.id AND x.status <> 'off_sale'))")


def text(params: QueryParams, name: str) -> str | None:
    return querystring.text(params, name, MAX_TEXT)


def unix_time(params: QueryParams, name: str) -> datetime | None:
    value = text(params, name)
    if value is None:
        return None
    if not value.strip().isascii() or not value.strip().lstrip("-").isdigit():
        raise BadRequest(f"{name} must be a unix timestamp in seconds", name)
    number = int(value)
    if not 0 <= number <= MAX_UNIX:
        raise BadRequest(f"{name} must be a unix timestamp between 0 and {MAX_UNIX}", name)
    return datetime.fromtimestamp(number, UTC)


def created_range(params: QueryParams) -> TimeRange:
    bounds = {op: unix_time(params, name) for name, op in TIME_FILTERS.items()}
    exact = bounds.pop("eq")
    if exact is not None:
        # "created_at=N" is the second [N, N+1) as two plain bounds: core's own "eq" leaves its
        # placeholder untyped next to an interval, which PostgreSQL refuses
        bounds["gte"] = max(filter(None, (bounds["gte"], exact)))
        bounds["lt"] = min(filter(None, (bounds["lt"], _next_second(exact))), default=None)
    return TimeRange(**bounds)


def _next_second(moment: datetime) -> datetime | None:
    """The second after ``moment``; None past the last one (MAX_UNIX: nothing comes after it)."""
    try:
        return moment + timedelta(seconds=1)
    except OverflowError:
        return None


def object_id(params: QueryParams, name: str, kind: str) -> int | None:
    """An id filter: ``ev_12`` or the bare number ``12``."""
    value = text(params, name)
    if value is None:
        return None
    number = parse_id(kind, value.strip())
    if number is None:
        raise BadRequest(f"{name} must be an id such as {_example(kind)} or its number", name)
    return number


def _example(kind: str) -> str:
    return {"event": "ev_123", "order": "or_123", "event_series": "es_123"}.get(kind, "123")


def ticket_filters(params: QueryParams) -> TicketFilters:
    event_id = object_id(params, "event_id", "event")
    barcode = text(params, "barcode")
    if barcode is not None and event_id is None:
        raise BadRequest("barcode filter requires event_id to be specified", "barcode")
    status = text(params, "status")
    if status is not None and status not in TICKET_STATUSES:
        raise BadRequest(f"status must be one of: {', '.join(TICKET_STATUSES)}", "status")
    return TicketFilters(
        event_id=event_id, order_id=object_id(params, "order_id", "order"), barcode=barcode,
        status=status, email=text(params, "email"), created=created_range(params),
    )


def _status(params: QueryParams, choices: dict[str, Any]) -> Any:
    value = text(params, "status")
    if value is not None and value not in choices:
        raise BadRequest(f"status must be one of: {', '.join(choices)}", "status")
    return None if value is None else choices[value]


def event_filters(params: QueryParams) -> tuple[EventFilters, str | None]:
    """The events filters, and a condition of the dialect's own to add (the derived status)."""
    status = _status(params, EVENT_STATUSES)
    times = {core: unix_time(params, name) for name, core in EVENT_TIME_FILTERS.items()}
    statuses, off_sale = status if status is not None else ((), None)
    condition = None if off_sale is None else (OFF_SALE if off_sale else f"NOT {OFF_SALE}")
    filters = EventFilters(statuses=statuses, series_id=object_id(params, "event_series_id", "event_series"),
                           starts_from=times["starts_from"], starts_to=times["starts_to"],
                           ends_from=times["ends_from"], ends_to=times["ends_to"])
    return filters, condition


def event_where(scope: Scope, params: QueryParams) -> Where:
    """The events the filters choose, in the scope."""
    filters, condition = event_filters(params)
    where = listing.event_where(scope, filters)
    if condition is not None:
        where.add(condition)
    return where


def order_filters(params: QueryParams) -> OrderFilters:
    return OrderFilters(event_id=object_id(params, "event_id", "event"), statuses=_status(params, ORDER_STATUSES) or (),
                        created=created_range(params))
