"""Writes translated across dialects, through the real `ticketgate replay` process on loopback.

A TicketSmart integration creates an event with two ticket types, renames it while adding a
third, removes one, and reads it; the capture is replayed *as Equaticket* with a test key: one
PATCH becomes several Equaticket requests, the capture's ids become the target's in every later
request, every answer matches, and a second run creates nothing (derived Idempotency-Keys).
The reverse direction replays an Equaticket capture as TicketSmart; what TicketSmart cannot
express (publish, a retry that would duplicate) is listed with the reason.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx

from gateway.migration.record import recording_app
from gateway.migration.redact import Redactor
from tests.migration.conftest import PREFIX, target_key
from tests.migration.test_end_to_end import SECRET, serving, ticketgate

TS_EVENT = {"title": "Comedy Night", "startsAt": "2031-09-01T19:00:00Z", "timezone": "America/New_York",
            "venueName": "Main Room", "city": "New York", "country": "US", "currency": "USD", "category": "COMEDY",
            "ticketTypes": [{"name": "General Admission", "price": 2500, "quantity": 120},
                            {"name": "Balcony", "price": 1500, "quantity": 40, "sortOrder": 1}]}
EQ_EVENT = {"title": "Spring Workshop", "timezone": "Europe/London", "starts_at": "2031-09-15T18:00:00Z",
            "currency": "gbp", "venue_name": "Hall", "ticket_types": [
                {"name": "General Admission", "price": 2500, "currency": "gbp", "quantity_total": 100},
                {"name": "Early Bird", "price": 1800, "quantity_total": 20, "sort_order": 1}]}


async def ticketsmart_session(client: httpx.AsyncClient, key: str) -> str:
    auth = {"x-api-key": key}
    created = await client.post("/api/v1/events", json=TS_EVENT, headers=auth)
    assert created.status_code == 201, created.text
    event = created.json()["event"]
    balcony = event["ticketTypes"][1]["id"]
    patched = await client.patch(f"/api/v1/events/{event['id']}", headers=auth, json={
        "title": "Comedy Night II", "addTicketType": {"name": "VIP", "price": 4500, "quantity": 20, "sortOrder": 2}})
    assert patched.status_code == 200, patched.text
    removed = await client.patch(f"/api/v1/events/{event['id']}", json={"removeTicketTypeId": balcony}, headers=auth)
    assert removed.status_code == 200, removed.text
    assert (await client.get(f"/api/v1/events/{event['id']}", headers=auth)).status_code == 200
    assert (await client.get(f"/api/v1/events/{event['id']}/ticket-types", headers=auth)).status_code == 200
    assert (await client.get(f"/api/v1/events/{event['slug']}", headers=auth)).status_code == 200  # by slug
    return f"{event['id']} {balcony}"


async def equaticket_session(client: httpx.AsyncClient, key: str) -> str:
    auth = {"Authorization": f"Bearer {key}"}
    created = await client.post("/api/v1/events", json=EQ_EVENT, headers={**auth, "Idempotency-Key": "create-1"})
    assert created.status_code == 201, created.text
    event = created.json()
    base = f"/api/v1/events/{event['id']}"
    assert (await client.patch(base, json={"title": "Spring Workshop II"}, headers=auth)).status_code == 200
    added = await client.post(f"{base}/ticket-types", json={"name": "VIP", "price": 5000, "quantity_total": 10,
                                                            "sort_order": 2}, headers=auth)
    assert added.status_code == 201, added.text
    early = event["ticket_types"][1]["id"]
    assert (await client.delete(f"{base}/ticket-types/{early}", headers=auth)).status_code == 200
    assert (await client.get(base, headers=auth)).status_code == 200
    again = await client.post("/api/v1/events", json=EQ_EVENT, headers={**auth, "Idempotency-Key": "create-1"})
    assert again.json()["id"] == event["id"]  # the vendor's idempotent replay
    assert (await client.post(f"{base}/publish", headers=auth)).status_code == 200
    return str(event["id"])


async def record(app: Any, dialect: str, session: Any, key: str, capture: Path) -> str:
    upstream = httpx.AsyncClient(transport=httpx.ASGITransport(app=app))
    proxy = recording_app(f"http://testserver{PREFIX[dialect]}", dialect, capture, Redactor(SECRET), upstream)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=proxy), base_url="http://proxy") as client:
        recorded: str = await session(client, key)
        return recorded


async def replay(capture: Path, target_url: str, dialect: str, key: str, report: Path, dsn: str,
                 cwd: Path) -> tuple[int, str, dict]:
    code, _out, err = await ticketgate("--json", "replay", str(capture), "--target", f"{target_url}/{dialect}",
                                       "--as", dialect, "--key", key, "--report", str(report), "--replay-writes",
                                       "--redact-secret", SECRET, dsn=dsn, cwd=cwd)
    written = report.with_suffix(".json")
    assert written.exists(), err
    return code, err, json.loads(written.read_text())


async def office_events(conn: Any, office: Any) -> list[tuple]:
    rows = await conn.fetch(
        "SELECT e.id, e.title, e.livemode, array_agg(tt.name ORDER BY tt.sort_order) AS types FROM events e"
        " LEFT JOIN ticket_types tt ON tt.event_id = e.id WHERE e.box_office_id = $1 GROUP BY e.id ORDER BY e.id",
        office["id"])
    return [(r["id"], r["title"], r["livemode"], r["types"]) for r in rows]


async def test_a_ticketsmart_capture_replayed_as_equaticket(app, vendor, target_gateway, target_app, target_conn,
                                                            target_office, tmp_path):
    capture = tmp_path / "ts.jsonl"
    recorded, balcony = (await record(app, "ticketsmart", ticketsmart_session, vendor["keys"]["ticketsmart"],
                                      capture)).split()
    # the target's next ids are not the capture's, so a replay that kept the capture's ids would fail
    for table in ("events", "ticket_types"):
        await target_conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT coalesce(max(id), 0) FROM {table}) + 1000)")
    test_key = await target_key(target_conn, target_office, "equaticket", mode="test")
    dsn = target_gateway.settings.database_url
    async with serving(target_app) as target_url:
        code, err, summary = await replay(capture, target_url, "equaticket", test_key, tmp_path / "1.html", dsn,
                                          tmp_path)
        rows = await office_events(target_conn, target_office)
        again, _err, second = await replay(capture, target_url, "equaticket", test_key, tmp_path / "2.html", dsn,
                                           tmp_path)
    endpoints = summary["endpoints"]
    assert code == 0, (err, endpoints)
    assert summary["totals"] == {"requests": 6, "replayed": 6, "matches": 6, "with_differences": 0,
                                 "no_equivalent": 0, "status_mismatches": 0, "target_failures": 0}, endpoints
    [(event_id, title, livemode, types)] = rows
    assert (title, livemode, types) == ("Comedy Night II", False, ["General Admission", "VIP"])
    replayed = f"evt_{event_id}"
    assert replayed != recorded
    patch = endpoints["PATCH /api/v1/events/{id}"]
    then = f"then GET /api/v1/events/{replayed} (the answer compared)"
    added, removal = sorted(patch["target_requests"], reverse=True)  # one PATCH became 2 requests, one 1
    assert added == f"PATCH /api/v1/events/{replayed}; POST /api/v1/events/{replayed}/ticket-types; {then}"
    assert re.fullmatch(rf"DELETE /api/v1/events/{replayed}/ticket-types/tkt_\d+; {re.escape(then)}", removal)
    assert removal.split("/")[6].split(";")[0] != balcony  # the capture's id, mapped
    assert patch["fields_compared"] > 40 and endpoints["POST /api/v1/events"]["fields_compared"] > 30
    # by id and by the capture's slug: both name the event the replay created
    assert endpoints["GET /api/v1/events/{id}"]["target_requests"] == [f"GET /api/v1/events/{replayed}"]
    assert endpoints["GET /api/v1/events/{id}/ticket-types"]["matches"] == 1
    # the second run: the create and the addition are answered from the target's idempotency records
    assert await office_events(target_conn, target_office) == rows
    assert second["endpoints"]["POST /api/v1/events"]["matches"] == 1, (again, second["endpoints"])


async def test_an_equaticket_capture_replayed_as_ticketsmart(app, vendor, target_gateway, target_app, target_conn,
                                                             target_office, tmp_path):
    capture = tmp_path / "eq.jsonl"
    await record(app, "equaticket", equaticket_session, vendor["keys"]["equaticket"], capture)
    test_key = await target_key(target_conn, target_office, "ticketsmart", mode="test")
    async with serving(target_app) as target_url:
        code, err, summary = await replay(capture, target_url, "ticketsmart", test_key, tmp_path / "r.html",
                                          target_gateway.settings.database_url, tmp_path)
    endpoints = summary["endpoints"]
    assert code == 0, (err, endpoints)
    assert summary["totals"] == {"requests": 7, "replayed": 5, "matches": 5, "with_differences": 0,
                                 "no_equivalent": 2, "status_mismatches": 0, "target_failures": 0}, endpoints
    assert endpoints["POST /api/v1/events/{id}/(publish|cancel)"]["no_equivalent_reasons"] == {
        "Equaticket publish: TicketSmart has no publish endpoint (v1 exposes no status changes; an event's "
        "status is set in the TicketSmart dashboard)": 1}
    assert endpoints["POST /api/v1/events"]["no_equivalent_reasons"] == {
        "a retry of an earlier request with the same Idempotency-Key: TicketSmart takes no idempotency keys, so "
        "sending it again would create a duplicate": 1}
    [(event_id, title, livemode, types)] = await office_events(target_conn, target_office)
    assert (title, livemode, types) == ("Spring Workshop II", False, ["General Admission", "VIP"])
    replayed = f"evt_{event_id}"
    assert endpoints["POST /api/v1/events/{id}/ticket-types"]["target_requests"] == [f"PATCH /api/v1/events/{replayed}"]
    assert endpoints["DELETE /api/v1/events/{id}/ticket-types/{ticket_type_id}"]["fields_compared"] == 2
    assert endpoints["GET /api/v1/events/{id}"]["matches"] == 1
