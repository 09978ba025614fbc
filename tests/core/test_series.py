"""core.series: series with default ticket types, occurrences copied from them, publishing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core import series
from core.errors import Conflict, NotFound, ValidationFailed
from core.events import cancel_event, ticket_types_for
from core.models import Scope, parse
from core.series import OccurrenceCreate, SeriesCreate, SeriesTicketTypeCreate
from tests import factories

FIRST = datetime(2031, 10, 7, 19, tzinfo=UTC)


def _series(**fields: object) -> SeriesCreate:
    return parse(SeriesCreate, {"name": "Quiz Night", "venue_name": "The Crown", "timezone": "Europe/London",
                                "ticket_types": [{"name": "Team seat", "price": 500, "quantity": 40}], **fields})


def _when(week: int) -> OccurrenceCreate:
    starts = FIRST + timedelta(weeks=week)
    return parse(OccurrenceCreate, {"starts_at": starts, "ends_at": starts + timedelta(hours=2)})


async def test_occurrences_copy_the_series_and_its_ticket_types(conn, box_office):
    scope = Scope(box_office["id"], True)
    made = await series.create_series(conn, scope, _series())
    assert made["currency"] == box_office["currency"] and made["status"] == "draft"
    occurrences = [await series.add_occurrence(conn, scope, made["id"], _when(w)) for w in range(3)]
    assert {o["series_id"] for o in occurrences} == {made["id"]}
    assert [o["starts_at"] for o in occurrences] == [FIRST + timedelta(weeks=w) for w in range(3)]
    assert {(o["title"], o["venue_name"], o["timezone"]) for o in occurrences} == {
        ("Quiz Night", "The Crown", "Europe/London")}
    for occurrence in occurrences:  # each has its own copy, with its own stock
        types = await ticket_types_for(conn, [occurrence["id"]])
        assert [(t["name"], t["price"], t["quantity"], t["sold"]) for t in types] == [("Team seat", 500, 40, 0)]
    assert await conn.fetchval("SELECT count(*) FROM event_series WHERE box_office_id = $1", box_office["id"]) == 1


async def test_a_new_default_ticket_type_joins_the_occurrences_that_still_sell(conn, box_office):
    scope = Scope(box_office["id"], True)
    made = await series.create_series(conn, scope, _series(ticket_types=[]))
    kept, cancelled = [await series.add_occurrence(conn, scope, made["id"], _when(w)) for w in range(2)]
    await cancel_event(conn, scope, cancelled["id"])
    default = await series.add_ticket_type(conn, scope, made["id"],
                                           parse(SeriesTicketTypeCreate, {"name": "VIP", "quantity": 5}))
    assert default["series_id"] == made["id"]
    assert [t["name"] for t in await ticket_types_for(conn, [kept["id"]])] == ["VIP"]
    assert await ticket_types_for(conn, [cancelled["id"]]) == []
    later = await series.add_occurrence(conn, scope, made["id"], _when(5))
    assert [t["name"] for t in await ticket_types_for(conn, [later["id"]])] == ["VIP"]


async def test_publishing_a_series_publishes_its_drafts_and_later_occurrences(conn, box_office):
    scope = Scope(box_office["id"], True)
    made = await series.create_series(conn, scope, _series())
    first = await series.add_occurrence(conn, scope, made["id"], _when(0))
    assert first["status"] == "draft"
    assert (await series.publish_series(conn, scope, made["id"]))["status"] == "published"
    assert await conn.fetchval("SELECT status FROM events WHERE id = $1", first["id"]) == "published"
    assert (await series.add_occurrence(conn, scope, made["id"], _when(1)))["status"] == "published"


async def test_another_box_office_cannot_see_or_extend_a_series(conn, box_office, make_box_office):
    made = await series.create_series(conn, Scope(box_office["id"], True), _series())
    stranger = Scope((await make_box_office())["id"], True)
    with pytest.raises(NotFound):
        await series.add_occurrence(conn, stranger, made["id"], _when(0))
    with pytest.raises(NotFound):  # nor the test-mode copy of the same box office
        await series.add_occurrence(conn, Scope(box_office["id"], False), made["id"], _when(0))
    assert await conn.fetchval("SELECT count(*) FROM events WHERE series_id = $1", made["id"]) == 0


async def test_a_closed_series_takes_no_occurrence(conn, box_office):
    scope = Scope(box_office["id"], True)
    made = await series.create_series(conn, scope, _series())
    await conn.execute("UPDATE event_series SET status = 'cancelled' WHERE id = $1", made["id"])
    with pytest.raises(Conflict):
        await series.add_occurrence(conn, scope, made["id"], _when(0))


def test_a_message_needs_its_time():
    with pytest.raises(ValidationFailed):
        _series(tickets_available_at_message="Soon")
    with pytest.raises(ValidationFailed):
        parse(OccurrenceCreate, {"starts_at": FIRST, "ends_at": FIRST - timedelta(hours=1)})


async def test_events_made_elsewhere_still_get_a_series_of_their_own(conn, box_office):
    event = await factories.event(conn, Scope(box_office["id"], True), title="Solo")
    assert await conn.fetchval("SELECT name FROM event_series WHERE id = $1", event["series_id"]) == "Solo"
