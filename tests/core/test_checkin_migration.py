"""Schema migration 10: existing check-ins gain their box office, event, quantity and time; Ticket
Tailor keys gain the write scope."""

from __future__ import annotations

from datetime import UTC, datetime

from core.db import SCHEMA_FILE, migrate, parse_migrations
from tests.core.test_series_migration import _event, _office, fresh  # noqa: F401  (the fixture)

SCANNED = datetime(2031, 9, 1, 18, 45, tzinfo=UTC)


async def test_existing_check_ins_and_keys_are_carried_over(fresh, tmp_path):  # noqa: F811
    text = SCHEMA_FILE.read_text()
    previous = tmp_path / "v7.sql"
    previous.write_text(text[: text.index("-- migration: 10")])
    assert await migrate(fresh, previous) == 9
    office = await _office(fresh, "old")
    event = await _event(fresh, office, "Gig")
    order = await fresh.fetchval("INSERT INTO orders (box_office_id, livemode, event_id, buyer_email, currency,"
                                 " subtotal, total) VALUES ($1, true, $2, 'a@example.com', 'GBP', 0, 0) RETURNING id",
                                 office, event["id"])
    ticket = await fresh.fetchval("INSERT INTO issued_tickets (box_office_id, livemode, order_id, event_id, barcode)"
                                  " VALUES ($1, true, $2, $3, 'B1') RETURNING id", office, order, event["id"])
    await fresh.execute("INSERT INTO check_ins (ticket_id, nonce, created_at) VALUES ($1, 'n', $2)", ticket, SCANNED)
    for dialect, scopes in (("tickettailor", ["read"]), ("equaticket", ["events:read"])):
        await fresh.execute("INSERT INTO api_keys (box_office_id, dialect, livemode, scopes, display_prefix,"
                            " secret_hash) VALUES ($1, $2, true, $3, 'x', $4)", office, dialect, scopes,
                            dialect.encode())

    assert await migrate(fresh) == len(parse_migrations(text))
    row = await fresh.fetchrow("SELECT * FROM check_ins")
    assert (row["box_office_id"], row["livemode"], row["event_id"], row["quantity"], row["check_in_at"]) == (
        office, True, event["id"], 1, SCANNED)
    scopes = dict(await fresh.fetch("SELECT dialect, scopes FROM api_keys"))
    assert scopes == {"tickettailor": ["read", "write"], "equaticket": ["events:read"]}
    # a check-in written as before the migration (no box office named) is completed by the trigger
    await fresh.execute("INSERT INTO check_ins (ticket_id, nonce) VALUES ($1, 'm')", ticket)
    assert await fresh.fetchval("SELECT count(*) FROM check_ins WHERE box_office_id = $1 AND event_id = $2"
                                " AND check_in_at = created_at", office, event["id"]) == 2
