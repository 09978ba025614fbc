"""core.event_writes: one statement writes the event, its types and the key's record, or nothing.

The concurrency tests hold two connections of their own: the first writes inside an open
transaction, the second's statement is seen waiting on the key's lock (pg_stat_activity), then
the first commits or rolls back.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import orjson
import pytest

from core import event_writes, idempotency
from core.db import SCHEMA_FILE, dsn_for_database, init_connection, migrate, parse_migrations
from core.events import event_fields
from core.models import EventCreate, Scope, TicketTypeCreate, parse
from dialects.equaticket import serializers as eq
from dialects.equaticket.writes import event_created

NOW = datetime(2030, 1, 1, tzinfo=UTC)
SHAPE = event_created("https://tickets.example.com")


def _data(title: str, **fields: object) -> EventCreate:
    types = [{"name": "GA", "price": 1000, "quantity": 50}, {"name": "VIP", "price": 5000, "quantity": 5}]
    return parse(EventCreate, {"title": title, "starts_at": datetime(2031, 1, 1, tzinfo=UTC),
                               "ticket_types": types, **fields})


def _keyed(key: str, fingerprint: bytes = b"print", now: datetime = NOW) -> event_writes.Keyed:
    return event_writes.Keyed(key, fingerprint, now, now + timedelta(days=1), now - timedelta(minutes=5), 201,
                              {"content-type": "application/json"})


async def _written(conn: asyncpg.Connection, scope: Scope, title: str) -> tuple[int, int, int]:
    """(events, their ticket types, idempotency records) of the scope's box office with this title."""
    row = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM events WHERE box_office_id = $1 AND title = $2) AS events,"
        " (SELECT count(*) FROM ticket_types t JOIN events e ON e.id = t.event_id"
        "  WHERE e.box_office_id = $1 AND e.title = $2) AS types,"
        " (SELECT count(*) FROM idempotency_keys WHERE box_office_id = $1) AS records", scope.box_office_id, title)
    return row["events"], row["types"], row["records"]


async def _waiting(watcher: asyncpg.Connection, pid: int) -> None:
    """Until the backend ``pid`` waits on a lock (the other transaction's uncommitted key)."""
    for _ in range(500):
        if await watcher.fetchval("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1", pid):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the second statement never waited on the first")


@pytest.fixture
async def second(database_dsn: str):
    connection = await asyncpg.connect(database_dsn)
    await init_connection(connection)
    yield connection
    await connection.close()


async def test_a_keyed_create_writes_event_types_and_record_with_its_response(conn, box_office):
    scope = Scope(box_office["id"], True)
    body = await event_writes.create_event_keyed(conn, scope, _data("Whole"), SHAPE, _keyed("k-whole"))
    assert [t["name"] for t in body["ticket_types"]] == ["GA", "VIP"]
    assert body["url"] == f"https://tickets.example.com/events/{box_office['slug']}/{body['slug']}"
    assert list(body) == list(eq.EVENT.projection.names)  # the wire fields, in order, nothing hidden
    assert await _written(conn, scope, "Whole") == (1, 2, 1)
    claim = await idempotency.claim(conn, scope, "k-whole", b"print", NOW, timedelta(days=1))
    assert claim.outcome == "replay" and claim.response is not None
    assert claim.response.body == orjson.dumps(body) and claim.response.status == 201


async def test_a_keyed_create_runs_one_statement_text_built_once(conn, box_office):
    """The text is the shape's (built once, each parameter bound once), the response read from the new
    types alone and its JSON built once; the types keep their order and the body is as GET reads it."""
    scope = Scope(box_office["id"], True)
    seen: list[str] = []
    conn.add_query_logger(lambda record: seen.append(record.query))
    first = await event_writes.create_event_keyed(conn, scope, _data("Once"), SHAPE, _keyed("k-once-1"))
    second = await event_writes.create_event_keyed(conn, scope, _data("Twice"), SHAPE, _keyed("k-once-2"))
    for _ in range(100):  # asyncpg calls query loggers soon after the query, not within it
        if len(seen) == 2:
            break
        await asyncio.sleep(0.01)
    assert len(seen) == 2 and seen[0] is seen[1]  # the same str: the same prepared statement, no rebuilding
    sql = seen[0]
    assert sql.count("row_to_json") == 1 and "UNION ALL SELECT * FROM new_types" not in sql
    fields = [c for c in event_fields(EventCreate) if c != "slug"]  # one parameter each, after the fixed ones
    assert max(int(n) for n in re.findall(r"\$(\d+)", sql)) == len(event_writes.CREATE_KEYED_PARAMS) + len(fields)
    assert "json_populate_record(" not in sql
    assert [t["name"] for t in first["ticket_types"]] == [t["name"] for t in second["ticket_types"]] == ["GA", "VIP"]
    read = await conn.fetchrow(f"SELECT row_to_json(r) AS body FROM (SELECT {SHAPE.columns} FROM events e"
                               f"{SHAPE.joins('e')} WHERE e.id = $1) r", int(first["id"][4:]))
    assert read["body"] == first


