"""The operator's checkout under a series' sale window and cap: the refusal's status, code and message."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from tests.gateway.test_admin import _office, admin  # noqa: F401  (the fixture)
from tests.gateway.test_cli import run  # noqa: F401  (the fixture)


async def _occurrence(admin, conn, slug: str, **rules: object) -> tuple[str, str]:  # noqa: F811
    """A published series of one occurrence with one ticket type, under ``rules``; the occurrence's
    event and ticket type, as the operator names them."""
    made = await admin.post(f"/box-offices/{slug}/series", json={"name": "Quiz", **rules})
    assert made.status_code == 201, made.text
    base = f"/box-offices/{slug}/series/{made.json()['data']['id']}"
    typed = await admin.post(f"{base}/ticket-types", json={"name": "Team", "price": 0, "quantity": 50})
    assert typed.status_code == 201, typed.text
    added = await admin.post(f"{base}/occurrences", json={"starts_at": "2031-05-04T19:00:00Z"})
    assert added.status_code == 201, added.text
    assert (await admin.post(f"{base}/publish", json={})).status_code == 201
    event = added.json()["data"]["id"]
    return f"ev_{event}", f"tt_{await conn.fetchval('SELECT id FROM ticket_types WHERE event_id = $1', event)}"


async def test_the_operator_checkout_refuses_outside_the_series_sale_window(admin, conn, clock):  # noqa: F811
    slug = await _office(admin)
    opens = (clock.now() + timedelta(days=3)).isoformat()
    event, type_id = await _occurrence(admin, conn, slug, tickets_available_at=opens,
                                       tickets_available_at_message="On sale Friday at noon")
    order = {"event": event, "tickets": [type_id], "email": "a@example.com"}
    refused = await admin.post(f"/box-offices/{slug}/orders", json=order)
    assert refused.status_code == 422, refused.text
    assert refused.json() == {"error": {"code": "sale_window_closed", "message": "On sale Friday at noon"}}
    clock.advance(days=4)
    assert (await admin.post(f"/box-offices/{slug}/orders", json=order)).status_code == 201


async def test_the_operator_checkout_refuses_past_the_cap_per_occurrence(admin, conn):  # noqa: F811
    slug = await _office(admin)
    event, type_id = await _occurrence(admin, conn, slug, max_tickets_sold_per_occurrence=2)
    placed = await admin.post(f"/box-offices/{slug}/orders", json={"event": event, "tickets": [f"{type_id}:2"],
                                                                   "email": "a@example.com"})
    assert placed.status_code == 201, placed.text
    refused = await admin.post(f"/box-offices/{slug}/orders", json={"event": event, "tickets": [type_id],
                                                                    "email": "b@example.com"})
    assert refused.status_code == 422
    assert refused.json()["error"] == {"code": "sold_out", "message": "This event is sold out"}


async def test_the_cli_sets_the_series_rules_and_its_checkout_keeps_them(run, conn):  # noqa: F811
    slug = f"cli-{uuid.uuid4().hex[:8]}"
    assert run("boxoffice", "create", "--name", "Closed Office", "--slug", slug).returncode == 0
    made = run("--json", "series", "create", "--box-office", slug, "--name", "Last Night",
               "--max-tickets-sold-per-occurrence", "3", "--tickets-unavailable-at", "2020-01-01T00:00:00Z",
               "--tickets-unavailable-at-message", "Sold at the door only")
    assert made.returncode == 0, made.stderr
    series = json.loads(made.stdout)
    assert (series["max_tickets_sold_per_occurrence"], series["tickets_unavailable_at"]) == (
        3, "2020-01-01T00:00:00+00:00")
    for step in (("add-ticket-type", "--name", "Seat", "--quantity", "10"),
                 ("add-occurrence", "--starts-at", "2031-06-01T20:00:00Z"), ("publish",)):
        done = run("--json", "series", step[0], "--box-office", slug, series["id"], *step[1:])
        assert done.returncode == 0, done.stderr
    event, type_id = await conn.fetchrow("SELECT e.id, t.id FROM events e JOIN ticket_types t ON t.event_id = e.id"
                                         " WHERE e.series_id = $1", int(series["id"][3:]))
    refused = run("orders", "create", "--box-office", slug, "--event", f"ev_{event}", "--ticket-type",
                  f"tt_{type_id}", "--email", "late@example.com")
    assert refused.returncode != 0 and refused.stderr.strip().endswith("Sold at the door only"), refused.stderr
    assert await conn.fetchval("SELECT count(*) FROM orders WHERE event_id = $1", event) == 0
