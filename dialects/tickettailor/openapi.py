"""The dialect's OpenAPI 3.1 document: the objects' schemas come from the serializers' tables.

Objects are closed (``additionalProperties: false``) so the tests that validate real
responses against these schemas catch any drift between what is served and this document.
"""

from __future__ import annotations

from functools import lru_cache

from dialects.schema import INTEGER, NULL_STRING, STRING, Schema, array, id_pattern, json_content, obj, parameter, ref
from dialects.schema import document as openapi_document
from dialects.tickettailor import serializers as wire
from dialects.tickettailor import write_fields as fields
from dialects.tickettailor.errors import ERROR_CODES, LIMIT_HEADERS
from dialects.tickettailor.inputs import EVENT_TIME_FILTERS, MAX_UNIX, TIME_FILTERS
from dialects.tickettailor.pagination import DEFAULT_LIMIT, MAX_LIMIT
from dialects.tickettailor.serializers import offers
from dialects.tickettailor.serializers import series as beyond

ERROR = obj({"status": INTEGER, "error_code": STRING, "message": STRING,
             "errors": array(obj({"field": STRING, "messages": array(STRING)}))},
            ["status", "error_code", "message"])
OBJECTS = (wire.DATE_OBJECT, wire.CUSTOM_QUESTION, wire.PAYMENT_METHOD, wire.TICKET_TYPE, wire.TICKET_GROUP,
           wire.EVENT, wire.issued_ticket(""), wire.LINE_ITEM, wire.ORDER)  # the schema needs no base URL
SCHEMAS: dict[str, Schema] = {
    **{o.name: o.schema() for o in OBJECTS},
    "Error": ERROR, "Links": obj({"next": NULL_STRING, "previous": NULL_STRING}),
    "EventList": obj({"data": array(ref("Event")), "links": ref("Links")}),
    "OrderList": obj({"data": array(ref("Order")), "links": ref("Links")}),
    "IssuedTicketList": obj({"data": array(ref("IssuedTicket")), "links": ref("Links")}),
    "Ping": obj({"version": STRING}),
    **{o.name: o.schema() for o in offers.OBJECTS},
    **{f"{o.name}List": obj({"data": array(ref(o.name)), "links": ref("Links")}) for o in offers.OBJECTS},
    **{o.name: o.schema() for o in beyond.OBJECTS},
    "EventSeriesList": obj({"data": array(ref("EventSeries")), "links": ref("Links")}),
    "EventOccurrenceList": obj({"data": array(ref("EventOccurrence")), "links": ref("Links")}),
    "CheckInList": obj({"data": array(ref("CheckIn")), "links": ref("Links")}),
}


def query(name: str, schema: Schema, description: str) -> Schema:
    return parameter(name, "query", schema, description)


def path(name: str, description: str) -> Schema:
    return parameter(name, "path", STRING, description)


PAGING = [
    query("starting_after", STRING, "Object id (e.g. or_123): the page after this object"),
    query("ending_before", STRING, "Object id: the page before this object (wins over starting_after)"),
    query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
          "Items per page"),
]
UNIX_TIME = {**INTEGER, "minimum": 0, "maximum": MAX_UNIX}
CREATED = [query(name, UNIX_TIME, f"Unix timestamp filter on created_at ({name})") for name in TIME_FILTERS]
TICKET_FILTERS = [
    query("event_id", {**STRING, "pattern": id_pattern("event")}, "Event id (ev_12 or 12)"),
    query("order_id", {**STRING, "pattern": id_pattern("order")}, "Order id (or_12 or 12)"),
    query("barcode", STRING, "Barcode (event_id must also be given)"),
    query("status", wire.TICKET_STATUS.schema(), "Ticket status"),
    query("email", STRING, "Attendee email (case-insensitive)"),
]
ERROR_RESPONSES = {str(status): json_content(ref("Error"), ERROR_CODES[status])
                   for status in (400, 401, 403, 404, 422, 429)}
RATE_HEADERS = {name: {"schema": INTEGER, "description": text} for name, text in zip(LIMIT_HEADERS, (
    "Requests allowed per hour", "Requests left in the current window", "Seconds left in the current window",
), strict=True)}


def operation(op_id: str, summary: str, schema: str, parameters: list[Schema]) -> Schema:
    ok = json_content(ref(schema), "OK", RATE_HEADERS)
    return {"get": {"operationId": op_id, "summary": summary, "parameters": parameters,
                    "responses": {"200": ok, **ERROR_RESPONSES}}}


def write(op_id: str, summary: str, schema: str, body: Schema, parameters: list[Schema] | None = None) -> Schema:
    """A form-encoded POST answering the new object (a JSON object of the same fields is read too)."""
    ok = json_content(ref(schema), "OK", RATE_HEADERS)
    content = {"application/x-www-form-urlencoded": {"schema": body}, "application/json": {"schema": body}}
    return {"post": {"operationId": op_id, "summary": summary, "parameters": parameters or [],
                     "requestBody": {"required": True, "content": content},
                     "responses": {"200": ok, **ERROR_RESPONSES}}}