async def test_a_used_key_answers_with_its_record_and_writes_nothing(conn, box_office):
    scope = Scope(box_office["id"], True)
    body = await event_writes.create_event_keyed(conn, scope, _data("Used"), SHAPE, _keyed("k-used"))
    replay = await event_writes.create_event_keyed(conn, scope, _data("Used"), SHAPE, _keyed("k-used"))
    assert replay == idempotency.Claim("replay", idempotency.StoredResponse(
        201, {"content-type": "application/json"}, orjson.dumps(body)))
    other = await event_writes.create_event_keyed(conn, scope, _data("Used", slug="other"), SHAPE,
                                                  _keyed("k-used", b"other print"))
    assert other == idempotency.Claim("mismatch")
    assert await _written(conn, scope, "Used") == (1, 2, 1)


async def test_an_expired_record_or_a_taken_slug_is_left_to_the_general_path(conn, box_office):
    scope = Scope(box_office["id"], True)
    await event_writes.create_event_keyed(conn, scope, _data("Taken"), SHAPE, _keyed("k-first"))
    later = NOW + timedelta(days=2)
    assert await event_writes.create_event_keyed(conn, scope, _data("Other"), SHAPE, _keyed("k-first", now=later)) \
        is None  # expired: core.idempotency.claim deletes it first
    assert await event_writes.create_event_keyed(conn, scope, _data("Taken"), SHAPE, _keyed("k-slug")) is None
    assert await event_writes.create_event(conn, scope, _data("Taken"), eq.EVENT_READ) is None
    assert await _written(conn, scope, "Taken") == (1, 2, 1)
    assert await _written(conn, scope, "Other") == (0, 0, 1)


async def test_a_failing_ticket_type_leaves_no_event_and_no_record(conn, box_office):
    scope = Scope(box_office["id"], True)
    data = _data("Broken")
    # a type the database refuses (its CHECK) after the event's row is in: the statement is undone whole
    data.ticket_types.append(TicketTypeCreate.model_construct(**{**data.ticket_types[0].model_dump(),
                                                                "min_per_order": 9, "max_per_order": 2}))
    with pytest.raises(asyncpg.CheckViolationError):
        await event_writes.create_event_keyed(conn, scope, data, SHAPE, _keyed("k-broken"))
    assert await _written(conn, scope, "Broken") == (0, 0, 0)
    assert await conn.fetchval("SELECT count(*) FROM event_series WHERE box_office_id = $1", scope.box_office_id) == 0


@pytest.mark.parametrize("first_ends", ["commit", "rollback"])
async def test_the_second_request_with_a_key_waits_for_the_first(db, second, box_office, first_ends):
    scope = Scope(box_office["id"], True)
    first = db.transaction()
    await first.start()
    assert isinstance(await event_writes.create_event_keyed(db, scope, _data("Raced"), SHAPE, _keyed("k-raced")), dict)
    racing = asyncio.ensure_future(
        event_writes.create_event_keyed(second, scope, _data("Raced", slug=f"raced-{uuid.uuid4().hex[:6]}"), SHAPE,
                                        _keyed("k-raced")))
    await _waiting(db, second.get_server_pid())
    await (first.commit() if first_ends == "commit" else first.rollback())
    if first_ends == "commit":
        with pytest.raises(event_writes.KeyTaken):
            await racing
    else:
        assert isinstance(await racing, dict)  # the first left nothing: the second is the one request
    assert await _written(db, scope, "Raced") == (1, 2, 1)


async def test_migration_8_keeps_stored_bodies_and_stores_json(database_dsn, tmp_path):
    name = f"tg_m8_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(database_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    fresh = await asyncpg.connect(dsn_for_database(database_dsn, name))
    await init_connection(fresh)
    try:
        text = SCHEMA_FILE.read_text()
        previous = tmp_path / "v7.sql"
        previous.write_text(text[: text.index("-- migration: 8")])
        assert await migrate(fresh, previous) == 7
        office = await fresh.fetchval("INSERT INTO box_offices (slug, name) VALUES ('m8', 'm8') RETURNING id")
        scope = Scope(office, True)
        assert (await idempotency.claim(fresh, scope, "old", b"fp", NOW, timedelta(days=1))).outcome == "claimed"
        await idempotency.store(fresh, scope, "old", idempotency.StoredResponse(201, {}, b'{"id":"evt_1"}'))
        assert await migrate(fresh) == len(parse_migrations(text))
        replay = await idempotency.claim(fresh, scope, "old", b"fp", NOW, timedelta(days=1))
        assert replay.response is not None and replay.response.body == b'{"id":"evt_1"}'
        body = await event_writes.create_event_keyed(fresh, scope, _data("After"), SHAPE, _keyed("new"))
        replay = await idempotency.claim(fresh, scope, "new", b"print", NOW, timedelta(days=1))
        assert replay.response is not None and replay.response.body == orjson.dumps(body)
    finally:
        await fresh.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
