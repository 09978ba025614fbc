"""Writes replayed in test mode, through the real `ticketgate replay` process on loopback.

An Equaticket integration creates an event with ticket types, renames, publishes and reads it,
and retries its create with the same Idempotency-Key, against vendor A (live). The capture is
replayed with ``--replay-writes`` against another ticketgate with a *test* key: the capture's
new ids become the target's in every later request, the retry is answered from the target's
idempotency record, every answer matches, and the target's live data is untouched.
"""

from __future__ import annotations

import json

import httpx

from gateway.migration.record import recording_app
from gateway.migration.redact import Redactor
from gateway.migration.run import replay_capture
from tests.migration.conftest import PREFIX, asgi_transport, target_key
from tests.migration.test_end_to_end import SECRET, serving, ticketgate

EVENT = {"title": "Spring Workshop", "timezone": "Europe/London", "starts_at": "2031-09-15T18:00:00Z",
         "currency": "gbp", "ticket_types": [{"name": "General Admission", "price": 2500, "currency": "gbp",
                                              "quantity_total": 100}]}


async def equaticket_session(client: httpx.AsyncClient, key: str) -> str:
    """The integration's writes and reads; the id vendor A gave the new event."""
    auth = {"Authorization": f"Bearer {key}"}
    created = await client.post("/api/v1/events", json=EVENT, headers={**auth, "Idempotency-Key": "create-1"})
    assert created.status_code in (200, 201), created.text
    event = created.json()["id"]
    assert (await client.patch(f"/api/v1/events/{event}", json={"title": "Spring Workshop II"},
                               headers=auth)).status_code == 200
    assert (await client.post(f"/api/v1/events/{event}/publish", headers=auth)).status_code == 200
    assert (await client.get(f"/api/v1/events/{event}", headers=auth)).status_code == 200
    again = await client.post("/api/v1/events", json=EVENT, headers={**auth, "Idempotency-Key": "create-1"})
    assert again.json()["id"] == event  # the vendor's idempotent replay
    return str(event)


async def record_session(app, key: str, capture) -> str:
    upstream = httpx.AsyncClient(transport=httpx.ASGITransport(app=app))
    proxy = recording_app(f"http://testserver{PREFIX['equaticket']}", "equaticket", capture, Redactor(SECRET), upstream)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=proxy), base_url="http://proxy") as client:
        return await equaticket_session(client, key)


async def test_writes_replayed_in_test_mode_with_ids_mapped(app, vendor, target_gateway, target_app, target_conn,
                                                            target_office, tmp_path):
    capture, report = tmp_path / "writes.jsonl", tmp_path / "writes.html"
    recorded_id = await record_session(app, vendor["keys"]["equaticket"], capture)
    # the target's next event id is not the capture's, so a replay that kept the capture's ids would fail
    await target_conn.execute("SELECT setval(pg_get_serial_sequence('events', 'id'), $1)",
                              int(recorded_id.removeprefix("evt_")) + 1000)
    test_key = await target_key(target_conn, target_office, "equaticket", mode="test")
    async with serving(target_app) as target_url:
        code, out, err = await ticketgate("--json", "replay", str(capture), "--target", f"{target_url}/equaticket",
                                          "--key", test_key, "--report", str(report), "--replay-writes",
                                          "--redact-secret", SECRET, "--fail-on-difference",
                                          dsn=target_gateway.settings.database_url, cwd=tmp_path)
    summary = json.loads(report.with_suffix(".json").read_text())
    assert code == 0, (err, summary["endpoints"])
    assert summary["totals"] == {"requests": 5, "replayed": 5, "matches": 5, "with_differences": 0,
                                 "no_equivalent": 0, "status_mismatches": 0, "target_failures": 0}
    created = summary["endpoints"]["POST /api/v1/events"]
    assert created["fields_compared"] > 20 and created["requests"] == 2
    rows = await target_conn.fetch("SELECT id, title, status, livemode FROM events WHERE box_office_id = $1",
                                   target_office["id"])
    assert [(r["title"], r["status"], r["livemode"]) for r in rows] == [("Spring Workshop II", "published", False)]
    replayed_id = f"evt_{rows[0]['id']}"
    assert replayed_id != recorded_id
    endpoints = summary["endpoints"]
    assert endpoints["PATCH /api/v1/events/{id}"]["target_requests"] == [f"PATCH /api/v1/events/{replayed_id}"]
    assert endpoints["GET /api/v1/events/{id}"]["target_requests"] == [f"GET /api/v1/events/{replayed_id}"]
    assert endpoints["GET /api/v1/events/{id}"]["matches"] == 1  # read through the ids the replay created


async def test_writes_are_refused_with_a_live_key_and_translated_across_dialects(app, vendor, target_conn,
                                                                                 target_office, target_app, tmp_path):
    capture = tmp_path / "writes.jsonl"
    await record_session(app, vendor["keys"]["equaticket"], capture)
    live_key = await target_key(target_conn, target_office, "equaticket")
    code, _out, err = await ticketgate("replay", str(capture), "--target", "http://127.0.0.1:9/equaticket",
                                       "--key", live_key, "--report", str(tmp_path / "r.html"), "--replay-writes",
                                       cwd=tmp_path)
    assert code == 2 and "test-mode key (sk_test_...)" in err and live_key not in err
    ts_test = await target_key(target_conn, target_office, "ticketsmart", mode="test")
    summary = await replay_capture(capture, "http://testserver/ticketsmart", ts_test, tmp_path / "r.html",
                                   as_dialect="ticketsmart", writes=True, transport=asgi_transport(target_app))
    created = summary["endpoints"]["POST /api/v1/events"]
    assert created["matches"] == 1 and created["no_equivalent_reasons"] == {  # the retry is not sent again
        "a retry of an earlier request with the same Idempotency-Key: TicketSmart takes no idempotency keys, so "
        "sending it again would create a duplicate": 1}
    assert list(summary["endpoints"]["POST /api/v1/events/{id}/(publish|cancel)"]["no_equivalent_reasons"]) == [
        "Equaticket publish: TicketSmart has no publish endpoint (v1 exposes no status changes; an event's status "
        "is set in the TicketSmart dashboard)"]
