"""The hand floor's SQL: for each GET scenario, the one statement a PostgreSQL expert would write
for the response, without looking at how ticketgate builds it.

Each statement returns the response's objects as rows whose columns are the wire fields, in
order (nested children and sub-objects as ``json``, which the floor's pool decodes with orjson),
plus a few trailing ``_`` columns the envelope needs (TicketSmart's total, the last row's
position for Equaticket's cursor, Ticket Tailor's instants for its date objects); floor.py wraps
them in the envelope and writes them with one ``orjson.dumps``. That was the cheaper of the two
shapes tried (docs/performance.md, "The hand floor"): a document built whole by
``json_build_object`` / ``json_agg`` and passed through as text costs Python less but PostgreSQL
more, and both share the machine. A page's children are grouped in one pass over the page.
Each object is written once, as a ``json_build_object`` (``columns`` turns it into a select
list). Page sizes are literals (one generic plan per statement, as a careful hand would write for
a fixed page size); the page is read first (a CTE) and only its rows are rendered.
"""

from __future__ import annotations

from dataclasses import dataclass


def columns(obj: str) -> str:
    """A ``json_build_object('k', v, ...)`` as the select list ``v AS "k", ...`` (its top-level pairs)."""
    inner = obj.strip().removeprefix("json_build_object(").removesuffix(")")
    args, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(inner):
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch in "([":
            depth += 1
        elif not quoted and ch in ")]":
            depth -= 1
        elif not quoted and depth == 0 and ch == ",":
            args.append(inner[start:i].strip())
            start = i + 1
    args.append(inner[start:].strip())
    pairs = zip(args[0::2], args[1::2], strict=True)
    return ", ".join(f'{value} AS "{key.strip(chr(39))}"' for key, value in pairs)


def _ms(col: str) -> str:
    return f"""to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"""


def _s(col: str) -> str:
    return f"""to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""


def _unix(col: str) -> str:
    return f"trunc(extract(epoch FROM {col}))::bigint"


AVAILABLE = "greatest(0, tt.quantity - tt.sold - tt.held)"
SELLING_NOW = ("tt.status = 'on_sale' AND (tt.sale_starts_at IS NULL OR tt.sale_starts_at <= now())"
               " AND (tt.sale_ends_at IS NULL OR now() < tt.sale_ends_at)")

# --- TicketSmart ---------------------------------------------------------------------------------

TS_TYPE = f"""json_build_object('id', 'tkt_' || tt.id, 'name', tt.name, 'description', tt.description,
  'price', tt.price, 'quantity', tt.quantity, 'sold', tt.sold, 'available', {AVAILABLE},
  'soldOut', {AVAILABLE} = 0, 'onSale', {AVAILABLE} > 0 AND {SELLING_NOW},
  'saleStartsAt', {_ms('tt.sale_starts_at')}, 'saleEndsAt', {_ms('tt.sale_ends_at')},
  'minPerOrder', tt.min_per_order, 'maxPerOrder', tt.max_per_order, 'hidden', tt.hidden,
  'sortOrder', tt.sort_order)"""

TS_EVENT = f"""json_build_object('id', 'evt_' || e.id, 'title', e.title, 'slug', e.slug,
  'description', e.description, 'status', upper(e.status), 'startsAt', {_ms('e.starts_at')},
  'endsAt', {_ms('e.ends_at')}, 'doorsOpen', {_ms('e.doors_open_at')}, 'timezone', e.timezone,
  'venueName', e.venue_name, 'address', e.address, 'postalCode', e.postal_code, 'city', e.city,
  'country', e.country, 'currency', e.currency, 'visibility', upper(e.visibility),
  'category', upper(e.category), 'publicUrl', $2 || '/events/' || b.slug || '/' || e.slug,
  'ticketTypes', coalesce((SELECT json_agg({TS_TYPE} ORDER BY tt.sort_order, tt.id)
                           FROM ticket_types tt WHERE tt.event_id = e.id), '[]'),
  'createdAt', {_ms('e.created_at')}, 'updatedAt', {_ms('e.updated_at')})"""


def ts_events(page: int, limit: int) -> str:
    """The page's events, then the total; an empty page is one row of NULLs carrying the total."""
    return f"""
WITH e AS (SELECT * FROM events WHERE box_office_id = $1 AND livemode
           ORDER BY created_at DESC, id DESC LIMIT {limit} OFFSET {(page - 1) * limit})
SELECT {columns(TS_EVENT)}, n.total AS "_total"
FROM (SELECT count(*) AS total FROM events WHERE box_office_id = $1 AND livemode) n
LEFT JOIN e ON true LEFT JOIN box_offices b ON b.id = e.box_office_id
ORDER BY e.created_at DESC, e.id DESC"""


