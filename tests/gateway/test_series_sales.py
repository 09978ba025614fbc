"""The operator's checkout under a series' sale window and cap: the refusal's status, code and message."""

from __future__ import annotations

from datetime import timedelta

from tests.gateway.test_admin import _office, admin  # noqa: F401  (the fixture)


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
