"""The benchmark's scenarios, declared as data: one request each, and what the floors answer it with.

A scenario's hand floor (floor.py) is one of:

- ``sql``: a GET's one hand-written statement (handsql.py) returning the same body as the gateway;
- ``replay``: the stored response of an idempotent replay, by its primary key;
- ``update``: the single-statement stock UPDATE (checkout's physical floor);
- ``insert_event``: one ``INSERT INTO events ... RETURNING *`` (creating an event's floor);
- ``update_event``: one ``UPDATE events ... RETURNING *`` (changing an event's floor);
- ``static``: a constant JSON body (the pipeline's own cost: auth, limits, routing).

The same-statements floor (samesql.py) replays the statements the gateway ran (recorded by
recorder.py) for ``sql``, ``replay`` and ``update_event``, and answers the others as the hand floor.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Literal

from tests.bench.seed import WRITE_SLUG, Fixture

ADMIN_TOKEN = "bench-admin-token-0123456789"
FloorKind = Literal["sql", "replay", "update", "insert_event", "update_event", "static"]
SAMESQL_KIND = {"sql": "sql", "replay": "sql", "update_event": "sql", "update": "update",
                "insert_event": "insert_event", "static": "static"}

EVENT_BODY = (
    '{"title": "Bench created {n}", "starts_at": "2031-05-01T19:00:00Z", "currency": "usd",'
    ' "ticket_types": [{"name": "General admission", "price": 2500, "quantity_total": 100}]}'
)
TS_EVENT_BODY = (
    '{"title": "Bench created {n}", "startsAt": "2031-05-01T19:00:00Z",'
    ' "ticketTypes": [{"name": "General admission", "price": 2500, "quantity": 100}]}'
)
TS_PATCH_BODY = '{"title": "Bench patched", "venueName": "Hall 9"}'


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    path: str
    headers: dict[str, str]
    method: str = "GET"
    body: str | None = None  # "{n}" is replaced by the request's unique id when unique_key
    unique_key: bool = False  # a fresh Idempotency-Key (and {n}) on every request
    floor: FloorKind = "sql"
    status: int = 200
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_get(self) -> bool:
        return self.method == "GET"

    @property
    def replayed(self) -> bool:
        """Whether the same-statements floor replays the gateway's statements (else it answers as the
        hand floor does, and is not measured again)."""
        return SAMESQL_KIND[self.floor] == "sql"


def headers_for(dialect: str, secret: str) -> dict[str, str]:
    if dialect == "ticketsmart":
        return {"x-api-key": secret}
    if dialect == "tickettailor":
        return {"Authorization": "Basic " + base64.b64encode(f"{secret}:".encode()).decode()}
    return {"Authorization": f"Bearer {secret}"}


def build(fx: Fixture, deep_cursor: str) -> list[Scenario]:
    """Every scenario of a full run, in run order (writes last: they add rows)."""
    ts = headers_for("ticketsmart", fx.keys["ticketsmart"])
    tt = headers_for("tickettailor", fx.keys["tickettailor"])
    eq = headers_for("equaticket", fx.keys["equaticket"])
    eqw = {**headers_for("equaticket", fx.keys["equaticket:writes"]), "Content-Type": "application/json"}
    tsw = {**headers_for("ticketsmart", fx.keys["ticketsmart:writes"]), "Content-Type": "application/json"}
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"}
    ev = fx.event_id
    checkout = (f'{{"event": "{fx.checkout_event}", "tickets": ["tt_{fx.checkout_type}:1"],'
                f' "email": "buyer@example.com", "name": "Bench Buyer"}}')
    return [
        Scenario("ts_events", "TicketSmart list events (page 1, limit 20)",
                 "/ticketsmart/api/v1/events", ts, tags=("list", "auth_ref")),
        Scenario("ts_events_p1", "TicketSmart list events page 1, limit 100",
                 "/ticketsmart/api/v1/events?limit=100&page=1", ts, tags=("list",)),
        Scenario("ts_events_p100", "TicketSmart list events page 100, limit 100",
                 "/ticketsmart/api/v1/events?limit=100&page=100", ts, tags=("list", "deep:ts_events_p1")),
        Scenario("ts_event", "TicketSmart get event", f"/ticketsmart/api/v1/events/evt_{ev}", ts),
        Scenario("ts_availability", "TicketSmart availability",
                 f"/ticketsmart/api/v1/events/evt_{ev}/availability", ts),
        Scenario("tt_events", "Ticket Tailor list events (limit 100)", "/tickettailor/v1/events", tt,
                 tags=("list",)),
        Scenario("tt_event", "Ticket Tailor get event", f"/tickettailor/v1/events/ev_{ev}", tt),
        Scenario("tt_orders", "Ticket Tailor list orders (first page)", "/tickettailor/v1/orders", tt,
                 tags=("list",)),
        Scenario("tt_orders_deep", "Ticket Tailor list orders (last page, by cursor)",
                 f"/tickettailor/v1/orders?starting_after=or_{fx.order_deep_id}", tt,
                 tags=("list", "deep:tt_orders")),
        Scenario("tt_tickets", "Ticket Tailor list issued tickets (first page)",
                 "/tickettailor/v1/issued_tickets", tt, tags=("list",)),
        Scenario("tt_tickets_deep", "Ticket Tailor issued tickets 1M rows deep (cursor)",
                 f"/tickettailor/v1/issued_tickets?starting_after=it_{fx.ticket_deep_id}", tt,
                 tags=("list", "deep:tt_tickets")),
        Scenario("tt_ping", "Ticket Tailor ping (auth + rate limit only)", "/tickettailor/v1/ping", tt,
                 floor="static", tags=("auth",)),
        Scenario("eq_events", "Equaticket list events", "/equaticket/api/v1/events", eq, tags=("list",)),
        Scenario("eq_event", "Equaticket get event", f"/equaticket/api/v1/events/evt_{ev}", eq),
        Scenario("eq_attendees", "Equaticket list attendees (first page, limit 100)",
                 "/equaticket/api/v1/attendees?limit=100", eq, tags=("list",)),
        Scenario("eq_attendees_deep", "Equaticket attendees 1M rows deep (cursor, limit 100)",
                 f"/equaticket/api/v1/attendees?limit=100&cursor={deep_cursor}", eq,
                 tags=("list", "deep:eq_attendees")),
        Scenario("eq_create_event", "Equaticket POST event, new Idempotency-Key each",
                 "/equaticket/api/v1/events", eqw, method="POST", body=EVENT_BODY, unique_key=True,
                 floor="insert_event", status=201, tags=("write", "create")),
        Scenario("eq_create_replay", "Equaticket POST event, replayed Idempotency-Key",
                 "/equaticket/api/v1/events", {**eqw, "Idempotency-Key": "bench-replay-key"},
                 method="POST", body=EVENT_BODY.replace("{n}", "replay"), floor="replay", status=201,
                 tags=("write",)),
        Scenario("ts_create_event", "TicketSmart POST event (with one ticket type)", "/ticketsmart/api/v1/events",
                 tsw, method="POST", body=TS_EVENT_BODY, unique_key=True, floor="insert_event", status=201,
                 tags=("write", "create")),
        Scenario("ts_patch_event", "TicketSmart PATCH event (title and venue)",
                 f"/ticketsmart/api/v1/events/evt_{fx.patch_event}", tsw, method="PATCH", body=TS_PATCH_BODY,
                 floor="update_event", tags=("write",)),
        Scenario("checkout", "Checkout under contention (operator API, one ticket type)",
                 f"/admin/v1/box-offices/{WRITE_SLUG}/orders", admin, method="POST", body=checkout,
                 floor="update", status=201, tags=("write", "checkout")),
    ]


LIMITER = ("ts_events", "ts_event", "tt_orders", "eq_attendees")  # also measured with limits off
METRICS = ("ts_events", "tt_orders", "eq_attendees")  # lists, also measured with metrics off
TWO_WORKERS = ("ts_events", "ts_event", "tt_orders", "tt_tickets_deep", "eq_events", "eq_attendees")
LATENCY = ("ts_events", "ts_event", "tt_orders", "eq_attendees")  # also through the delaying proxy
SMOKE = ("ts_events",)
# The memory soak's rotation: every dialect's auth and detail paths and one list, light enough that
# 200,000 requests come close to fitting the run's time budget on 2 cores (100-row lists run at 40-250/s).
SOAK = ("ts_events", "ts_event", "ts_availability", "tt_ping", "tt_event", "eq_event")
