"""JSON Schemas of Equaticket's objects (OpenAPI 3.1 components), as the serializers emit them."""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]


def _t(kind: str, nullable: bool = False, **extra: Any) -> Schema:
    return {"type": [kind, "null"] if nullable else kind, **extra}


def _obj(props: dict[str, Schema], required: list[str] | None = None) -> Schema:
    return {"type": "object", "properties": props, "required": list(props) if required is None else required}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


S, N, B = _t("string"), _t("integer"), _t("boolean")
SN, NN, TIME, TIMEN = (
    _t("string", True),
    _t("integer", True),
    _t("string", format="date-time"),
    _t("string", True, format="date-time"),
)


def _id(prefix: str, nullable: bool = False) -> Schema:
    return _t("string", nullable, pattern=f"^{prefix}_[0-9]+$")


TICKET_TYPE = _obj(
    {
        "id": _id("tkt"),
        "object": _t("string", enum=["ticket_type"]),
        "livemode": B,
        "event_id": _id("evt"),
        "name": S,
        "description": SN,
        "price": N,
        "booking_fee": N,
        "currency": _t("string", pattern="^[a-z]{3}$"),
        "quantity_total": N,
        "quantity_sold": N,
        "quantity_available": N,
        "min_per_order": N,
        "max_per_order": N,
        "sale_starts_at": TIMEN,
        "sale_ends_at": TIMEN,
        "hidden": B,
        "access_code": SN,
        "status": S,
        "sort_order": N,
        "created_at": TIME,
        "updated_at": TIME,
    }
)
EVENT_COMMON = {
    "id": _id("evt"),
    "object": _t("string", enum=["event"]),
    "title": S,
    "slug": S,
    "description": SN,
    "starts_at": TIME,
    "ends_at": TIMEN,
    "doors_open_at": TIMEN,
    "timezone": S,
    "venue_name": SN,
    "address": SN,
    "city": SN,
    "postal_code": SN,
    "country": SN,
    "online": B,
    "currency": _t("string", pattern="^[a-z]{3}$"),
    "category": S,
    "url": S,
    "image_header": SN,
    "image_thumbnail": SN,
    "call_to_action": SN,
    "status": _t("string", enum=["draft", "published", "sold_out", "cancelled", "completed", "archived"]),
}
EVENT = _obj(
    {
        **EVENT_COMMON,
        "livemode": B,
        "visibility": _t("string", enum=["public", "unlisted", "private"]),
        "access_code": SN,
        "ticket_types": {"type": "array", "items": ref("TicketType")},
        "created_at": TIME,
        "updated_at": TIME,
    }
)
PUBLIC_TICKET_TYPE = _obj(
    {
        "id": _id("tkt"),
        "object": _t("string", enum=["ticket_type"]),
        "name": S,
        "description": SN,
        "price": N,
        "booking_fee": N,
        "currency": S,
        "sold_out": B,
        "status": S,
        "sale_starts_at": TIMEN,
        "sale_ends_at": TIMEN,
    }
)
PUBLIC_EVENT = {
    **_obj({**EVENT_COMMON, "ticket_types": {"type": "array", "items": ref("PublicTicketType")}}),
    "additionalProperties": False,
}
LINE_ITEM = _obj(
    {
        "type": S,
        "ticket_type_id": _id("tkt", True),
        "name": S,
        "quantity": N,
        "subtotal": N,
        "booking_fee": N,
        "total": N,
    }
)
ORDER = _obj(
    {
        "id": _id("ord"),
        "object": _t("string", enum=["order"]),
        "livemode": B,
        "is_test_data": B,
        "event_id": _id("evt"),
        "status": _t("string", enum=["confirmed", "pending", "cancelled", "refunded"]),
        "buyer_name": S,
        "buyer_email": S,
        "buyer_phone": SN,
        "currency": S,
        "subtotal": N,
        "booking_fee": N,
        "tax": N,
        "total": N,
        "refunded_amount": N,
        "payment_method": S,
        "line_items": {"type": "array", "items": ref("LineItem")},
        "created_at": TIME,
        "updated_at": TIME,
    }
)
ATTENDEE = _obj(
    {
        "id": _id("att"),
        "object": _t("string", enum=["attendee"]),
        "livemode": B,
        "is_test_data": B,
        "event_id": _id("evt"),
        "order_id": _id("ord"),
        "ticket_type_id": _id("tkt", True),
        "ticket_type_name": S,
        "first_name": SN,
        "last_name": SN,
        "email": SN,
        "barcode": S,
        "status": _t("string", enum=["valid", "void"]),
        "checked_in": B,
        "checked_in_at": TIMEN,
        "created_at": TIME,
        "updated_at": TIME,
    }
)
EVENT_TYPES = ["order.placed", "order.refunded", "event.sold_out", "ticket.scanned"]
SUBSCRIPTION_PROPS = {
    "id": _id("whsub"),
    "object": _t("string", enum=["webhook_subscription"]),
    "livemode": B,
    "url": S,
    "event_types": {"type": "array", "items": _t("string", enum=EVENT_TYPES)},
    "description": SN,
    "enabled": B,
    "disabled_reason": SN,
    "created_at": TIME,
    "updated_at": TIME,
}
SUBSCRIPTION = {**_obj(SUBSCRIPTION_PROPS), "not": {"required": ["secret"]}}
SUBSCRIPTION_CREATED = _obj({**SUBSCRIPTION_PROPS, "secret": _t("string", pattern="^whsec_")})
ATTEMPT = _obj({"attempted_at": TIME, "status_code": NN, "duration_ms": N, "error": SN})
DELIVERY = _obj(
    {
        "id": _id("whdel"),
        "object": _t("string", enum=["webhook_delivery"]),
        "livemode": B,
        "subscription_id": _id("whsub"),
        "webhook_event_id": S,
        "event_type": _t("string", enum=EVENT_TYPES),
        "payload": {},
        "status": _t("string", enum=["pending", "succeeded", "failed"]),
        "attempt_count": N,
        "next_attempt_at": TIMEN,
        "last_status_code": NN,
        "last_error": SN,
        "attempts": {"type": "array", "items": ref("WebhookAttempt")},
        "created_at": TIME,
        "updated_at": TIME,
    }
)
ERROR = _obj(
    {
        "error": _obj(
            {
                "code": _t(
                    "string",
                    enum=[
                        "validation_error",
                        "unauthorized",
                        "forbidden",
                        "not_found",
                        "conflict",
                        "unprocessable",
                        "rate_limited",
                        "internal_error",
                        "api_terms_required",
                    ],
                ),
                "message": S,
                "request_id": S,
                "param": S,
                "doc_url": S,
            },
            ["code", "message", "request_id", "doc_url"],
        )
    }
)
DELETED = _obj({"id": S, "object": S, "livemode": B, "deleted": _t("boolean", enum=[True])})
RESET = _obj(
    {
        "object": _t("string", enum=["test_data_reset"]),
        "livemode": B,
        "deleted": {"type": "object", "additionalProperties": N},
    }
)


def list_of(name: str) -> Schema:
    return _obj({"livemode": B, "data": {"type": "array", "items": ref(name)}, "has_more": B, "next_cursor": SN})


SCHEMAS: dict[str, Schema] = {
    "TicketType": TICKET_TYPE,
    "Event": EVENT,
    "PublicTicketType": PUBLIC_TICKET_TYPE,
    "PublicEvent": PUBLIC_EVENT,
    "LineItem": LINE_ITEM,
    "Order": ORDER,
    "Attendee": ATTENDEE,
    "WebhookSubscription": SUBSCRIPTION,
    "WebhookSubscriptionCreated": SUBSCRIPTION_CREATED,
    "WebhookAttempt": ATTEMPT,
    "WebhookDelivery": DELIVERY,
    "Error": ERROR,
    "Deleted": DELETED,
    "TestDataReset": RESET,
    **{
        f"{name}List": list_of(name)
        for name in (
            "Event",
            "TicketType",
            "Order",
            "Attendee",
            "WebhookSubscription",
            "WebhookDelivery",
            "PublicEvent",
        )
    },
}
