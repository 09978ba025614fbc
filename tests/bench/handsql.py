"""The hand floor's SQL: for each GET scenario, the one statement a PostgreSQL expert would write
to produce the whole response body, without looking at how ticketgate builds it.

Each statement returns the response document as ``json`` text (built with ``json_build_object``
and ``json_agg``), so the floor's Python only passes bytes through: the cheapest shape for the
process the benchmark's one worker is bound by. The parameters (``Statement.params``, by name) are
the box office, the public base URL, and per scenario an event id or a cursor's anchor. Page sizes are literals
(one generic plan per statement, as a careful hand would write for a fixed page size). Equaticket's
signed ``next_cursor`` is the one value PostgreSQL cannot make (no HMAC-SHA1 built in): those
statements also return the last row's position and floor.py signs and appends it.
"""

from __future__ import annotations

from dataclasses import dataclass


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
    return f"""
WITH n AS (SELECT count(*) AS total FROM events WHERE box_office_id = $1 AND livemode),
e AS (SELECT * FROM events WHERE box_office_id = $1 AND livemode
      ORDER BY created_at DESC, id DESC LIMIT {limit} OFFSET {(page - 1) * limit})
SELECT json_build_object(
  'events', coalesce((SELECT json_agg({TS_EVENT} ORDER BY e.created_at DESC, e.id DESC)
                      FROM e JOIN box_offices b ON b.id = e.box_office_id), '[]'),
  'pagination', json_build_object('page', {page}, 'limit', {limit}, 'total', n.total,
    'totalPages', ceil(n.total / {limit}.0)::int, 'hasMore', {page} < ceil(n.total / {limit}.0)))::text
FROM n"""


TS_EVENT_ONE = f"""
SELECT json_build_object('event', {TS_EVENT})::text
FROM events e JOIN box_offices b ON b.id = e.box_office_id
WHERE e.id = $3 AND e.box_office_id = $1 AND e.livemode"""

TS_AVAILABILITY = f"""
SELECT json_build_object('eventId', 'evt_' || e.id, 'status', upper(e.status), 'currency', e.currency,
  'onSale', e.status = 'published' AND e.starts_at > now() AND coalesce(a.buyable, false),
  'soldOut', a.lines > 0 AND a.available = 0, 'totalQuantity', a.quantity, 'totalSold', a.sold,
  'totalAvailable', a.available, 'ticketTypes', coalesce(a.types, '[]'))::text
FROM events e CROSS JOIN LATERAL (
  SELECT count(*) AS lines, coalesce(sum(tt.quantity), 0) AS quantity, coalesce(sum(tt.sold), 0) AS sold,
         coalesce(sum({AVAILABLE}), 0) AS available, bool_or({AVAILABLE} > 0 AND {SELLING_NOW}) AS buyable,
         json_agg(json_build_object('id', 'tkt_' || tt.id, 'name', tt.name, 'price', tt.price,
                                    'available', {AVAILABLE}, 'soldOut', {AVAILABLE} = 0)
                  ORDER BY tt.sort_order, tt.id) AS types
  FROM ticket_types tt WHERE tt.event_id = e.id AND NOT tt.hidden) a
WHERE e.id = $2 AND e.box_office_id = $1 AND e.livemode"""

# --- Ticket Tailor --------------------------------------------------------------------------------


def tt_date(instant: str, zone: str) -> str:
    """Ticket Tailor's date object in the event's zone (``l`` local time, ``d`` its UTC offset)."""
    return f"""(SELECT json_build_object('date', to_char(l, 'YYYY-MM-DD'),
    'formatted', to_char(l, 'Dy FMDD Mon YYYY FMHH12:MI AM'),
    'iso', to_char(l, 'YYYY-MM-DD"T"HH24:MI:SS') || z, 'time', to_char(l, 'HH24:MI'), 'timezone', z,
    'unix', {_unix('u')})
  FROM (SELECT {instant} AS u, {instant} AT TIME ZONE {zone} AS l) q
  CROSS JOIN LATERAL (SELECT CASE WHEN d < interval '0' THEN '-' || to_char(-d, 'HH24:MI')
                                  ELSE '+' || to_char(d, 'HH24:MI') END AS z
                      FROM (SELECT l - (u AT TIME ZONE 'UTC') AS d) x) r)"""


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
  'end', {tt_date('coalesce(e.ends_at, e.starts_at)', 'e.timezone')},
  'images', json_build_object('header', e.image_header, 'thumbnail', e.image_thumbnail), 'name', e.title,
  'online_event', CASE WHEN e.online THEN 'true' ELSE 'false' END,
  'payment_methods', CASE WHEN b.payments_connected THEN json_build_array(json_build_object('external_id', NULL,
    'id', 'pm_' || b.id, 'instructions', NULL, 'name', NULL, 'type', 'stripe')) ELSE '[]' END,
  'private', CASE WHEN e.visibility <> 'public' THEN 'true' ELSE 'false' END,
  'start', {tt_date('e.starts_at', 'e.timezone')}, 'status', {TT_EVENT_STATUS},
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

