"""The objects beyond the reference page: event series, their occurrences, check-ins, the box office.

Declared like the reference objects (serializers/__init__.py): one ``WireObject`` per object,
fields in the order the live API's integrations show them, from which the projection, the
OpenAPI schema and the client's parser come. Where the live API's fields have no core concept
yet they are rendered empty, with the reason beside them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.listing import keyset_columns
from core.projection import sql_flag, sql_prefixed, sql_text, sql_unix
from core.reads import BOX_OFFICE, NOW, Child, Shape
from dialects.schema import BOOL_STRING, INTEGER, NULL_STRING, STRING, Schema, array, const, prefixed, ref
from dialects.spec import Field, WireObject
from dialects.tickettailor.dates import date_object
from dialects.tickettailor.serializers import (
    CURRENCY_CODE,
    EVENT,
    EVENT_READ,
    EVENT_STATUS,
    IMAGES,
    TICKET_TYPE,
    VENUE,
    Context,
    Objects,
    _currency,
    _visibility,
    flag,
    from_unix,
    payment_methods,
)

EMPTY: Schema = array({})  # lists the live API shows that have no core concept here (bundles)
# a series' money and tickets: every order and ticket of its occurrences; a refund is taken off
_REVENUE = ("(SELECT coalesce(sum(o.total - o.refund_amount), 0) FROM orders o WHERE o.event_id {match}"
            " AND o.status IN ('completed', 'refunded'))")
_OF_SERIES = "IN (SELECT x.id FROM events x WHERE x.series_id = s.id)"
# the vouchers usable on a series and the products sold with it (add-ons): those linked to it, and
# those linked to every series of the box office
_LINKED = ("(SELECT coalesce(json_agg('{prefix}' || x.id ORDER BY x.created_at, x.id), '[]') FROM {table} x"
           " WHERE x.box_office_id = s.box_office_id AND x.livemode = s.livemode"
           " AND (x.all_series OR s.id = ANY(x.series_ids)))")


def _head(name: str, prefix: str, column: str) -> tuple[Field, Field]:
    """``id`` then ``object``: the order the live API's integrations show for these objects."""
    return (Field("id", sql_prefixed(prefix, column), prefixed(prefix), "source_id"),
            Field("object", sql_text(name), const(name)))


# a series made by the database for a one-off event stays a draft while its event is published:
# it shows what its occurrences show
_SERIES_STATUS = ("CASE WHEN s.status = 'draft' AND EXISTS (SELECT 1 FROM events x WHERE x.series_id = s.id"
                  " AND x.status IN ('published', 'sold_out')) THEN 'published'"
                  f" ELSE {EVENT_STATUS.sql('s.status')} END")

# default ticket types have no stock of their own taken: read as ticket types with nothing sold
DEFAULTS = ("(SELECT d.*, 0 AS sold, 0 AS held, NULL::bigint AS group_id, NULL::timestamptz AS sale_starts_at,"
             " NULL::timestamptz AS sale_ends_at FROM series_ticket_types d) tt")

EVENT_SERIES = WireObject("EventSeries", (
    *_head("event_series", "es_", "s.id"),
    Field("name", "s.name", STRING, "name"),
    Field("description", "s.description", NULL_STRING, "description"),
    Field("status", _SERIES_STATUS, EVENT_STATUS.schema(), "status", EVENT_STATUS.parse),
    Field("currency", "lower(s.currency)", CURRENCY_CODE, "currency", _currency),
    Field("timezone", "s.timezone", STRING, "timezone"),
    Field("url", "NULL", STRING),
    Field("call_to_action", "coalesce(nullif(s.call_to_action, ''), 'Buy tickets')", STRING, "call_to_action"),
    Field("private", sql_flag("s.visibility <> 'public'"), BOOL_STRING, "visibility", _visibility),
    Field("online_event", sql_flag("s.online"), BOOL_STRING, "online", flag),
    Field("images", "NULL", IMAGES.schema()),
    Field("venue", "NULL", VENUE.schema()),
    Field("default_ticket_types", "NULL", array(ref("TicketType"))),
    Field("default_ticket_groups", "'[]'::json", EMPTY),  # groups belong to occurrences here
    Field("next_occurrence_date", "NULL", {"oneOf": [ref("DateObject"), {"type": "null"}]}),
    Field("total_occurrences", "(SELECT count(*) FROM events x WHERE x.series_id = s.id)", INTEGER),
    Field("upcoming_occurrences", f"(SELECT count(*) FROM events x WHERE x.series_id = s.id AND x.starts_at > {NOW})",
          INTEGER),
    Field("total_issued_tickets", f"(SELECT count(*) FROM issued_tickets t WHERE t.event_id {_OF_SERIES})", INTEGER),
    Field("revenue", _REVENUE.format(match=_OF_SERIES), INTEGER),
    Field("payment_methods", "NULL", array(ref("PaymentMethod"))),
    Field("voucher_ids", _LINKED.format(prefix="vo_", table="vouchers"), array(prefixed("vo_"))),
    Field("bundles", "'[]'::json", EMPTY),
    Field("add_ons", _LINKED.format(prefix="pr_", table="products"), array(prefixed("pr_"))),
    Field("created_at", sql_unix("s.created_at"), INTEGER, "created_at", from_unix),
), hidden=(
    *keyset_columns("s"), ("_zone", "s.timezone"), ("_header", "s.image_header"),
    ("_thumbnail", "s.image_thumbnail"), ("_venue", "s.venue_name"), ("_postal_code", "s.postal_code"),
    ("_next", f"(SELECT min(x.starts_at) FROM events x WHERE x.series_id = s.id AND x.starts_at > {NOW})"),
))
SERIES_READ = Shape(EVENT_SERIES.projection, (
    Child("default_ticket_types", TICKET_TYPE.projection, DEFAULTS, "tt.series_id", "tt.sort_order, tt.id"),
), hidden=(("_payments", f"(SELECT b.payments_connected FROM box_offices b WHERE b.id = {BOX_OFFICE})"),))

