"""Import from each dialect's API (served in-process) into another box office: idempotent, resumable."""

from __future__ import annotations

import pytest

from core import series as core_series
from core.checkins import Scan
from core.models import Scope, parse
from core.series import OccurrenceCreate, SeriesCreate
from gateway.migration.clients import client_module
from gateway.migration.importer import Importer
from tests.migration.conftest import PREFIX, START, asgi_http


def importer(conn, app, vendor, dialect: str) -> Importer:
    module = client_module(dialect)
    base = f"http://testserver{PREFIX[dialect]}"
    client = module.Client(base, vendor["keys"][dialect], asgi_http(app, dialect))
    return Importer(conn, module, client, base, progress=False)


async def counts(conn, office_id: int) -> dict:
    row = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM events WHERE box_office_id = $1) AS events,"
        " (SELECT count(*) FROM ticket_types tt JOIN events e ON e.id = tt.event_id WHERE e.box_office_id = $1)"
        " AS ticket_types, (SELECT count(*) FROM orders WHERE box_office_id = $1) AS orders,"
        " (SELECT count(*) FROM issued_tickets WHERE box_office_id = $1) AS tickets,"
        " (SELECT coalesce(sum(sold), 0) FROM ticket_types tt JOIN events e ON e.id = tt.event_id"
        "  WHERE e.box_office_id = $1) AS sold,"
        " (SELECT coalesce(sum(quantity), 0) FROM ticket_types tt JOIN events e ON e.id = tt.event_id"
        "  WHERE e.box_office_id = $1) AS quantity", office_id)
    return dict(row)


@pytest.mark.parametrize("dialect", ["tickettailor", "equaticket"])
async def test_import_copies_events_orders_and_tickets(conn, app, vendor, target_conn, target_office, dialect):
    target = target_office
    summary = await importer(target_conn, app, vendor, dialect).run(target["slug"])
    assert summary["complete"] and not summary["problems"], summary
    got, want = await counts(target_conn, target["id"]), await counts(conn, vendor["office"]["id"])
    assert got == want
    again = await importer(target_conn, app, vendor, dialect).run(target["slug"])
    assert again["created"] == 0 and again["updated"] == summary["created"]
    assert await counts(target_conn, target["id"]) == want  # updated, not duplicated


async def test_import_from_ticketsmart_takes_vendor_stock(conn, app, vendor, target_conn, target_office):
    target = target_office
    summary = await importer(target_conn, app, vendor, "ticketsmart").run(target["slug"])
    assert summary["complete"] and list(summary["resources"]) == ["events"]
    got, want = await counts(target_conn, target["id"]), await counts(conn, vendor["office"]["id"])
    assert (got["events"], got["ticket_types"], got["sold"], got["quantity"], got["orders"]) == (
        want["events"], want["ticket_types"], want["sold"], want["quantity"], 0)


async def test_interrupted_import_resumes_from_checkpoint(conn, app, vendor, target_conn, target_office):
    target = target_office
    first = await importer(target_conn, app, vendor, "equaticket").run(target["slug"], max_pages=1)
    assert not first["complete"] and first["resources"]["events"]["done"]
    second = await importer(target_conn, app, vendor, "equaticket").run(target["slug"])
    assert second["resumed"] and second["complete"]
    assert second["resources"]["events"]["pages"] == 1  # not fetched again
    assert await counts(target_conn, target["id"]) == await counts(conn, vendor["office"]["id"])


async def test_progress_bars_show_pages_and_objects(conn, app, vendor, target_conn, target_office, capsys):
    imp = importer(target_conn, app, vendor, "tickettailor")
    imp.progress.enabled = True
    await imp.run(target_office["slug"])
    err = capsys.readouterr().err
    assert "events" in err and "orders" in err and "tickets" in err
    assert "18 objects" in err and "pages=1" in err


async def test_unknown_box_office_is_refused_before_any_request(target_conn, app, vendor):
    from gateway.migration.importer import ImportFailed

    with pytest.raises(ImportFailed, match="no box office"):
        await importer(target_conn, app, vendor, "equaticket").run("no-such-office")


async def test_a_second_concurrent_import_is_refused(target_gateway, app, vendor, target_office):
    from gateway.migration.importer import ImportFailed

    async with target_gateway.pool.acquire() as first, target_gateway.pool.acquire() as second:
        await first.execute("SELECT pg_advisory_lock(hashtext('ticketgate.import'), $1::int)", target_office["id"])
        try:
            with pytest.raises(ImportFailed, match="is running"):
                await importer(second, app, vendor, "equaticket").run(target_office["slug"])
        finally:
            await first.execute("SELECT pg_advisory_unlock(hashtext('ticketgate.import'), $1::int)",
                                target_office["id"])


async def test_tickettailor_import_brings_series_and_check_ins(conn, app, vendor, target_conn, target_office,
                                                               checkout):
    """A series of two occurrences (its events join it, not series of their own) and check-ins of
    every kind (in, out) come across, resumably: an import cut short after its first page goes on."""
    scope = Scope(vendor["office"]["id"], True)
    made = await core_series.create_series(conn, scope, parse(SeriesCreate, {
        "name": "Imported Weekly", "ticket_types": [{"name": "Door", "price": 300, "quantity": 9}]}))
    for day in (10, 17):
        await core_series.add_occurrence(conn, scope, made["id"],
                                         parse(OccurrenceCreate, {"starts_at": START.replace(day=day)}))
    tickets = await conn.fetch("SELECT id FROM issued_tickets WHERE box_office_id = $1 ORDER BY id LIMIT 2",
                               scope.box_office_id)
    await checkout.scan(conn, scope, Scan(tickets[0]["id"], "a", 2))
    await checkout.scan(conn, scope, Scan(tickets[0]["id"], "b", -1))
    await checkout.scan(conn, scope, Scan(tickets[1]["id"], "c", 1))

    first = await importer(target_conn, app, vendor, "tickettailor").run(target_office["slug"], max_pages=1)
    assert not first["complete"] and first["resources"]["series"]["done"]
    summary = await importer(target_conn, app, vendor, "tickettailor").run(target_office["slug"])
    assert summary["complete"] and summary["resumed"] and not summary["problems"], summary
    target = target_office["id"]
    copied = await target_conn.fetchrow("SELECT * FROM event_series WHERE box_office_id = $1 AND name = $2",
                                        target, "Imported Weekly")
    assert await target_conn.fetchval("SELECT count(*) FROM events WHERE series_id = $1", copied["id"]) == 2
    assert [tuple(r) for r in await target_conn.fetch(
        "SELECT name, price, quantity FROM series_ticket_types WHERE series_id = $1", copied["id"])] == [
        ("Door", 300, 9)]
    # every event is in a series of its own box office; as many series as the vendor has
    assert await target_conn.fetchval("SELECT count(*) FROM event_series WHERE box_office_id = $1", target) == \
        await conn.fetchval("SELECT count(*) FROM event_series WHERE box_office_id = $1", scope.box_office_id)
    quantities = await target_conn.fetch("SELECT quantity FROM check_ins WHERE box_office_id = $1 ORDER BY quantity",
                                         target)
    assert [r["quantity"] for r in quantities] == [-1, 1, 2]
    again = await importer(target_conn, app, vendor, "tickettailor").run(target_office["slug"])
    assert again["created"] == 0, again
    assert await target_conn.fetchval("SELECT count(*) FROM check_ins WHERE box_office_id = $1", target) == 3