TS_EVENT_ONE = f"""
SELECT {columns(TS_EVENT)}
FROM events e JOIN box_offices b ON b.id = e.box_office_id
WHERE e.id = $3 AND e.box_office_id = $1 AND e.livemode"""

TS_AVAILABILITY_OBJECT = """json_build_object('eventId', 'evt_' || e.id, 'status', upper(e.status),
  'currency', e.currency, 'onSale', e.status = 'published' AND e.starts_at > now() AND coalesce(a.buyable, false),
  'soldOut', a.lines > 0 AND a.available = 0, 'totalQuantity', a.quantity, 'totalSold', a.sold,
  'totalAvailable', a.available, 'ticketTypes', coalesce(a.types, '[]'))"""

TS_AVAILABILITY = f"""
SELECT {columns(TS_AVAILABILITY_OBJECT)}
FROM events e CROSS JOIN LATERAL (
  SELECT count(*) AS lines, coalesce(sum(tt.quantity), 0) AS quantity, coalesce(sum(tt.sold), 0) AS sold,
         coalesce(sum({AVAILABLE}), 0) AS available, bool_or({AVAILABLE} > 0 AND {SELLING_NOW}) AS buyable,
         json_agg(json_build_object('id', 'tkt_' || tt.id, 'name', tt.name, 'price', tt.price,
                                    'available', {AVAILABLE}, 'soldOut', {AVAILABLE} = 0)
                  ORDER BY tt.sort_order, tt.id) AS types
  FROM ticket_types tt WHERE tt.event_id = e.id AND NOT tt.hidden) a
WHERE e.id = $2 AND e.box_office_id = $1 AND e.livemode"""

# --- Ticket Tailor --------------------------------------------------------------------------------


# Ticket Tailor's date objects ({date, formatted, iso, time, timezone, unix} in the event's zone) are
# filled in by floor.py from the hidden _start, _end and _zone columns, memoized: about 7 us each as SQL
# (AT TIME ZONE and to_char per field), two per row, against a dictionary lookup in Python.
TT_DATES = ('coalesce({t}.ends_at, {t}.starts_at) AS "_end", {t}.starts_at AS "_start", {t}.timezone AS "_zone"')


TT_TYPE_STATUS = f"""CASE WHEN tt.status = 'on_sale' AND tt.hidden THEN 'hidden'
  WHEN tt.status = 'on_sale' AND {AVAILABLE} = 0 THEN 'sold_out'
  WHEN tt.status = 'off_sale' THEN 'unavailable' ELSE tt.status END"""

TT_TYPE = f"""json_build_object('object', 'ticket_type', 'id', 'tt_' || tt.id, 'access_code', tt.access_code,
  'booking_fee', tt.booking_fee, 'description', tt.description, 'group_id', 'tg_' || tt.group_id,
  'max_per_order', tt.max_per_order, 'min_per_order', tt.min_per_order, 'name', tt.name, 'price', tt.price,
  'status', {TT_TYPE_STATUS}, 'sort_order', tt.sort_order,
  'type', CASE WHEN tt.price > 0 THEN 'paid' ELSE 'free' END, 'quantity', {AVAILABLE})"""

