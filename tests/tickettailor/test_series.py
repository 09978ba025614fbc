"""Event series on the wire: the objects field by field, every list walked across pages, 404s."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from core import series as core_series
from core.events import publish_event
from core.models import Scope, parse
from core.series import OccurrenceCreate, SeriesCreate
from dialects.tickettailor.dates import date_object
from tests import factories
from tests.factories import order_input
from tests.tickettailor.conftest import BASE, basic, unix

PUBLIC = "http://localhost:8000"
FIRST = datetime(2031, 3, 4, 19, tzinfo=UTC)


@dataclass
class Weekly:
    scope: Scope
    auth: dict[str, str]
    series: asyncpg.Record
    occurrences: list[asyncpg.Record]
    others: list[int]  # the box office's other series, oldest first
    office: asyncpg.Record


async def make_series(conn, scope: Scope, name: str, weeks: int, **fields) -> tuple[asyncpg.Record, list]:
    made = await core_series.create_series(conn, scope, parse(SeriesCreate, {
        "name": name, "timezone": "Europe/London", "currency": "GBP", "venue_name": "The Crown",
        "postal_code": "E8 1DY", "ticket_types": [{"name": "Seat", "price": 700, "quantity": 30}], **fields}))
    occurrences = []
    for week in range(weeks):
        starts = FIRST + timedelta(weeks=week)
        occurrences.append(await core_series.add_occurrence(conn, scope, made["id"], parse(OccurrenceCreate, {
            "starts_at": starts, "ends_at": starts + timedelta(hours=2)})))
    await core_series.publish_series(conn, scope, made["id"])
    return made, occurrences


@pytest.fixture
async def weekly(conn, box_office, make_key) -> Weekly:
    scope = Scope(box_office["id"], True)
    others = [(await make_series(conn, scope, f"Other {n}", 1))[0]["id"] for n in range(3)]
    made, occurrences = await make_series(conn, scope, "Quiz Night", 5)
    return Weekly(scope, basic(await make_key(box_office, "tickettailor")), made, occurrences, others, box_office)


async def walk(tt, url: str, auth: dict[str, str]) -> tuple[list[str], list[dict]]:
    """Every page from ``url`` on by links.next: the ids in order and the pages."""
    seen, pages = [], []
    while url:
        response = await tt.get(url, headers=auth)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body)
        seen += [item["id"] for item in body["data"]]
        url = BASE + body["links"]["next"] if body["links"]["next"] else None
    return seen, pages


async def test_the_series_object_field_by_field(tt, weekly, conn, checkout, clock):
    s = weekly.series
    default = await conn.fetchrow("SELECT * FROM series_ticket_types WHERE series_id = $1", s["id"])
    first_type = await conn.fetchval("SELECT id FROM ticket_types WHERE event_id = $1", weekly.occurrences[0]["id"])
    order = await checkout.place(conn, weekly.scope, parse_order(weekly.occurrences[0]["id"], first_type))
    response = await tt.get(f"{BASE}/event_series/es_{s['id']}", headers=weekly.auth)
    assert response.status_code == 200
    next_start = min(o["starts_at"] for o in weekly.occurrences if o["starts_at"] > clock.now())
    assert response.json() == {
        "id": f"es_{s['id']}", "object": "event_series", "name": "Quiz Night", "description": None,
        "status": "published", "currency": "gbp", "timezone": "Europe/London",
        "url": f"{PUBLIC}/events/{weekly.office['slug']}/es_{s['id']}", "call_to_action": "Buy tickets",
        "private": "false", "online_event": "false", "images": {"header": None, "thumbnail": None},
        "venue": {"name": "The Crown", "postal_code": "E8 1DY"},
        "default_ticket_types": [{
            "object": "ticket_type", "id": f"tt_{default['id']}", "access_code": None, "booking_fee": 0,
            "description": None, "group_id": None, "max_per_order": 100, "min_per_order": 1, "name": "Seat",
            "price": 700, "status": "on_sale", "sort_order": 0, "type": "paid", "quantity": 30}],
        "default_ticket_groups": [], "next_occurrence_date": date_object(next_start, "Europe/London"),
        "total_occurrences": 5, "upcoming_occurrences": 5, "total_issued_tickets": 2, "revenue": order["total"],
        "payment_methods": [{"external_id": None, "id": f"pm_{weekly.office['id']}", "instructions": None,
                             "name": None, "type": "stripe"}],
        "voucher_ids": [], "bundles": [], "add_ons": [], "created_at": unix(s["created_at"]),  # none made
    }


def parse_order(event_id: int, type_id: int):
    return order_input(event_id, type_id, 2)


async def test_every_series_across_pages_and_back(tt, weekly):
    seen, pages = await walk(tt, f"{BASE}/event_series?limit=2", weekly.auth)
    expected = [f"es_{n}" for n in (weekly.series["id"], *reversed(weekly.others))]  # newest first
    assert seen == expected and len(pages) == 2
    assert pages[-1]["links"]["next"] is None and pages[0]["links"]["previous"] is None
    back = await tt.get(BASE + pages[-1]["links"]["previous"], headers=weekly.auth)
    assert [s["id"] for s in back.json()["data"]] == expected[:2]


async def test_every_occurrence_across_pages(tt, weekly):
    url = f"{BASE}/event_series/es_{weekly.series['id']}/events?limit=2"
    seen, pages = await walk(tt, url, weekly.auth)
    assert sorted(seen) == sorted(f"ev_{o['id']}" for o in weekly.occurrences) and len(set(seen)) == 5
    assert len(pages) == 3 and pages[-1]["links"]["next"] is None
    first = pages[0]["data"][0]
    assert first["event_series_id"] == f"es_{weekly.series['id']}"
    assert (first["hidden"], first["unavailable"], first["revenue"], first["bundles"], first["chk"]) == (
        "false", "false", 0, [], 0)
    assert [t["name"] for t in first["ticket_types"]] == ["Seat"]


async def test_a_series_of_another_box_office_is_not_found(tt, weekly, make_box_office, make_key, conn):
    stranger = basic(await make_key(await make_box_office(), "tickettailor"))
    occurrence = weekly.occurrences[0]["id"]
    for path in (f"/event_series/es_{weekly.series['id']}", f"/event_series/es_{weekly.series['id']}/events",
                 f"/event_series/es_{weekly.series['id']}/events?starting_after=ev_{occurrence}",
                 "/event_series/es_0", "/event_series/nope/events"):
        response = await tt.get(BASE + path, headers=stranger)
        assert response.status_code == 404, path
        assert response.json()["error_code"] == "Not Found"
    # a cursor of this box office's, on a series that is not: still the series' 404
    other_series = weekly.others[0]
    response = await tt.get(f"{BASE}/event_series/es_{other_series + 10_000}/events?starting_after=ev_{occurrence}",
                            headers=weekly.auth)
    assert response.status_code == 404


async def test_events_and_issued_tickets_name_their_series(tt, weekly, conn, checkout):
    event = weekly.occurrences[1]
    body = (await tt.get(f"{BASE}/events/ev_{event['id']}", headers=weekly.auth)).json()
    assert body["event_series_id"] == f"es_{weekly.series['id']}"
    type_id = await conn.fetchval("SELECT id FROM ticket_types WHERE event_id = $1", event["id"])
    order = await checkout.place(conn, weekly.scope, parse_order(event["id"], type_id))
    tickets = (await tt.get(f"{BASE}/issued_tickets?order_id=or_{order['id']}", headers=weekly.auth)).json()
    assert {t["event_series_id"] for t in tickets["data"]} == {f"es_{weekly.series['id']}"}


async def test_the_box_office(tt, weekly):
    response = await tt.get(f"{BASE}/box_office", headers=weekly.auth)
    assert response.status_code == 200
    office = weekly.office
    assert response.json() == {
        "id": f"bo_{office['id']}", "object": "box_office", "name": office["name"], "slug": office["slug"],
        "currency": office["currency"].lower(), "url": f"{PUBLIC}/events/{office['slug']}",
        "payments_connected": "true", "created_at": unix(office["created_at"])}
    assert (await tt.get(f"{BASE}/box_office?limit=1", headers=weekly.auth)).status_code == 400
    assert (await tt.get(f"{BASE}/box_office")).status_code == 401


async def test_unknown_paths_ask_for_credentials_first(tt, weekly):
    refused = await tt.get(f"{BASE}/no_such_endpoint")
    assert refused.status_code == 401 and refused.json()["error_code"] == "Unauthorized"
    missing = await tt.get(f"{BASE}/no_such_endpoint", headers=weekly.auth)
    assert missing.status_code == 404 and missing.json()["error_code"] == "Not Found"


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("DELETE", "/check_ins", "GET, HEAD, POST"), ("PUT", "/event_series", "GET, HEAD, POST"),
    ("POST", "/events", "GET, HEAD"), ("GET", "/event_series/es_1/ticket_types", "POST"),
])
async def test_a_wrong_method_lists_every_method_of_the_path(tt, weekly, method, path, allow):
    response = await tt.request(method, BASE + path, headers=weekly.auth)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.json() == {"status": 405, "error_code": "Method Not Allowed",
                               "message": "The method is not allowed for the requested resource."}


async def test_a_one_off_event_is_a_series_of_one(tt, conn, box_office, make_key):
    auth = basic(await make_key(box_office, "tickettailor"))
    event = await factories.event(conn, Scope(box_office["id"], True), title="Solo Show")
    draft = (await tt.get(f"{BASE}/event_series/es_{event['series_id']}", headers=auth)).json()
    assert (draft["name"], draft["status"], draft["total_occurrences"]) == ("Solo Show", "draft", 1)
    assert draft["default_ticket_types"] == []  # the event's own ticket types are on the event
    await publish_event(conn, Scope(box_office["id"], True), event["id"])
    response = await tt.get(f"{BASE}/event_series/es_{event['series_id']}", headers=auth)
    assert response.json()["status"] == "published"  # what its one occurrence shows
    for header in ("x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"):
        assert header in response.headers
    posted = await tt.post(f"{BASE}/event_series", headers=auth, data={"name": "Headers"})
    assert posted.status_code == 200 and "x-rate-limit-remaining" in posted.headers