TT_TYPES = f"""CROSS JOIN LATERAL (SELECT json_agg({TT_TYPE} ORDER BY tt.sort_order, tt.id) AS items, count(*) AS types,
  coalesce(bool_or({SELLING_NOW} AND {AVAILABLE} > 0), false) AS buyable,
  coalesce(bool_or(tt.status <> 'off_sale'), false) AS selling
  FROM ticket_types tt WHERE tt.event_id = e.id) k"""

TT_EVENTS = f"""
WITH e AS (SELECT * FROM events WHERE box_office_id = $1 AND livemode ORDER BY created_at DESC, id DESC LIMIT 101),
r AS (SELECT {TT_EVENT} AS doc, row_number() OVER (ORDER BY e.created_at DESC, e.id DESC) AS n, e.id
      FROM e JOIN box_offices b ON b.id = e.box_office_id {TT_TYPES})
SELECT json_build_object('data', coalesce((SELECT json_agg(doc ORDER BY n) FROM r WHERE n <= 100), '[]'),
  'links', json_build_object('next', (SELECT '/events?starting_after=ev_' || id FROM r WHERE n = 100
                                      AND EXISTS (SELECT FROM r WHERE n = 101)),
                             'previous', NULL))::text"""

TT_EVENT_ONE = f"""
SELECT {TT_EVENT}::text FROM events e JOIN box_offices b ON b.id = e.box_office_id {TT_TYPES}
WHERE e.id = $3 AND e.box_office_id = $1 AND e.livemode"""

TT_TICKET = f"""json_build_object('object', 'issued_ticket', 'id', 'it_' || t.id, 'barcode', t.barcode,
  'barcode_url', $2 || '/tickettailor/barcode/qr/attendee/' || t.id || '/' || t.barcode,
  'checked_in', CASE WHEN t.checked_in_at IS NULL THEN 'false' ELSE 'true' END,
  'created_at', {_unix('t.created_at')}, 'custom_questions', t.custom_questions, 'description', t.description,
  'email', t.email, 'event_id', 'ev_' || t.event_id,
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
    'end_date', {tt_date('coalesce(ev.ends_at, ev.starts_at)', 'ev.timezone')}, 'name', ev.title,
    'start_date', {tt_date('ev.starts_at', 'ev.timezone')}),
  'issued_tickets', coalesce((SELECT json_agg({TT_TICKET} ORDER BY t.id) FROM issued_tickets t
                              WHERE t.order_id = o.id), '[]'),
  'line_items', coalesce((SELECT json_agg(json_build_object('object', 'line_item', 'id', 'li_' || li.id,
      'booking_fee', li.booking_fee, 'description', li.description, 'type', li.type, 'total', li.total,
      'value', li.value, 'quantity', li.quantity) ORDER BY li.id)
    FROM order_line_items li WHERE li.order_id = o.id), '[]'),
  'payment_method', json_build_object('external_id', o.payment_external_id,
    'id', CASE WHEN o.payment_method = 'stripe' THEN 'pm_' || o.box_office_id END, 'instructions', NULL,
    'name', NULL, 'type', o.payment_method),
  'refund_amount', o.refund_amount,
  'status', CASE WHEN o.status = 'refunded' THEN 'cancelled' ELSE o.status END,
  'status_message', CASE WHEN o.status = 'refunded' AND coalesce(o.status_message, '') = '' THEN 'Refunded'
                         ELSE o.status_message END,
  'subtotal', o.total - o.tax, 'tax', o.tax, 'total', o.total, 'txn_id', o.txn_id)"""