TT_EVENT_STATUS = """CASE WHEN e.status = 'published' AND k.types > 0 AND NOT k.selling THEN 'off_sale_temporarily'
  WHEN e.status IN ('published', 'sold_out') THEN 'published'
  WHEN e.status IN ('cancelled', 'completed', 'archived') THEN 'close_sales' ELSE e.status END"""

TT_EVENT = f"""json_build_object('object', 'event', 'id', 'ev_' || e.id, 'access_code', e.access_code,
  'call_to_action', coalesce(nullif(e.call_to_action, ''), 'Buy tickets'), 'created_at', {_unix('e.created_at')},
  'currency', lower(e.currency), 'description', e.description,
  'end', NULL, 'event_series_id', 'es_' || e.series_id,
  'images', json_build_object('header', e.image_header, 'thumbnail', e.image_thumbnail), 'name', e.title,
  'online_event', CASE WHEN e.online THEN 'true' ELSE 'false' END,
  'payment_methods', CASE WHEN b.payments_connected THEN json_build_array(json_build_object('external_id', NULL,
    'id', 'pm_' || b.id, 'instructions', NULL, 'name', NULL, 'type', 'stripe')) ELSE '[]' END,
  'private', CASE WHEN e.visibility <> 'public' THEN 'true' ELSE 'false' END,
  'start', NULL, 'status', {TT_EVENT_STATUS},
  'ticket_groups', coalesce((SELECT json_agg(json_build_object('id', 'tg_' || g.id, 'max_per_order', g.max_per_order,
      'name', g.name, 'sort_order', g.sort_order, 'ticket_ids', array(SELECT 'tt_' || x.id FROM ticket_types x
      WHERE x.group_id = g.id ORDER BY x.sort_order, x.id)) ORDER BY g.sort_order, g.id)
    FROM ticket_groups g WHERE g.event_id = e.id), '[]'),
  'ticket_types', coalesce(k.items, '[]'),
  'tickets_available', CASE WHEN e.status = 'published' AND k.buyable THEN 'true' ELSE 'false' END,
  'timezone', e.timezone,
  'total_issued_tickets', (SELECT count(*) FROM issued_tickets x WHERE x.event_id = e.id),
  'total_orders', (SELECT count(*) FROM orders x WHERE x.event_id = e.id),
  'url', $2 || '/events/' || b.slug || '/' || e.slug,
  'venue', json_build_object('name', e.venue_name, 'postal_code', e.postal_code))"""

TT_TYPES_SELECT = f"""SELECT tt.event_id, json_agg({TT_TYPE} ORDER BY tt.sort_order, tt.id) AS items, count(*) AS types,
  coalesce(bool_or({SELLING_NOW} AND {AVAILABLE} > 0), false) AS buyable,
  coalesce(bool_or(tt.status <> 'off_sale'), false) AS selling"""
# one event: its types by a lateral subquery; a page: grouped in one pass over the page (TT_EVENTS)
TT_TYPES = f"""LEFT JOIN LATERAL ({TT_TYPES_SELECT} FROM ticket_types tt WHERE tt.event_id = e.id
  GROUP BY tt.event_id) k ON true"""

TT_EVENTS = f"""
WITH e AS (SELECT * FROM events WHERE box_office_id = $1 AND livemode ORDER BY created_at DESC, id DESC LIMIT 101)
SELECT {columns(TT_EVENT)}, {TT_DATES.format(t="e")} FROM e JOIN box_offices b ON b.id = e.box_office_id
LEFT JOIN ({TT_TYPES_SELECT} FROM e JOIN ticket_types tt ON tt.event_id = e.id GROUP BY tt.event_id) k
  ON k.event_id = e.id
ORDER BY e.created_at DESC, e.id DESC"""

TT_EVENT_ONE = f"""
SELECT {columns(TT_EVENT)}, {TT_DATES.format(t="e")}
FROM events e JOIN box_offices b ON b.id = e.box_office_id {TT_TYPES}
WHERE e.id = $3 AND e.box_office_id = $1 AND e.livemode"""

