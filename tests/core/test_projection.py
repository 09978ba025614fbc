"""Projections: the SQL helpers render what the Python serializers used to, and the rules
written twice (Python for checkout, SQL for projections) give the same answers."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from core.db import create_pool
from core.events import available, available_sql, on_sale_now, on_sale_now_sql
from core.projection import Projection, sql_case, sql_flag, sql_iso, sql_prefixed, sql_text, sql_unix

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


async def test_stock_and_sale_window_rules_agree_in_python_and_sql(conn):
    cases = [
        {"quantity": q, "sold": s, "held": h, "status": status, "sale_starts_at": starts, "sale_ends_at": ends}
        for q, s, h in ((10, 0, 0), (10, 4, 6), (10, 3, 2), (0, 0, 0))
        for status in ("on_sale", "off_sale", "hidden")
        for starts, ends in itertools.product((None, NOW - HOUR, NOW, NOW + HOUR), (None, NOW, NOW + HOUR))
    ]
    rows = await conn.fetch(
        f"SELECT {available_sql('tt')} AS available, {on_sale_now_sql('tt', '$2')} AS on_sale"
        " FROM jsonb_to_recordset($1::jsonb) AS tt(quantity int, sold int, held int, status text,"
        " sale_starts_at timestamptz, sale_ends_at timestamptz)",
        [{**c, "sale_starts_at": _iso(c["sale_starts_at"]), "sale_ends_at": _iso(c["sale_ends_at"])} for c in cases],
        NOW,
    )
    assert [(r["available"], r["on_sale"]) for r in rows] == [(available(c), on_sale_now(c, NOW)) for c in cases]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def test_field_helpers_render_like_the_python_they_replaced(conn):
    moments = [datetime(2026, 3, 29, 0, 59, 59, 999_999, tzinfo=UTC), datetime(1969, 12, 31, 23, 59, 58, 500_000,
                                                                             tzinfo=UTC)]
    for moment in moments:
        row = await conn.fetchrow(
            f"SELECT {sql_iso('$1::timestamptz')} AS s, {sql_iso('$1::timestamptz', millis=True)} AS ms,"
            f" {sql_unix('$1::timestamptz')} AS unix", moment)
        assert row["s"] == moment.isoformat(timespec="seconds").replace("+00:00", "Z")
        assert row["ms"] == moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        assert row["unix"] == int(moment.timestamp())
    row = await conn.fetchrow(
        f"SELECT {sql_prefixed('ev_', '$1::bigint')} AS id, {sql_prefixed('ev_', 'NULL::bigint')} AS none,"
        f" {sql_flag('$2::boolean')} AS flag, {sql_case('$3::text', {'a': 'x', 'b': 'y'})} AS mapped,"
        f" {sql_text(chr(39) + 'quoted')} AS text", 12, False, "b")
    assert dict(row) == {"id": "ev_12", "none": None, "flag": "false", "mapped": "y", "text": "'quoted"}


async def test_objects_keep_the_field_order_and_leave_hidden_columns_out(conn):
    shape = Projection((("b", "2"), ("a", "1")), hidden=(("_parent", "7"),))
    rows = await conn.fetch(f"SELECT {shape.columns}")
    assert [list(o.items()) for o in shape.objects(rows)] == [[("b", 2), ("a", 1)]]


async def test_released_connections_keep_no_transaction(database_dsn):
    # the pool skips asyncpg's reset query (core.db.keep_session); an open transaction still ends
    pool = await create_pool(database_dsn, min_size=1, max_size=1)
    try:
        async with pool.acquire() as c:
            await c.execute("BEGIN")
            await c.execute("CREATE TEMP TABLE left_open (x int)")
        async with pool.acquire() as c:
            assert await c.fetchval("SELECT to_regclass('pg_temp.left_open')") is None
            assert not c.is_in_transaction()
    finally:
        await pool.close()