# an occurrence: the reference page's event and what a series' occurrence adds to it
OCCURRENCE = WireObject("EventOccurrence", (
    *EVENT.fields,
    Field("hidden", sql_flag("e.hidden"), BOOL_STRING, "hidden", flag),
    Field("unavailable", sql_flag("e.unavailable"), BOOL_STRING, "unavailable", flag),
    Field("unavailable_status", "e.unavailable_status", NULL_STRING, "unavailable_status"),
    Field("revenue", _REVENUE.format(match="= e.id"), INTEGER),
    Field("bundles", "'[]'::json", EMPTY),
    # people on the occurrence's tickets checked in now (check-ins less check-outs)
    Field("chk", "(SELECT coalesce(sum(c.quantity), 0) FROM check_ins c WHERE c.event_id = e.id)", INTEGER),
), hidden=EVENT.hidden)
OCCURRENCE_READ = Shape(OCCURRENCE.projection, EVENT_READ.children, hidden=EVENT_READ.hidden)

# check-ins are read with their event (core.listing.CHECK_INS joins it as "e")
CHECK_IN = WireObject("CheckIn", (
    *_head("check_in", "chk_", "c.id"),
    Field("issued_ticket_id", sql_prefixed("it_", "c.ticket_id"), prefixed("it_"), "ticket_id"),
    Field("event_id", sql_prefixed("ev_", "c.event_id"), prefixed("ev_"), "event_id"),
    Field("event_series_id", sql_prefixed("es_", "e.series_id"), prefixed("es_"), "series_id"),
    Field("quantity", "c.quantity", INTEGER, "quantity"),
    Field("check_in_at", sql_unix("c.check_in_at"), INTEGER, "check_in_at", from_unix),
    Field("created_at", sql_unix("c.created_at"), INTEGER, "created_at", from_unix),
), hidden=keyset_columns("c"))
CHECK_IN_READ = Shape(CHECK_IN.projection)

# the key's box office (GET /v1/box_office; the live API documents no fields: these are its own)
BOX_OFFICE_OBJECT = WireObject("BoxOffice", (
    *_head("box_office", "bo_", "b.id"),
    Field("name", "b.name", STRING, "name"),
    Field("slug", "b.slug", STRING, "slug"),
    Field("currency", "lower(b.currency)", CURRENCY_CODE, "currency", _currency),
    Field("url", "NULL", STRING),
    Field("payments_connected", sql_flag("b.payments_connected"), BOOL_STRING),
    Field("created_at", sql_unix("b.created_at"), INTEGER, "created_at", from_unix),
))


def series(rows: Sequence[Any], ctx: Context) -> Objects:
    """Event series (rows of SERIES_READ: default ticket types nested)."""
    methods = payment_methods(ctx, bool(rows) and rows[0]["_payments"])
    url = f"{ctx.base_url}/events/{ctx.box_office_slug}/es_"
    out = SERIES_READ.objects(rows)
    for row, s in zip(rows, out, strict=True):
        s["url"] = url + s["id"].removeprefix("es_")
        s["images"] = {"header": row["_header"], "thumbnail": row["_thumbnail"]}
        s["venue"] = {"name": row["_venue"], "postal_code": row["_postal_code"]}
        s["next_occurrence_date"] = date_object(row["_next"], row["_zone"]) if row["_next"] else None
        s["payment_methods"] = methods
    return out


def box_office(row: Any, ctx: Context) -> dict[str, Any]:
    out = BOX_OFFICE_OBJECT.objects([row])[0]
    out["url"] = f"{ctx.base_url}/events/{ctx.box_office_slug}"
    return out


OBJECTS = (EVENT_SERIES, OCCURRENCE, CHECK_IN, BOX_OFFICE_OBJECT)  # their schemas (openapi.py)
