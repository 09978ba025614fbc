"""Reset of a box office's test-mode copy: every livemode=false row goes, live data stays."""

from __future__ import annotations

import asyncpg

# Children before parents, so each count is what that table really lost (cascades would
# otherwise hide them). Every statement is bounded by box office and livemode = false.
_STEPS: tuple[tuple[str, str], ...] = (
    (
        "webhook_deliveries",
        "DELETE FROM webhook_deliveries d USING webhook_subscriptions s WHERE d.subscription_id = s.id"
        " AND s.box_office_id = $1 AND NOT s.livemode",
    ),
    ("webhook_events", "DELETE FROM webhook_events WHERE box_office_id = $1 AND NOT livemode"),
    ("webhook_subscriptions", "DELETE FROM webhook_subscriptions WHERE box_office_id = $1 AND NOT livemode"),
    ("tickets", "DELETE FROM issued_tickets WHERE box_office_id = $1 AND NOT livemode"),
    ("orders", "DELETE FROM orders WHERE box_office_id = $1 AND NOT livemode"),
    (
        "ticket_types",
        "DELETE FROM ticket_types t USING events e WHERE t.event_id = e.id AND e.box_office_id = $1 AND NOT e.livemode",
    ),
    ("events", "DELETE FROM events WHERE box_office_id = $1 AND NOT livemode"),
    ("idempotency_keys", "DELETE FROM idempotency_keys WHERE box_office_id = $1 AND NOT livemode"),
)
# gone too, not counted (the counts are a dialect's documented answer): the test-mode series,
# emptied by their events' deletion; check-ins go with their tickets (ON DELETE CASCADE)
_ALSO = ("DELETE FROM event_series WHERE box_office_id = $1 AND NOT livemode",)


async def reset_test_data(conn: asyncpg.Connection, box_office_id: int) -> dict[str, int]:
    """Delete the box office's test-mode data in one transaction; return rows deleted per kind."""
    counts: dict[str, int] = {}
    async with conn.transaction():
        for kind, sql in _STEPS:
            result = await conn.execute(sql, box_office_id)
            counts[kind] = int(result.split()[-1])
        for sql in _ALSO:
            await conn.execute(sql, box_office_id)
    return counts
