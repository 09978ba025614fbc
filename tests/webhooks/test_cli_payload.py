"""Webhook payloads written by a process that never builds the dialect's app (the CLI).

The renderer is an object holding the public base URL, handed to the outbox by whoever installs
it; the events' ``url`` used to come from a module variable set only when the Equaticket app was
built, so an order placed from the CLI wrote a relative ``/events/...`` URL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import orjson

from core import subscriptions
from core.addresses import AddressPolicy
from core.events import create_event, ticket_types_for
from core.models import EventCreate, Scope, parse
from core.vault import Vault

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = "https://tickets.example.test"
GUARD = subscriptions.Guard(AddressPolicy(development=True), Vault([]))


def cli(database_dsn: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_dsn, "TICKETGATE_PUBLIC_BASE_URL": PUBLIC}
    return subprocess.run([sys.executable, "-c", "from gateway.cli import main; main()", *args], cwd=ROOT,
                          capture_output=True, text=True, env=env, timeout=120)


async def test_sold_out_payload_from_the_cli_has_an_absolute_event_url(conn, box_office, database_dsn):
    scope = Scope(box_office["id"], True)
    await subscriptions.create_subscription(conn, scope, "pro", parse(subscriptions.SubscriptionCreate, {
        "url": "https://hooks.example.com/in", "event_types": ["event.sold_out"]}), GUARD)
    event = await create_event(conn, scope, parse(EventCreate, {
        "title": "Last Seat", "slug": "last-seat", "starts_at": "2031-06-01T19:00:00Z",
        "ticket_types": [{"name": "GA", "price": 500, "quantity": 1}]}))
    type_id = (await ticket_types_for(conn, [event["id"]]))[0]["id"]
    placed = cli(database_dsn, "--json", "orders", "create", "--box-office", box_office["slug"],
                 "--event", f"evt_{event['id']}", "--ticket-type", f"tkt_{type_id}:1", "--email", "cli@example.com")
    assert placed.returncode == 0, placed.stderr
    assert json.loads(placed.stdout)["id"]
    payload = await conn.fetchval("SELECT payload FROM webhook_events WHERE box_office_id = $1"
                                  " AND type = 'event.sold_out'", box_office["id"])
    assert payload is not None, "the CLI's order wrote no event.sold_out event"
    data = (orjson.loads(payload) if isinstance(payload, str) else payload)["data"]
    assert data["url"] == f"{PUBLIC}/events/{box_office['slug']}/last-seat"
