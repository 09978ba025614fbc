"""The route table: Equaticket's whole surface, one row per operation with the scope it needs.

Every POST with a scope is idempotent (Idempotency-Key: ``Equaticket.wrap``); the document and
the public listing need no key (scope None). The router tries rows in order: the API's own,
hot routes first, literal paths before parameterised ones.
"""

from __future__ import annotations

from dialects.base import Handler, Route
from dialects.equaticket import writes
from dialects.equaticket.routes import events, orders, public, webhooks

V1 = "/api/v1"
EVENT = f"{V1}/events/{{event_id}}"
TICKET_TYPE = f"{EVENT}/ticket-types/{{ticket_type_id}}"
SUBSCRIPTION = f"{V1}/webhooks/subscriptions/{{subscription_id}}"
RESET_PATH = "/api/settings/api-keys/reset-test-data"
RESET_SCOPE = "events:write"  # it deletes events; the narrowest scope that already allows that

ROUTES: tuple[Route, ...] = (
    Route("GET", f"{V1}/events", events.list_events, "events:read"),
    Route("POST", f"{V1}/events", events.create_event, "events:write"),
    Route("GET", EVENT, events.get_event, "events:read"),
    Route("PATCH", EVENT, events.update_event, "events:write"),
    Route("POST", f"{EVENT}/publish", events.publish_event, "events:write"),
    Route("POST", f"{EVENT}/cancel", events.cancel_event, "events:write"),
    Route("GET", f"{EVENT}/ticket-types", events.list_ticket_types, "events:read"),
    Route("POST", f"{EVENT}/ticket-types", events.create_ticket_type, "ticket_types:write"),
    Route("PATCH", TICKET_TYPE, events.update_ticket_type, "ticket_types:write"),
    Route("DELETE", TICKET_TYPE, events.delete_ticket_type, "ticket_types:write"),
    Route("GET", f"{EVENT}/orders", orders.list_event_orders, "orders:read"),
    Route("GET", f"{EVENT}/attendees", orders.list_event_attendees, "attendees:read"),
    Route("GET", f"{V1}/orders", orders.list_orders, "orders:read"),
    Route("GET", f"{V1}/orders/{{order_id}}", orders.get_order, "orders:read"),
    Route("GET", f"{V1}/attendees", orders.list_attendees, "attendees:read"),
    Route("GET", f"{V1}/webhooks/subscriptions", webhooks.list_subscriptions, "webhooks:read"),
    Route("POST", f"{V1}/webhooks/subscriptions", webhooks.create_subscription, "webhooks:write"),
    Route("GET", SUBSCRIPTION, webhooks.get_subscription, "webhooks:read"),
    Route("PATCH", SUBSCRIPTION, webhooks.update_subscription, "webhooks:write"),
    Route("DELETE", SUBSCRIPTION, webhooks.delete_subscription, "webhooks:write"),
    Route("GET", f"{SUBSCRIPTION}/deliveries", webhooks.list_deliveries, "webhooks:read"),
    Route("GET", f"{V1}/openapi.json", public.openapi_document, None),
    Route("GET", f"{V1}/public/events", public.public_events, None),
    Route("POST", RESET_PATH, public.reset_test, RESET_SCOPE),
)

# the keyed writes answered in one statement with their key's record (dialects.equaticket.writes)
ONE_STATEMENT: dict[Handler, writes.KeyedWrite] = {events.create_event: writes.create_event,
                                                   events.create_ticket_type: writes.create_ticket_type}
