"""Replay in-process: fidelity against the same dialect, translation between dialects, noise rules."""

from __future__ import annotations

import httpx
import pytest

from gateway.migration.normalise import IdLookup, Normaliser, diff
from gateway.migration.record import recording_app
from gateway.migration.redact import Redactor
from gateway.migration.run import id_map, import_box_office, replay_capture
from gateway.migration.translate import NoEquivalent, Translator
from tests.migration.conftest import PREFIX, asgi_transport, target_key

SECRET = "s3"


async def record(app, dialect: str, capture, session) -> None:
    upstream = httpx.AsyncClient(transport=httpx.ASGITransport(app=app))
    proxy = recording_app(f"http://testserver{PREFIX[dialect]}", dialect, capture, Redactor(SECRET), upstream)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=proxy), base_url="http://proxy") as client:
        await session(client)


@pytest.fixture
def migrate_and_replay(app, target_conn, target_office, target_app, tmp_path):
    """Import the vendor's box office (``source`` dialect) into the target installation, then replay
    the capture against it as ``as_dialect``; the summary and the import id map."""

    async def run(capture, source: str, key: str, as_dialect: str) -> tuple[dict, IdLookup]:
        imported = await import_box_office(target_conn, source, f"http://testserver{PREFIX[source]}", key,
                                           target_office["slug"], progress=False, transport=asgi_transport(app))
        assert imported["complete"], imported
        lookup = await id_map(target_conn, target_office["slug"], source)
        summary = await replay_capture(capture, f"http://testserver{PREFIX[as_dialect]}",
                                       await target_key(target_conn, target_office, as_dialect), tmp_path / "r.html",
                                       as_dialect=as_dialect, redact_secret=SECRET, id_lookup=lookup,
                                       transport=asgi_transport(target_app))
        return summary, lookup

    return run


async def test_fidelity_replay_against_the_same_installation_matches(app, vendor, tmp_path):
    key = vendor["keys"]["ticketsmart"]

    async def session(client: httpx.AsyncClient) -> None:
        headers = {"x-api-key": key}
        await client.get("/api/v1/events", params={"limit": 2}, headers=headers)
        await client.get("/api/v1/events", params={"limit": 2, "page": 2}, headers=headers)
        await client.get(f"/api/v1/events/evt_{vendor['events'][0]}/availability", headers=headers)
        await client.get("/api/v1/events/show-0/ticket-types", headers=headers)  # by slug
        await client.get("/api/v1/events/evt_999999999", headers=headers)
        await client.post("/api/v1/events", headers=headers, json={"title": "New"})

    capture = tmp_path / "ts.jsonl"
    await record(app, "ticketsmart", capture, session)
    summary = await replay_capture(capture, "http://testserver/ticketsmart", key, tmp_path / "r.html",
                                   redact_secret=SECRET, transport=asgi_transport(app))
    t = summary["totals"]
    assert (t["requests"], t["replayed"], t["matches"], t["no_equivalent"]) == (6, 5, 5, 1), summary["endpoints"]
    assert summary["endpoints"]["GET /api/v1/events/{id}"]["fields_compared"] == 1  # the 404 bodies, too
    assert summary["endpoints"]["POST /api/v1/events"]["no_equivalent_reasons"] == {
        "write request: not replayed, it would change the target (--replay-writes sends writes to a test-mode "
        "key)": 1}


async def test_equaticket_capture_replayed_as_tickettailor(app, vendor, migrate_and_replay, tmp_path):
    key = vendor["keys"]["equaticket"]

    async def session(client: httpx.AsyncClient) -> None:
        headers = {"Authorization": f"Bearer {key}"}
        first = (await client.get("/api/v1/orders", params={"limit": 4}, headers=headers)).json()
        await client.get("/api/v1/orders", params={"limit": 4, "cursor": first["next_cursor"]}, headers=headers)
        await client.get("/api/v1/events", params={"limit": 1, "cursor": "forged"}, headers=headers)
        await client.get(f"/api/v1/events/evt_{vendor['events'][1]}/attendees", headers=headers)
        await client.get(f"/api/v1/events/evt_{vendor['events'][1]}/ticket-types", headers=headers)

    capture = tmp_path / "eq.jsonl"
    await record(app, "equaticket", capture, session)
    summary, lookup = await migrate_and_replay(capture, "equaticket", key, "tickettailor")
    e = summary["endpoints"]
    assert e["GET /api/v1/orders"]["matches"] == 2, e["GET /api/v1/orders"]
    assert e["GET /api/v1/events"]["no_equivalent_reasons"] == {
        "the recorded page position cannot be placed: its previous page is not in the capture": 1}
    assert e["GET /api/v1/events/{event}/attendees"]["matches"] == 1, e["GET /api/v1/events/{event}/attendees"]
    tt = e["GET /api/v1/events/{event}/ticket-types"]
    assert tt["matches"] == 1 and tt["target_requests"] == ["GET /v1/events/ev_" + str(
        lookup("event", f"evt_{vendor['events'][1]}"))]  # Ticket Tailor embeds ticket types in the event


