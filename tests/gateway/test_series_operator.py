"""Event series through the operator API and the CLI: create, add ticket types and occurrences, publish."""

from __future__ import annotations

import json
import uuid

from tests.gateway.test_admin import _office, admin  # noqa: F401  (the fixture)
from tests.gateway.test_cli import run  # noqa: F401  (the fixture)


async def test_a_series_through_the_operator_api(admin, conn):  # noqa: F811
    slug = await _office(admin, payments_connected=True)
    made = await admin.post(f"/box-offices/{slug}/series", json={"name": "Jazz Brunch", "timezone": "Europe/Paris",
                                                                 "venue_name": "Le Sud"})
    assert made.status_code == 201, made.text
    series = made.json()["data"]
    assert series["id"].startswith("es_") and series["status"] == "draft"
    typed = await admin.post(f"/box-offices/{slug}/series/{series['id']}/ticket-types",
                             json={"name": "Table", "price": 2000, "quantity": 12})
    assert typed.status_code == 201, typed.text
    dates = ["2031-05-04T11:00:00+02:00", "2031-05-11T11:00:00+02:00"]
    for starts in dates:
        added = await admin.post(f"/box-offices/{slug}/series/{series['id']}/occurrences", json={"starts_at": starts})
        assert added.status_code == 201, added.text
        assert added.json()["data"]["series_id"] == series["id"]
    published = await admin.post(f"/box-offices/{slug}/series/{series['id']}/publish", json={})
    assert published.status_code == 201 and published.json()["data"]["status"] == "published"
    rows = await conn.fetch("SELECT e.status, t.name, t.quantity FROM events e JOIN ticket_types t ON t.event_id = e.id"
                            " WHERE e.series_id = $1 ORDER BY e.starts_at", int(series["id"][3:]))
    assert [tuple(r) for r in rows] == [("published", "Table", 12)] * 2


async def test_operator_api_refusals(admin):  # noqa: F811
    slug = await _office(admin)
    bad = await admin.post(f"/box-offices/{slug}/series", json={"name": ""})
    assert bad.status_code == 400 and bad.json()["error"]["fields"][0]["field"] == "name"
    missing = await admin.post(f"/box-offices/{slug}/series/es_999999999/occurrences",
                               json={"starts_at": "2031-05-04T11:00:00Z"})
    assert missing.status_code == 404
    other = await _office(admin)
    made = (await admin.post(f"/box-offices/{slug}/series", json={"name": "Mine"})).json()["data"]
    stolen = await admin.post(f"/box-offices/{other}/series/{made['id']}/occurrences",
                              json={"starts_at": "2031-05-04T11:00:00Z"})
    assert stolen.status_code == 404


def test_a_series_through_the_cli(run):  # noqa: F811
    slug = f"cli-{uuid.uuid4().hex[:8]}"
    assert run("boxoffice", "create", "--name", "Series Office", "--slug", slug).returncode == 0
    made = run("--json", "series", "create", "--box-office", slug, "--name", "Film Club", "--venue", "Attic")
    assert made.returncode == 0, made.stderr
    series = json.loads(made.stdout)
    assert series["venue_name"] == "Attic"
    typed = run("--json", "series", "add-ticket-type", "--box-office", slug, series["id"], "--name", "Seat",
                "--quantity", "30")
    assert typed.returncode == 0, typed.stderr
    for day in ("2031-06-01T20:00:00Z", "2031-06-08T20:00:00Z"):
        added = run("--json", "series", "add-occurrence", "--box-office", slug, series["id"], "--starts-at", day)
        assert added.returncode == 0, added.stderr
        assert json.loads(added.stdout)["series_id"] == series["id"]
    bad = run("series", "add-occurrence", "--box-office", slug, series["id"], "--starts-at", "tomorrow")
    assert bad.returncode != 0 and "starts_at" in bad.stderr


async def test_the_demo_has_a_weekly_series(run, conn):  # noqa: F811
    assert run("--json", "demo").returncode == 0
    sizes = await conn.fetch("SELECT count(*) AS n FROM events e JOIN box_offices b ON b.id = e.box_office_id"
                             " WHERE b.slug = 'demo' GROUP BY e.series_id ORDER BY n DESC")
    assert sizes[0]["n"] == 4 and all(s["n"] == 1 for s in sizes[1:])