SERIES_PATH = [path("event_series_id", "Event series id (es_12)")]
# filters the live API's clients send beyond the reference page (applied, never ignored)
EVENT_FILTERS = [
    query("event_series_id", {**STRING, "pattern": id_pattern("event_series")}, "Event series id (es_12 or 12)"),
    query("status", wire.EVENT_STATUS.schema(), "Event status"),
    *(query(name, UNIX_TIME, f"Unix timestamp filter on the event's {name.split('.')[0]} ({name})")
      for name in EVENT_TIME_FILTERS),
]
ORDER_FILTERS = [
    query("event_id", {**STRING, "pattern": id_pattern("event")}, "Event id (ev_12 or 12)"),
    query("status", wire.ORDER_STATUS.schema(), "Order status"),
]


PATHS: dict[str, Schema] = {
    "/v1/ping": operation("ping", "Check the server is responsive", "Ping", []),
    "/v1/events": operation("listEvents", "List all events", "EventList", PAGING + EVENT_FILTERS),
    "/v1/events/{event_id}": operation("getEvent", "Retrieve an event", "Event",
                                       [path("event_id", "Event id (ev_12)")]),
    "/v1/orders": operation("listOrders", "List all orders", "OrderList", PAGING + CREATED + ORDER_FILTERS),
    "/v1/orders/{order_id}": operation("getOrder", "Retrieve an order", "Order",
                                       [path("order_id", "Order id (or_12)")]),
    "/v1/issued_tickets": operation("listIssuedTickets", "List all issued tickets", "IssuedTicketList",
                                    PAGING + CREATED + TICKET_FILTERS),
    "/v1/issued_tickets/{issued_ticket_id}": operation(
        "getIssuedTicket", "Retrieve an issued ticket", "IssuedTicket",
        [path("issued_ticket_id", "Issued ticket id (it_12)")]),
    # beyond the reference page (served by the live API)
    "/v1/products": operation("listProducts", "List all products", "ProductList", PAGING),
    "/v1/discounts": operation("listDiscounts", "List all discounts", "DiscountList", PAGING),
    "/v1/vouchers": operation("listVouchers", "List all vouchers", "VoucherList", PAGING),
    "/v1/vouchers/{voucher_id}/codes": operation("listVoucherCodes", "List a voucher's codes", "VoucherCodeList",
                                                 [path("voucher_id", "Voucher id (vo_12)"), *PAGING]),
    "/v1/event_series/{event_series_id}/waitlist_signups": operation(
        "listWaitlistSignups", "List an event series' waitlist signups", "WaitlistSignupList",
        [path("event_series_id", "Event series id (es_12)"), *PAGING]),
    "/v1/event_series": {
        **operation("listEventSeries", "List all event series", "EventSeriesList", PAGING),
        **write("createEventSeries", "Create an event series", "EventSeries",
                fields.SERIES_BODY)},
    "/v1/event_series/{event_series_id}": operation("getEventSeries", "Retrieve an event series", "EventSeries",
                                                    SERIES_PATH),
    "/v1/event_series/{event_series_id}/events": {
        **operation("listEventSeriesEvents", "List the occurrences of an event series", "EventOccurrenceList",
                    SERIES_PATH + PAGING),
        **write("createEventSeriesEvent", "Add an occurrence to an event series", "EventOccurrence",
                fields.OCCURRENCE_BODY, SERIES_PATH)},
    "/v1/event_series/{event_series_id}/ticket_types": write(
        "createEventSeriesTicketType", "Add a ticket type to an event series", "TicketType",
        fields.TYPE_BODY, SERIES_PATH),
    "/v1/check_ins": {
        **operation("listCheckIns", "List all check-ins", "CheckInList", PAGING),
        **write("createCheckIn", "Check an issued ticket in (or out, with a negative quantity)", "CheckIn",
                fields.CHECK_IN_BODY)},
    "/v1/box_office": operation("getBoxOffice", "The key's box office", "BoxOffice", []),
}


def query_names(path: str, method: str = "GET") -> frozenset[str] | None:
    """The query parameters the document lists for ``path``'s operation (None: not documented
    here); any other is refused with a 400, as the ``400`` response of each operation says."""
    operation_ = PATHS.get(path, {}).get(method.lower())
    if operation_ is None:
        return None
    return frozenset(p["name"] for p in operation_["parameters"] if p["in"] == "query")


SECURITY = {"basicAuth": {"type": "http", "scheme": "basic", "description": "The API key as username, no password"}}


@lru_cache(maxsize=16)
def document(root_path: str = "") -> Schema:
    """The document; ``root_path`` (the mount prefix) makes the server URL right."""
    doc = openapi_document("Ticket Tailor API (ticketgate)", "v1", PATHS, SCHEMAS, security=SECURITY,
                           servers=[{"url": root_path or "/"}])
    doc["info"]["description"] = ("Ticket Tailor's public API served by ticketgate. A query parameter an "
                                  "operation does not list, or one given twice, is refused with a 400; "
                                  "integers (limit, created_at) are digits only.")
    return doc
