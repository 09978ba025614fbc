"""The demo box office: a few events, ticket types and orders, a weekly series, a product, a
discount and a voucher with codes, and fresh keys."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import asyncpg

from core import boxoffices, discounts, events, keys, products, series, vouchers
from core.checkout import Checkout
from core.errors import NotFound
from core.models import BoxOfficeCreate, EventCreate, OrderCreate, Scope, parse
from core.offers import DiscountCreate, ProductCreate, VoucherCreate
from core.series import OccurrenceCreate, SeriesCreate
from dialects import registry

DEMO_SLUG = "demo"
DEMO_KEY_NAME = "demo"


def _events(now: datetime) -> list[dict[str, Any]]:
    soon = (now + timedelta(days=30)).replace(hour=19, minute=0, second=0, microsecond=0)
    return [
        {"title": "Comedy Night", "starts_at": soon, "ends_at": soon + timedelta(hours=2),
         "timezone": "America/New_York", "venue_name": "Main Room", "city": "New York",
         "country": "US", "category": "comedy",
         "ticket_types": [{"name": "General Admission", "price": 2500, "quantity": 120},
                          {"name": "VIP", "price": 4500, "quantity": 20, "booking_fee": 250}]},
        {"title": "Tulip Festival", "starts_at": soon + timedelta(days=14),
         "ends_at": soon + timedelta(days=14, hours=4), "timezone": "Europe/London",
         "venue_name": "Hackney Downs", "city": "London", "country": "GB", "postal_code": "E5 8NP",
         "currency": "GBP", "category": "music",
         "ticket_types": [{"name": "Adult", "price": 800, "quantity": 500},
                          {"name": "Child", "price": 0, "quantity": 200}]},
        {"title": "Spring Workshop", "starts_at": soon + timedelta(days=60),
         "timezone": "America/Chicago", "online": True, "category": "workshop",
         "ticket_types": [{"name": "Seat", "price": 1500, "quantity": 30}]},
    ]


async def seed(conn: asyncpg.Connection, checkout: Checkout) -> tuple[asyncpg.Record, bool]:
    """The demo box office, created with its data when missing; (office, created)."""
    try:
        return await boxoffices.get_box_office(conn, DEMO_SLUG), False
    except NotFound:
        pass
    office = await boxoffices.create_box_office(conn, parse(BoxOfficeCreate, {
        "name": "Demo Box Office", "slug": DEMO_SLUG, "plan": "pro",
        "api_terms_accepted": True, "payments_connected": True}))
    scope = Scope(office["id"], True)
    made = []
    for position, spec in enumerate(_events(checkout.clock.now())):
        made.append(event := await events.create_event(conn, scope, parse(EventCreate, spec)))
        if position < 2:
            await events.publish_event(conn, scope, event["id"])
            await _orders(conn, scope, event["id"], checkout)
    await _weekly_series(conn, scope, checkout.clock.now())
    await _offers(conn, scope, made[0]["id"], checkout.clock.now())
    return office, True


async def _offers(conn: asyncpg.Connection, scope: Scope, event_id: int, now: datetime) -> None:
    """A product sold with every series, a discount code on it and on the first event's general
    admission, and a gift voucher with codes usable on any event (all in the box office's currency)."""
    tote = await products.create_product(conn, scope, parse(ProductCreate, {
        "name": "Tote Bag", "description": "Collect it at the door", "price": 1200, "quantity": 100,
        "fulfilment_type": "collection"}), now)
    general = (await events.ticket_types_for(conn, [event_id]))[0]
    await discounts.create_discount(conn, scope, parse(DiscountCreate, {
        "name": "Early Bird", "code": "EARLYBIRD", "face_value_amount": 500, "ticket_type_ids": [general["id"]],
        "product_ids": [tote["id"]], "max_uses": 50}), now)
    await vouchers.create_voucher(conn, scope, parse(VoucherCreate, {
        "name": "Gift Card", "value": 5000, "codes": ["GIFT-DEMO-50"], "generate": 2}), now)


async def _weekly_series(conn: asyncpg.Connection, scope: Scope, now: datetime) -> None:
    """A series of four weekly occurrences sharing its ticket types (Ticket Tailor's event series)."""
    first = (now + timedelta(days=7)).replace(hour=20, minute=0, second=0, microsecond=0)
    made = await series.create_series(conn, scope, parse(SeriesCreate, {
        "name": "Open Mic Tuesdays", "timezone": "Europe/London", "currency": "GBP",
        "venue_name": "The Back Room", "postal_code": "E8 1DY", "country": "GB",
        "ticket_types": [{"name": "Entry", "price": 500, "quantity": 60}]}))
    for week in range(4):
        starts = first + timedelta(weeks=week)
        await series.add_occurrence(conn, scope, made["id"], parse(OccurrenceCreate, {
            "starts_at": starts, "ends_at": starts + timedelta(hours=3)}))
    await series.publish_series(conn, scope, made["id"])


async def _orders(conn: asyncpg.Connection, scope: Scope, event_id: int, checkout: Checkout) -> None:
    types = await events.ticket_types_for(conn, [event_id])
    buyers = [("Ada Lovelace", "ada@example.com"), ("Alan Turing", "alan@example.com")]
    for (name, email), ticket_type in zip(buyers, types, strict=False):
        await checkout.place(conn, scope, parse(OrderCreate, {
            "event_id": event_id, "lines": [{"ticket_type_id": ticket_type["id"], "quantity": 2}],
            "buyer": {"name": name, "email": email}}))


async def fresh_keys(conn: asyncpg.Connection, office_id: int) -> dict[str, str]:
    """Revoke the previous demo keys and make one live key per dialect (shown once)."""
    for old in await conn.fetch(
        "SELECT id FROM api_keys WHERE box_office_id = $1 AND name = $2 AND revoked_at IS NULL",
        office_id, DEMO_KEY_NAME,
    ):
        await keys.revoke_key(conn, old["id"])
    made = {}
    for dialect in registry.NAMES:
        _, secret = await keys.create_key(conn, office_id, registry.key_rules(dialect), name=DEMO_KEY_NAME)
        made[dialect] = secret
    return made


# the example requests printed per dialect ({b}: base URL, {p}: the dialect's prefix, {k}: its
# key); the first is the dialect's ``curl`` line
EXAMPLES = {
    "ticketsmart": ['curl -s "{b}{p}/api/v1/events?limit=5" -H "x-api-key: {k}"'],
    "tickettailor": ['curl -s "{b}{p}/v1/events" -u "{k}:"', 'curl -s "{b}{p}/v1/vouchers" -u "{k}:"'],
    "equaticket": ['curl -s "{b}{p}/api/v1/events" -H "Authorization: Bearer {k}"'],
}


def examples(base_url: str, prefixes: dict[str, str], secrets: dict[str, str]) -> dict[str, list[str]]:
    """Every example request of each enabled dialect with a key, ready to paste."""
    return {name: [line.format(b=base_url, p=prefix, k=secrets[name]) for line in EXAMPLES[name]]
            for name, prefix in prefixes.items() if name in secrets}


def curl_lines(base_url: str, prefixes: dict[str, str], secrets: dict[str, str]) -> dict[str, str]:
    """Each dialect's first example request."""
    return {name: lines[0] for name, lines in examples(base_url, prefixes, secrets).items()}