async def test_ticketsmart_pages_become_equaticket_cursors(app, vendor, migrate_and_replay, tmp_path):
    key = vendor["keys"]["ticketsmart"]

    async def session(client: httpx.AsyncClient) -> None:
        for page in (1, 2, 3):
            await client.get("/api/v1/events", params={"limit": 1, "page": page}, headers={"x-api-key": key})
        await client.get("/api/v1/events", params={"limit": 1, "page": 3, "search": "Show"},
                         headers={"x-api-key": key})

    capture = tmp_path / "ts.jsonl"
    await record(app, "ticketsmart", capture, session)
    summary, _ = await migrate_and_replay(capture, "ticketsmart", key, "equaticket")
    events = summary["endpoints"]["GET /api/v1/events"]
    assert events["matches"] == 3, events
    assert events["no_equivalent_reasons"] == {"Equaticket cannot filter events by search": 1}


def test_rules_normalise_ids_times_and_personal_data():
    redactor = Redactor("k")
    lookup = {("order", "or_7"): 70, ("event", "ev_1"): 10}.get
    source = Normaliser("source", redactor, lambda kind, text: lookup((kind, text)))
    target = Normaliser("target", redactor)
    a = source.body("orders", {"item": {"source_id": "or_7", "event_id": "ev_1", "created_at": "2026-01-01T10:00:00Z",
                                        "buyer_email": redactor.pseudonym("email", "x@y.zz"), "total": 5}})
    b = target.body("orders", {"item": {"source_id": "ord_70", "event_id": "evt_10",
                                        "created_at": "2026-01-01T10:00:00.900Z", "buyer_email": "x@y.zz", "total": 6}})
    compared = [0]
    differences = diff(a, b, compared=compared)
    assert [(d.field, d.source, d.target) for d in differences] == [("item.total", 5, 6)]
    assert compared == [5]


def test_unknown_position_and_unmapped_ids_have_no_equivalent():
    from dialects.equaticket import client as eq
    from dialects.tickettailor import client as tt

    translator = Translator(tt, eq, lambda kind, text: None)
    described = tt.describe("GET", "/v1/orders/or_5", [])
    with pytest.raises(NoEquivalent, match="no known counterpart"):
        translator.request(described)
    translator = Translator(tt, eq)
    with pytest.raises(NoEquivalent, match="cannot be placed"):
        translator.request(tt.describe("GET", "/v1/orders", [("ending_before", "or_5")]))
    request, offset = translator.request(tt.describe("GET", "/v1/orders", [("starting_after", "or_5")]))
    assert (request["anchor"], offset) == ("ord_5", None)  # found by walking the target's list


async def test_polling_after_a_known_order_is_placed_by_walking_the_target(app, vendor, migrate_and_replay, tmp_path):
    key = vendor["keys"]["tickettailor"]
    oldest_but_two = f"or_{vendor['orders'][2]}"

    async def session(client: httpx.AsyncClient) -> None:  # an integration polling for older orders
        page = (await client.get("/v1/orders", params={"limit": 1, "starting_after": oldest_but_two},
                                 auth=(key, ""))).json()
        await client.get("/v1/orders", params={"limit": 1, "starting_after": page["data"][-1]["id"]}, auth=(key, ""))
        await client.get("/v1/orders", params={"limit": 3, "starting_after": "or_999999"}, auth=(key, ""))

    capture = tmp_path / "tt.jsonl"
    await record(app, "tickettailor", capture, session)
    summary, _ = await migrate_and_replay(capture, "tickettailor", key, "equaticket")
    orders = summary["endpoints"]["GET /v1/orders"]
    assert orders["matches"] == 2, orders
    assert orders["no_equivalent_reasons"] == {"order 'or_999999' has no known counterpart in the target (not "
                                               "imported?)": 1}
