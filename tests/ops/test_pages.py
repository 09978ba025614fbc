"""The public event page every event's url points at: what it shows, what it hides, in Chromium."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from core import events, series
from core.models import EventCreate, Scope, parse
from core.series import OccurrenceCreate, SeriesCreate
from tests.browser import browse

LONDON = {"title": "Jazz & <Blues>", "starts_at": "2031-07-04T18:30:00Z", "timezone": "Europe/London",
          "venue_name": "Band Room", "city": "London", "currency": "GBP",
          "ticket_types": [{"name": "Early bird", "price": 1250, "quantity": 3},
                           {"name": "Guest list", "price": 0, "quantity": 5, "hidden": True},
                           {"name": "Free", "price": 0, "quantity": 2}]}


async def _published(conn: Any, office: Any, livemode: bool = True, **fields: Any) -> Any:
    scope = Scope(office["id"], livemode)
    event = await events.create_event(conn, scope, _data({**LONDON, **fields}))
    await events.publish_event(conn, scope, event["id"])
    return event


def _data(fields: dict[str, Any]) -> EventCreate:
    return parse(EventCreate, fields)


async def test_a_published_event_shows_its_date_venue_and_live_availability(client, conn, box_office, sell):
    event = await _published(conn, box_office)
    early = (await events.ticket_types_for(conn, [event["id"]]))[0]
    await sell(box_office, event["id"], early["id"], quantity=2)
    page = await client.get(f"/events/{box_office['slug']}/{event['slug']}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "<title>Jazz &amp; &lt;Blues&gt;</title>" in html  # escaped, never markup
    assert "Friday 04 July 2031, 19:30" in html  # 18:30 UTC is 19:30 in London (BST)
    assert "Band Room, London" in html
    assert "Early bird</td><td>12.50 GBP</td><td>1 left" in html  # 3 seats, 2 sold: live
    assert "Free</td><td>Free</td><td>2 left" in html
    assert "Guest list" not in html  # hidden types are not public


async def test_drafts_test_mode_and_unknown_events_are_the_same_404(client, conn, box_office):
    scope = Scope(box_office["id"], True)
    draft = await events.create_event(conn, scope, _data({**LONDON, "slug": "draft-night"}))
    test_mode = await _published(conn, box_office, livemode=False, slug="test-night")
    for path in (f"/events/{box_office['slug']}/{draft['slug']}", f"/events/{box_office['slug']}/{test_mode['slug']}",
                 f"/events/{box_office['slug']}/no-such-event", f"/events/no-such-office/{draft['slug']}",
                 f"/events/{box_office['slug']}/%00", f"/events/%00/{draft['slug']}"):
        page = await client.get(path)
        assert page.status_code == 404 and "There is no such event." in page.text, path


async def test_every_dialects_event_url_is_this_page(client, conn, box_office, make_key):
    event = await _published(conn, box_office, slug="url-check")
    key = await make_key(box_office, "equaticket")
    served = (await client.get(f"/equaticket/api/v1/events/evt_{event['id']}",
                               headers={"Authorization": f"Bearer {key}"})).json()
    path = served["url"].removeprefix("http://localhost:8000")
    assert path == f"/events/{box_office['slug']}/url-check"
    assert (await client.get(path)).status_code == 200


async def test_the_page_renders_in_chromium(client, conn, box_office, tmp_path: Path):
    event = await _published(conn, box_office, slug="in-a-browser")
    html = (await client.get(f"/events/{box_office['slug']}/{event['slug']}")).text
    page = tmp_path / "event.html"
    page.write_text(html)
    dom = browse(page, "--dump-dom").stdout.decode()
    assert "Jazz &amp; &lt;Blues&gt;" in dom and "Early bird" in dom and "3 left" in dom
    shot = tmp_path / "event.png"
    browse(page, f"--screenshot={shot}", "--window-size=800,600")
    assert shot.stat().st_size > 2000  # a page with text, not a blank frame


async def test_a_series_page_lists_its_upcoming_dates(client, conn, box_office, clock):
    scope = Scope(box_office["id"], True)
    made = await series.create_series(conn, scope, parse(SeriesCreate, {"name": "Tea & <Talks>",
                                                                        "timezone": "Europe/London"}))
    url = f"/events/{box_office['slug']}/es_{made['id']}"
    first = clock.now() + timedelta(days=3)
    for offset in (timedelta(days=-3), timedelta(0), timedelta(days=7)):  # one in the past
        await series.add_occurrence(conn, scope, made["id"], parse(OccurrenceCreate, {"starts_at": first + offset}))
    assert (await client.get(url)).status_code == 404  # a draft series is not shown
    await series.publish_series(conn, scope, made["id"])
    page = await client.get(url)
    assert page.status_code == 200 and "<h1>Tea &amp; &lt;Talks&gt;</h1>" in page.text
    assert page.text.count("<li>") == 2  # the past date is not listed
    assert (await client.get(f"/events/{box_office['slug']}/es_0")).status_code == 404