TT_TICKET = f"""json_build_object('object', 'issued_ticket', 'id', 'it_' || t.id, 'barcode', t.barcode,
  'barcode_url', $2 || '/tickettailor/barcode/qr/attendee/' || t.id || '/' || t.barcode,
  'checked_in', CASE WHEN t.checked_in_at IS NULL THEN 'false' ELSE 'true' END,
  'created_at', {_unix('t.created_at')}, 'custom_questions', t.custom_questions, 'description', t.description,
  'email', t.email, 'event_id', 'ev_' || t.event_id,
  'event_series_id', (SELECT 'es_' || x.series_id FROM events x WHERE x.id = t.event_id),
  'full_name', nullif(concat_ws(' ', nullif(t.first_name, ''), nullif(t.last_name, '')), ''),
  'first_name', t.first_name, 'last_name', t.last_name, 'reference', t.reference, 'reservation', NULL,
  'status', t.status, 'ticket_type_id', 'tt_' || t.ticket_type_id, 'updated_at', {_unix('t.updated_at')},
  'voided_at', {_unix('t.voided_at')}, 'order_id', 'or_' || t.order_id,
  'qr_code_url', $2 || '/tickettailor/barcode/st/attendee/' || t.id || '/' || t.barcode)"""

TT_ORDER = f"""json_build_object('object', 'order', 'id', 'or_' || o.id,
  'buyer_details', json_build_object('address', json_build_object(
      'address_1', o.buyer_address ->> 'address_1', 'address_2', o.buyer_address ->> 'address_2',
      'address_3', o.buyer_address ->> 'address_3', 'postal_code', o.buyer_address ->> 'postal_code'),
    'custom_questions', o.custom_questions, 'email', o.buyer_email, 'name', o.buyer_name, 'phone', o.buyer_phone),
  'created_at', {_unix('o.created_at')},
  'currency', json_build_object('code', lower(o.currency), 'base_multiplier',
    CASE WHEN o.currency IN ('CLP', 'ISK', 'JPY', 'KRW', 'PYG', 'RWF', 'UGX', 'VND', 'XAF', 'XOF') THEN 1 ELSE 100 END),
  'event_summary', json_build_object('id', 'ev_' || ev.id,
    'end_date', NULL, 'name', ev.title, 'start_date', NULL),
  'issued_tickets', coalesce(ti.items, '[]'), 'line_items', coalesce(li.items, '[]'),
  'payment_method', json_build_object('external_id', o.payment_external_id,
    'id', CASE WHEN o.payment_method = 'stripe' THEN 'pm_' || o.box_office_id END, 'instructions', NULL,
    'name', NULL, 'type', o.payment_method),
  'refund_amount', o.refund_amount,
  'status', CASE WHEN o.status = 'refunded' THEN 'cancelled' ELSE o.status END,
  'status_message', CASE WHEN o.status = 'refunded' AND coalesce(o.status_message, '') = '' THEN 'Refunded'
                         ELSE o.status_message END,
  'subtotal', o.total - o.tax, 'tax', o.tax, 'total', o.total, 'txn_id', o.txn_id)"""


def _tt_list(table: str, alias: str, doc: str, after: bool, join: str = "", hidden: str = "") -> str:
    """A Ticket Tailor page of 100 (101 read: the 101st says a next page exists), first or after ``$3``."""
    anchor = (f" AND ({alias}.created_at, {alias}.id) < (SELECT created_at, id FROM {table}"
              f" WHERE id = $3 AND box_office_id = $1 AND livemode)") if after else ""
    return f"""
WITH p AS (SELECT * FROM {table} {alias} WHERE {alias}.box_office_id = $1 AND {alias}.livemode{anchor}
           ORDER BY {alias}.created_at DESC, {alias}.id DESC LIMIT 101)
SELECT {columns(doc)}{hidden} FROM p {alias} {join} ORDER BY {alias}.created_at DESC, {alias}.id DESC"""


