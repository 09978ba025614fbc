"""Ticket Tailor's products, discounts, vouchers, voucher codes and waitlist signups, declared once.

Like the reference objects (serializers/__init__.py), each is a ``WireObject`` from which the
projection, the OpenAPI schema and the client's parser are derived, and each list reads one
``Shape`` in one statement. Date objects (a product's created_at and updated_at, a voucher's
expiry) are built in Python from hidden columns, in UTC: none of these objects has a time zone
of its own (an event's dates are in the event's).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.listing import Source, keyset_columns, position_time
from core.projection import sql_flag, sql_prefixed, sql_text, sql_unix
from core.reads import NOW, Shape
from dialects.schema import BOOL_STRING, INTEGER, NULL_STRING, STRING, array, const, enum, nullable, prefixed, ref
from dialects.spec import Field, WireEnum, WireObject
from dialects.tickettailor.dates import date_object
from dialects.tickettailor.serializers import CURRENCY_CODE, _currency, flag, from_unix

Objects = list[dict[str, Any]]
ZONE = "UTC"

PRODUCT_STATUS = WireEnum({"on_sale": "on_sale", "off_sale": "off_sale"}, extra=("sold_out",))
FULFILMENT_TYPES = ("none", "delivery", "collection", "digital")
DISCOUNT_TYPES = ("fixed_amount",)
VOUCHER_TYPES = ("gift_card", "credit")
CODE_STATUSES = ("active", "used", "expired")


def _tag(name: str, prefix: str, column: str) -> tuple[Field, Field]:
    return (Field("object", sql_text(name), const(name)),
            Field("id", sql_prefixed(prefix, column), prefixed(prefix), "source_id"))


def _ids(prefix: str, column: str) -> str:
    """An array column of core ids as the vendor's ids, in the order they were linked."""
    return f"array(SELECT {sql_text(prefix)} || x FROM unnest({column}) WITH ORDINALITY AS u(x, n) ORDER BY n)"


def _ids_back(value: Any) -> list[str] | None:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else None


def _date_back(value: Any) -> str | None:
    return from_unix(value.get("unix")) if isinstance(value, dict) else None


PRODUCT = WireObject("Product", (
    *_tag("product", "pr_", "p.id"),
    Field("name", "p.name", STRING, "name"),
    Field("price", "p.price", INTEGER, "price"),
    Field("currency", "lower(p.currency)", CURRENCY_CODE, "currency", _currency),
    # a product with stock and none of it left shows as sold out
    Field("status", "CASE WHEN p.status = 'on_sale' AND p.quantity IS NOT NULL AND p.sold >= p.quantity"
                    f" THEN 'sold_out' ELSE {PRODUCT_STATUS.sql('p.status')} END", PRODUCT_STATUS.schema(), "status",
          lambda v: "on_sale" if v == "sold_out" else v),
    Field("fulfilment_type", "p.fulfilment_type", enum(*FULFILMENT_TYPES), "fulfilment_type"),
    Field("linked_to_all_event_series", sql_flag("p.all_series"), BOOL_STRING, "all_series", flag),
    Field("created_at", "NULL", ref("DateObject"), "created_at", _date_back),
    Field("updated_at", "NULL", ref("DateObject"), "updated_at", _date_back),
), hidden=(*keyset_columns("p"), ("_updated", "p.updated_at")))

DISCOUNT = WireObject("Discount", (
    *_tag("discount", "dc_", "d.id"),
    Field("name", "d.name", STRING, "name"),
    Field("code", "d.code", STRING, "code"),
    Field("type", "d.type", enum(*DISCOUNT_TYPES), "type"),
    Field("face_value_amount", "d.face_value_amount", INTEGER, "face_value_amount"),
    Field("booking_fee_amount", "d.booking_fee_amount", INTEGER, "booking_fee_amount"),
    Field("ticket_types", _ids("tt_", "d.ticket_type_ids"), array(prefixed("tt_")), "ticket_type_ids", _ids_back),
    Field("products", _ids("pr_", "d.product_ids"), array(prefixed("pr_")), "product_ids", _ids_back),
), hidden=keyset_columns("d"))

