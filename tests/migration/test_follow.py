"""`ticketgate import --follow` end to end: a real import process on loopback following vendor A.

Vendor A is the test ticketgate serving Ticket Tailor. After the first pass, orders placed on
vendor A (and a new event, which Ticket Tailor cannot filter by creation time) reach the target
while the process runs; stopped with Ctrl-C, the next --follow resumes from its checkpoint
(no first pass again) and picks up what was placed in between.
"""

from __future__ import annotations

import asyncio
import signal
import time
from datetime import timedelta
from typing import Any

from core import events
from core.checkout import Checkout
from core.clock import SystemClock
from core.models import EventCreate, OrderCreate, Scope, parse
from tests.migration.conftest import START
from tests.migration.test_end_to_end import serving
from tests.ops.procs import Proc, process_env, running

TIMEOUT = 30.0


async def place_order(conn: Any, office: Any, event_id: int, email: str) -> int:
    scope = Scope(office["id"], True)
    types = await events.ticket_types_for(conn, [event_id])
    order = await Checkout(SystemClock()).place(conn, scope, parse(OrderCreate, {
        "event_id": event_id, "buyer": {"email": email, "name": "Late Buyer"},
        "lines": [{"ticket_type_id": types[0]["id"], "quantity": 1}]}))
    return int(order["id"])


async def new_event(conn: Any, office: Any) -> int:
    scope = Scope(office["id"], True)
    event = await events.create_event(conn, scope, parse(EventCreate, {
        "title": "Added during the follow", "starts_at": START + timedelta(days=30), "timezone": "Europe/London",
        "ticket_types": [{"name": "GA", "price": 1000, "quantity": 10}]}))
    await events.publish_event(conn, scope, event["id"])
    return int(event["id"])


async def until_imported(conn: Any, office: Any, kind: str, source_id: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not await conn.fetchval("SELECT 1 FROM import_map WHERE box_office_id = $1 AND source_kind = $2"
                                  " AND source_id = $3", office["id"], kind, source_id):
        assert time.monotonic() < deadline, f"{kind} {source_id} was not imported within {TIMEOUT} s"
        await asyncio.sleep(0.1)


async def interrupt(proc: Proc) -> int:
    proc.popen.send_signal(signal.SIGINT)
    return await proc.exit_code(TIMEOUT)


async def test_follow_picks_up_new_orders_and_resumes_from_its_checkpoint(app, conn, vendor, target_gateway,
                                                                         target_conn, target_office, tmp_path):
    office, key = vendor["office"], vendor["keys"]["tickettailor"]
    env = process_env(target_gateway.settings.database_url, tmp_path / "data")
    async with serving(app) as vendor_url:
        args = ["--json", "import", "--from", "tickettailor", "--base-url", f"{vendor_url}/tickettailor", "--key", key,
                "--box-office", target_office["slug"], "--follow", "--interval", "0.3", "--no-progress"]
        with running(args, env, tmp_path) as proc:
            await proc.until_logged("follow: pass 1", TIMEOUT)
            assert await target_conn.fetchval("SELECT count(*) FROM orders WHERE box_office_id = $1",
                                              target_office["id"]) == 6
            late = await place_order(conn, office, vendor["events"][1], "late@mail.test")
            added = await new_event(conn, office)
            on_new = await place_order(conn, office, added, "newest@mail.test")
            await until_imported(target_conn, target_office, "order", f"or_{late}")
            await until_imported(target_conn, target_office, "event", f"ev_{added}")
            await until_imported(target_conn, target_office, "order", f"or_{on_new}")
            await until_imported(target_conn, target_office, "issued_ticket", await ticket_of(conn, on_new))
            assert await interrupt(proc) == 0, proc.output
            assert "stopped; the next import --follow resumes from the checkpoint" in proc.output
        between = await place_order(conn, office, vendor["events"][0], "between@mail.test")
        with running(args, env, tmp_path) as proc:
            await proc.until_logged("follow (resumed from its checkpoint): pass 1", TIMEOUT)
            await until_imported(target_conn, target_office, "order", f"or_{between}")
            assert await interrupt(proc) == 0, proc.output
    counts = "SELECT count(*) FROM orders WHERE box_office_id = $1"
    assert await target_conn.fetchval(counts, target_office["id"]) == await conn.fetchval(counts, office["id"]) == 9
    line = next(line for line in proc.output.splitlines() if line.startswith("follow (resumed"))
    assert "orders +1 new" in line and "lag" in line, proc.output
    sold = await target_conn.fetchval(
        "SELECT tt.sold FROM ticket_types tt JOIN import_map m ON m.core_id = tt.event_id AND m.source_kind = 'event'"
        " WHERE m.box_office_id = $1 AND m.source_id = $2", target_office["id"], f"ev_{added}")
    assert sold == 1  # stock settled after the pass


async def ticket_of(conn: Any, order_id: int) -> str:
    return f"it_{await conn.fetchval('SELECT id FROM issued_tickets WHERE order_id = $1', order_id)}"