# an order page's children, each grouped in one pass over the page (one index scan per child table)
TT_ORDER_CHILDREN = f"""JOIN events ev ON ev.id = o.event_id
LEFT JOIN (SELECT t.order_id, json_agg({TT_TICKET} ORDER BY t.id) AS items
           FROM p JOIN issued_tickets t ON t.order_id = p.id GROUP BY t.order_id) ti ON ti.order_id = o.id
LEFT JOIN (SELECT li.order_id, json_agg(json_build_object('object', 'line_item', 'id', 'li_' || li.id,
             'booking_fee', li.booking_fee, 'description', li.description, 'type', li.type, 'total', li.total,
             'value', li.value, 'quantity', li.quantity) ORDER BY li.id) AS items
           FROM p JOIN order_line_items li ON li.order_id = p.id GROUP BY li.order_id) li ON li.order_id = o.id"""


def tt_orders(after: bool) -> str:
    return _tt_list("orders", "o", TT_ORDER, after, TT_ORDER_CHILDREN, ", " + TT_DATES.format(t="ev"))


def tt_tickets(after: bool) -> str:
    return _tt_list("issued_tickets", "t", TT_TICKET, after)


# --- Equaticket -----------------------------------------------------------------------------------

EQ_TYPE = f"""json_build_object('id', 'tkt_' || tt.id, 'object', 'ticket_type', 'livemode', e.livemode,
  'event_id', 'evt_' || tt.event_id, 'name', tt.name, 'description', tt.description, 'price', tt.price,
  'booking_fee', tt.booking_fee, 'currency', lower(e.currency), 'quantity_total', tt.quantity,
  'quantity_sold', tt.sold, 'quantity_available', {AVAILABLE}, 'min_per_order', tt.min_per_order,
  'max_per_order', tt.max_per_order, 'sale_starts_at', {_s('tt.sale_starts_at')},
  'sale_ends_at', {_s('tt.sale_ends_at')}, 'hidden', tt.hidden, 'access_code', tt.access_code,
  'status', tt.status, 'sort_order', tt.sort_order, 'created_at', {_s('tt.created_at')},
  'updated_at', {_s('tt.updated_at')})"""

EQ_EVENT = f"""json_build_object('id', 'evt_' || e.id, 'object', 'event', 'title', e.title, 'slug', e.slug,
  'description', e.description, 'starts_at', {_s('e.starts_at')}, 'ends_at', {_s('e.ends_at')},
  'doors_open_at', {_s('e.doors_open_at')}, 'timezone', e.timezone, 'venue_name', e.venue_name,
  'address', e.address, 'city', e.city, 'postal_code', e.postal_code, 'country', e.country, 'online', e.online,
  'currency', lower(e.currency), 'category', e.category, 'url', $2 || '/events/' || b.slug || '/' || e.slug,
  'image_header', e.image_header, 'image_thumbnail', e.image_thumbnail, 'call_to_action', e.call_to_action,
  'livemode', e.livemode, 'status', e.status, 'visibility', e.visibility, 'access_code', e.access_code,
  'ticket_types', coalesce((SELECT json_agg({EQ_TYPE} ORDER BY tt.sort_order, tt.id) FROM ticket_types tt
                            WHERE tt.event_id = e.id), '[]'),
  'created_at', {_s('e.created_at')}, 'updated_at', {_s('e.updated_at')})"""

EQ_ATTENDEE = f"""json_build_object('id', 'att_' || t.id, 'object', 'attendee', 'livemode', t.livemode,
  'is_test_data', NOT t.livemode, 'event_id', 'evt_' || t.event_id, 'order_id', 'ord_' || t.order_id,
  'ticket_type_id', 'tkt_' || t.ticket_type_id, 'ticket_type_name', t.description, 'first_name', t.first_name,
  'last_name', t.last_name, 'email', t.email, 'barcode', t.barcode, 'status', t.status,
  'checked_in', t.checked_in_at IS NOT NULL, 'checked_in_at', {_s('t.checked_in_at')},
  'created_at', {_s('t.created_at')}, 'updated_at', {_s('t.updated_at')})"""


