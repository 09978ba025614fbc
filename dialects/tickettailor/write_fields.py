"""The form fields each write takes: wire name -> core field, the required ones, and their schemas.

Declared once: the routes read forms through these tables (forms.core_input) and the OpenAPI
document lists the same fields as each operation's request body.
"""

from __future__ import annotations

from dialects.schema import INTEGER, STRING, Schema
from dialects.tickettailor.serializers import TICKET_TYPE_STATUS

SERIES_FIELDS = {name: name for name in (
    "name", "description", "currency", "timezone", "postal_code", "country", "access_code", "call_to_action",
    "online_platform", "max_tickets_sold_per_occurrence", "tickets_available_at", "tickets_available_at_message",
    "tickets_unavailable_at", "tickets_unavailable_at_message", "waitlist_active", "waitlist_call_to_action",
    "waitlist_event_page_text", "waitlist_confirmation_message")} | {"venue": "venue_name"}
SERIES_REQUIRED = ("name",)
TYPE_FIELDS = {name: name for name in (
    "name", "price", "quantity", "min_per_order", "max_per_order", "description", "booking_fee", "access_code",
    "sort_order", "status")}
TYPE_REQUIRED = ("name", "price", "quantity")
# start_date + start_time (and end_*) are read together in the series' time zone
# (the date last: a refusal of the time as a whole names it)
OCCURRENCE_FIELDS = {"start_time": "starts_at", "start_date": "starts_at", "end_time": "ends_at",
                     "end_date": "ends_at", "hidden": "hidden", "unavailable": "unavailable",
                     "unavailable_status": "unavailable_status", "online_link": "online_link"}
OCCURRENCE_REQUIRED = ("start_date", "start_time")
CHECK_IN_FIELDS = {"issued_ticket_id": "ticket_id", "quantity": "quantity", "check_in_at": "check_in_at"}
CHECK_IN_REQUIRED = ("issued_ticket_id", "quantity")

UNIX = {**INTEGER, "minimum": 0}
MONEY = {**INTEGER, "minimum": 0}  # and counts
PER_ORDER = {**INTEGER, "minimum": 1, "maximum": 500}
CLOCK = {**STRING, "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"}
BOOLEAN_TEXT: Schema = {"type": "string", "enum": ["true", "false"]}
SCHEMAS: dict[str, Schema] = {  # fields not named here are text
    "price": MONEY, "quantity": MONEY, "booking_fee": MONEY, "sort_order": INTEGER,
    "min_per_order": PER_ORDER, "max_per_order": PER_ORDER,
    "max_tickets_sold_per_occurrence": {**INTEGER, "minimum": 1}, "tickets_available_at": UNIX,
    "tickets_unavailable_at": UNIX, "check_in_at": UNIX, "waitlist_active": BOOLEAN_TEXT, "hidden": BOOLEAN_TEXT,
    "unavailable": BOOLEAN_TEXT, "start_date": {**STRING, "format": "date"}, "end_date": {**STRING, "format": "date"},
    "start_time": CLOCK, "end_time": CLOCK, "name": {**STRING, "minLength": 1, "maxLength": 200},
    "status": {"type": "string", "enum": TICKET_TYPE_STATUS.values},
    "issued_ticket_id": {**STRING, "pattern": "^(it_)?[1-9][0-9]*$"},
}


# a check-in's quantity: people in, or out when negative (core.checkins), never 0
CHECK_IN_QUANTITY: Schema = {**INTEGER, "minimum": -100, "maximum": 100, "not": {"const": 0}}


def form_schema(fields: dict[str, str], required: tuple[str, ...], **schemas: Schema) -> Schema:
    properties = {name: schemas.get(name) or SCHEMAS.get(name, STRING) for name in fields}
    return {"type": "object", "properties": properties, "required": list(required), "additionalProperties": False}


SERIES_BODY = form_schema(SERIES_FIELDS, SERIES_REQUIRED)
TYPE_BODY = form_schema(TYPE_FIELDS, TYPE_REQUIRED)
OCCURRENCE_BODY = form_schema(OCCURRENCE_FIELDS, OCCURRENCE_REQUIRED)
CHECK_IN_BODY = form_schema(CHECK_IN_FIELDS, CHECK_IN_REQUIRED, quantity=CHECK_IN_QUANTITY)