def _tt_list(table: str, alias: str, doc: str, path: str, prefix: str, after: bool, join: str = "") -> str:
    """A Ticket Tailor page of 100 (101 read: the 101st says a next page exists), first or after ``$3``."""
    anchor = (f" AND ({alias}.created_at, {alias}.id) < (SELECT created_at, id FROM {table}"
              f" WHERE id = $3 AND box_office_id = $1 AND livemode)") if after else ""
    previous = (f"(SELECT '{path}?ending_before={prefix}' || id FROM r WHERE n = 1)" if after else "NULL")
    return f"""
WITH p AS (SELECT * FROM {table} {alias} WHERE {alias}.box_office_id = $1 AND {alias}.livemode{anchor}
           ORDER BY {alias}.created_at DESC, {alias}.id DESC LIMIT 101),
r AS (SELECT {doc} AS doc, row_number() OVER (ORDER BY {alias}.created_at DESC, {alias}.id DESC) AS n, {alias}.id
      FROM p {alias} {join})
SELECT json_build_object('data', coalesce((SELECT json_agg(doc ORDER BY n) FROM r WHERE n <= 100), '[]'),
  'links', json_build_object('next', (SELECT '{path}?starting_after={prefix}' || id FROM r WHERE n = 100
                                      AND EXISTS (SELECT FROM r WHERE n = 101)),
                             'previous', {previous}))::text"""


def tt_orders(after: bool) -> str:
    return _tt_list("orders", "o", TT_ORDER, "/orders", "or_", after, "JOIN events ev ON ev.id = o.event_id")


def tt_tickets(after: bool) -> str:
    return _tt_list("issued_tickets", "t", TT_TICKET, "/issued_tickets", "it_", after)


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
    """``(document without next_cursor, the last row's created_at and id when there is more)``."""
    anchor = f" AND ({alias}.created_at, {alias}.id) < (${first}, ${first + 1})" if after else ""
    return f"""
WITH p AS (SELECT * FROM {table} {alias} WHERE {alias}.box_office_id = $1 AND {alias}.livemode{anchor}
           ORDER BY {alias}.created_at DESC, {alias}.id DESC LIMIT {limit + 1}),
r AS (SELECT {doc} AS doc, row_number() OVER (ORDER BY {alias}.created_at DESC, {alias}.id DESC) AS n,
             {alias}.id, {alias}.created_at FROM p {alias} {join}),
last AS (SELECT id, created_at FROM r WHERE n = {limit} AND EXISTS (SELECT FROM r WHERE n = {limit + 1}))
SELECT json_build_object('livemode', true,
  'data', coalesce((SELECT json_agg(doc ORDER BY n) FROM r WHERE n <= {limit}), '[]'),
  'has_more', EXISTS (SELECT FROM last))::text, (SELECT created_at FROM last), (SELECT id FROM last)"""


def eq_events(limit: int) -> str:
    return _eq_list("events", "e", EQ_EVENT, limit, False, "JOIN box_offices b ON b.id = e.box_office_id")


def eq_attendees(limit: int, after: bool) -> str:
    return _eq_list("issued_tickets", "t", EQ_ATTENDEE, limit, after, first=2)  # no base URL: $2, $3


EQ_EVENT_ONE = f"""
SELECT {EQ_EVENT}::text FROM events e JOIN box_offices b ON b.id = e.box_office_id
WHERE e.id = $3 AND e.box_office_id = $1 AND e.livemode"""


@dataclass(frozen=True)
class Statement:
    sql: str
    params: tuple[str, ...] = ("read_office", "base_url")  # the values of $1, $2, ... by name
    cursor: str | None = None  # Equaticket: the list kind whose next_cursor floor.py signs


STATEMENTS: dict[str, Statement] = {
    "ts_events": Statement(ts_events(1, 20)),
    "ts_events_p1": Statement(ts_events(1, 100)),
    "ts_events_p100": Statement(ts_events(100, 100)),
    "ts_event": Statement(TS_EVENT_ONE, ("read_office", "base_url", "event_id")),
    "ts_availability": Statement(TS_AVAILABILITY, ("read_office", "event_id")),
    "tt_events": Statement(TT_EVENTS),
    "tt_event": Statement(TT_EVENT_ONE, ("read_office", "base_url", "event_id")),
    "tt_orders": Statement(tt_orders(False)),
    "tt_orders_deep": Statement(tt_orders(True), ("read_office", "base_url", "order_deep_id")),
    "tt_tickets": Statement(tt_tickets(False)),
    "tt_tickets_deep": Statement(tt_tickets(True), ("read_office", "base_url", "ticket_deep_id")),
    "eq_events": Statement(eq_events(50), cursor="events"),
    "eq_event": Statement(EQ_EVENT_ONE, ("read_office", "base_url", "event_id")),
    "eq_attendees": Statement(eq_attendees(100, False), ("read_office",), cursor="attendees"),
    "eq_attendees_deep": Statement(eq_attendees(100, True), ("read_office", "ticket_deep_created", "ticket_deep_id"),
                                   cursor="attendees"),
}