def _eq_list(table: str, alias: str, doc: str, limit: int, after: bool, join: str = "", first: int = 3) -> str:
    """A page of ``limit`` (one more read: it says there is more), each row with its position for the cursor
    (created_at as microseconds since the epoch: an integer decodes in a fraction of a timestamptz's time)."""
    anchor = f" AND ({alias}.created_at, {alias}.id) < (${first}, ${first + 1})" if after else ""
    return f"""
WITH p AS (SELECT * FROM {table} {alias} WHERE {alias}.box_office_id = $1 AND {alias}.livemode{anchor}
           ORDER BY {alias}.created_at DESC, {alias}.id DESC LIMIT {limit + 1})
SELECT {columns(doc)}, (extract(epoch FROM {alias}.created_at) * 1000000)::bigint AS "_at", {alias}.id AS "_id"
FROM p {alias} {join} ORDER BY {alias}.created_at DESC, {alias}.id DESC"""


def eq_events(limit: int) -> str:
    return _eq_list("events", "e", EQ_EVENT, limit, False, "JOIN box_offices b ON b.id = e.box_office_id")


def eq_attendees(limit: int, after: bool) -> str:
    return _eq_list("issued_tickets", "t", EQ_ATTENDEE, limit, after, first=2)  # no base URL: $2, $3


EQ_EVENT_ONE = f"""
SELECT {columns(EQ_EVENT)} FROM events e JOIN box_offices b ON b.id = e.box_office_id
WHERE e.id = $3 AND e.box_office_id = $1 AND e.livemode"""


@dataclass(frozen=True)
class Statement:
    sql: str
    params: tuple[str, ...] = ("read_office", "base_url")  # the values of $1, $2, ... by name
    envelope: str = "object"  # how floor.py wraps the rows: see floor.ENVELOPES
    limit: int = 0  # a page's size (one more row is read)
    page: int = 0  # TicketSmart's page number
    path: str = ""  # Ticket Tailor's links
    after: bool = False  # a page after a cursor (Ticket Tailor's link back)
    kind: str = ""  # Equaticket's cursor kind
    dates: str = ""  # Ticket Tailor: where floor.py puts the date objects ("event" or "order")


ONE = ("read_office", "base_url", "event_id")
STATEMENTS: dict[str, Statement] = {
    "ts_events": Statement(ts_events(1, 20), envelope="ts_page", limit=20, page=1),
    "ts_events_p1": Statement(ts_events(1, 100), envelope="ts_page", limit=100, page=1),
    "ts_events_p100": Statement(ts_events(100, 100), envelope="ts_page", limit=100, page=100),
    "ts_event": Statement(TS_EVENT_ONE, ONE, envelope="ts_event"),
    "ts_availability": Statement(TS_AVAILABILITY, ("read_office", "event_id")),
    "tt_events": Statement(TT_EVENTS, envelope="tt_page", limit=100, path="/events", dates="event"),
    "tt_event": Statement(TT_EVENT_ONE, ONE, dates="event"),
    "tt_orders": Statement(tt_orders(False), envelope="tt_page", limit=100, path="/orders", dates="order"),
    "tt_orders_deep": Statement(tt_orders(True), ("read_office", "base_url", "order_deep_id"), envelope="tt_page",
                                limit=100, path="/orders", after=True, dates="order"),
    "tt_tickets": Statement(tt_tickets(False), envelope="tt_page", limit=100, path="/issued_tickets"),
    "tt_tickets_deep": Statement(tt_tickets(True), ("read_office", "base_url", "ticket_deep_id"), envelope="tt_page",
                                 limit=100, path="/issued_tickets", after=True),
    "eq_events": Statement(eq_events(50), envelope="eq_page", limit=50, kind="events"),
    "eq_event": Statement(EQ_EVENT_ONE, ONE),
    "eq_attendees": Statement(eq_attendees(100, False), ("read_office",), envelope="eq_page", limit=100,
                              kind="attendees"),
    "eq_attendees_deep": Statement(eq_attendees(100, True), ("read_office", "ticket_deep_created", "ticket_deep_id"),
                                   envelope="eq_page", limit=100, kind="attendees"),
}