VOUCHER = WireObject("Voucher", (
    *_tag("voucher", "vo_", "v.id"),
    Field("name", "v.name", STRING, "name"),
    Field("type", "v.type", enum(*VOUCHER_TYPES), "type"),
    Field("value", "v.value", INTEGER, "value"),
    Field("currency", "lower(v.currency)", CURRENCY_CODE, "currency", _currency),
    Field("partial_redemption", sql_flag("v.partial_redemption"), BOOL_STRING, "partial_redemption", flag),
    Field("usable_on_any_event", sql_flag("v.all_series"), BOOL_STRING, "all_series", flag),
    Field("event_series_ids", _ids("es_", "v.series_ids"), array(prefixed("es_")), "series_ids", _ids_back),
    Field("expiry", "NULL", nullable(ref("DateObject")), "expires_at", _date_back),
    Field("total_codes", "(SELECT count(*) FROM voucher_codes c WHERE c.voucher_id = v.id)", INTEGER),
    # a code is available while it holds value and its voucher has not expired
    Field("available_codes", "(SELECT count(*) FROM voucher_codes c WHERE c.voucher_id = v.id AND c.remaining > 0"
                             f" AND (v.expires_at IS NULL OR v.expires_at > {NOW}))", INTEGER),
), hidden=(*keyset_columns("v"), ("_expires", "v.expires_at")))

VOUCHER_CODE = WireObject("VoucherCode", (
    *_tag("voucher_code", "vc_", "c.id"),
    Field("code", "c.code", STRING, "code"),
    Field("voucher_id", sql_prefixed("vo_", "c.voucher_id"), prefixed("vo_"), "voucher_id"),
    Field("value_remaining", "c.remaining", INTEGER, "remaining"),
    Field("status", f"CASE WHEN v.expires_at IS NOT NULL AND v.expires_at <= {NOW} THEN 'expired'"
                    " WHEN c.remaining = 0 THEN 'used' ELSE 'active' END", enum(*CODE_STATUSES)),
), hidden=keyset_columns("c"))

WAITLIST_SIGNUP = WireObject("WaitlistSignup", (
    *_tag("waitlist_signup", "ws_", "w.id"),
    Field("email", "w.email", STRING, "email"),
    Field("first_name", "w.first_name", NULL_STRING, "first_name"),
    Field("last_name", "w.last_name", NULL_STRING, "last_name"),
    Field("event_series_id", sql_prefixed("es_", "w.series_id"), prefixed("es_"), "series_id"),
    Field("event_id", sql_prefixed("ev_", "w.event_id"), prefixed("ev_", null=True), "event_id"),
    Field("created_at", sql_unix("w.created_at"), INTEGER, "created_at", from_unix),
), hidden=keyset_columns("w"))

OBJECTS = (PRODUCT, DISCOUNT, VOUCHER, VOUCHER_CODE, WAITLIST_SIGNUP)

# --- what each list reads (one statement each) ------------------------------------------------

PRODUCTS = Source("products", "p", "product", "Product not found")
DISCOUNTS = Source("discounts", "d", "discount", "Discount not found")
VOUCHERS = Source("vouchers", "v", "voucher", "Voucher not found")
# a code's status reads its voucher's expiry
VOUCHER_CODES = Source("voucher_codes", "c", "voucher_code", "Voucher code not found",
                       " JOIN vouchers v ON v.id = c.voucher_id")
WAITLIST_SIGNUPS = Source("waitlist_signups", "w", "waitlist_signup", "Waitlist signup not found")

PRODUCT_READ = Shape(PRODUCT.projection)
DISCOUNT_READ = Shape(DISCOUNT.projection)
VOUCHER_READ = Shape(VOUCHER.projection)
VOUCHER_CODE_READ = Shape(VOUCHER_CODE.projection)
WAITLIST_SIGNUP_READ = Shape(WAITLIST_SIGNUP.projection)


def products(rows: Sequence[Any]) -> Objects:
    out = PRODUCT_READ.objects(rows)
    for row, p in zip(rows, out, strict=True):
        p["created_at"] = date_object(position_time(row["_at"]), ZONE)
        p["updated_at"] = date_object(row["_updated"], ZONE)
    return out


def vouchers(rows: Sequence[Any]) -> Objects:
    out = VOUCHER_READ.objects(rows)
    for row, v in zip(rows, out, strict=True):
        v["expiry"] = date_object(row["_expires"], ZONE) if row["_expires"] is not None else None
    return out


def plain(shape: Shape) -> Any:
    """The renderer of a list whose rows are their objects as PostgreSQL renders them."""
    return lambda rows: shape.objects(rows)
