"""Schema migration 7: every event becomes an occurrence of a series, existing data included."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from core.db import SCHEMA_FILE, dsn_for_database, migrate, parse_migrations


@pytest.fixture
async def fresh(database_dsn):
    name = f"tg_series_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(database_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    conn = await asyncpg.connect(dsn_for_database(database_dsn, name))
    try:
        yield conn
    finally:
        await conn.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _office(conn: asyncpg.Connection, slug: str) -> int:
    return await conn.fetchval("INSERT INTO box_offices (slug, name) VALUES ($1, $1) RETURNING id", slug)


async def _event(conn: asyncpg.Connection, office: int, title: str, **extra: object) -> asyncpg.Record:
    columns = ["box_office_id", "livemode", "title", "slug", "starts_at", "currency", *extra]
    values = [office, True, title, title.lower(), datetime(2031, 9, 1, 19, tzinfo=UTC), "GBP", *extra.values()]
    marks = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    return await conn.fetchrow(
        f"INSERT INTO events ({', '.join(columns)}) VALUES ({marks}) ON CONFLICT DO NOTHING RETURNING *", *values)


async def test_existing_events_get_a_series_of_their_own(fresh, tmp_path):
    text = SCHEMA_FILE.read_text()
    previous = tmp_path / "v6.sql"
    previous.write_text(text[: text.index("-- migration: 7")])
    assert await migrate(fresh, previous) == 6
    office = await _office(fresh, "old")
    olds = [await _event(fresh, office, f"Old{i}", description=f"about {i}", venue_name="Hall")
            for i in range(3)]

    assert await migrate(fresh) == len(parse_migrations(text))
    series = await fresh.fetch("SELECT * FROM event_series ORDER BY id")
    assert [s["id"] for s in series] == [e["id"] for e in olds]  # numbered like their events
    assert [(s["name"], s["description"], s["venue_name"], s["currency"]) for s in series] == [
        (e["title"], e["description"], "Hall", "GBP") for e in olds]
    assert await fresh.fetchval("SELECT bool_and(series_id = id) FROM events")

    # a new event without a series takes a fresh one, past the backfilled ids
    new = await _event(fresh, office, "New")
    assert new["series_id"] > max(e["id"] for e in olds)
    assert await fresh.fetchval("SELECT name FROM event_series WHERE id = $1", new["series_id"]) == "New"


async def test_an_event_may_join_a_series_of_its_own_box_office_only(fresh):
    await migrate(fresh)
    office, other = await _office(fresh, "one"), await _office(fresh, "two")
    first = await _event(fresh, office, "First")
    second = await _event(fresh, office, "Second", series_id=first["series_id"])
    assert second["series_id"] == first["series_id"]
    assert await fresh.fetchval("SELECT count(*) FROM event_series") == 1
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await _event(fresh, other, "Stranger", series_id=first["series_id"])
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await _event(fresh, office, "Nowhere", series_id=first["series_id"] + 1000)


async def test_a_skipped_insert_leaves_no_series_behind(fresh):
    await migrate(fresh)
    office = await _office(fresh, "dup")
    assert await _event(fresh, office, "Same") is not None
    assert await _event(fresh, office, "Same") is None  # slug taken: ON CONFLICT DO NOTHING
    assert await fresh.fetchval("SELECT count(*) FROM event_series") == 1


async def test_deleting_a_series_removes_its_occurrences(fresh):
    await migrate(fresh)
    office = await _office(fresh, "del")
    first = await _event(fresh, office, "A")
    await _event(fresh, office, "B", series_id=first["series_id"])
    await fresh.execute("DELETE FROM event_series WHERE id = $1", first["series_id"])
    assert await fresh.fetchval("SELECT count(*) FROM events") == 0
