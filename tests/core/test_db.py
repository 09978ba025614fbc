"""Schema migrations: versioned, idempotent, safe when processes start together."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from asyncpg.types import ServerVersion

from core.db import SCHEMA_FILE, UnsupportedServer, dsn_for_database, migrate, parse_migrations


def test_schema_file_is_numbered_migrations():
    migrations = parse_migrations(SCHEMA_FILE.read_text())
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))


def test_misnumbered_migrations_are_refused():
    with pytest.raises(RuntimeError, match="numbered"):
        parse_migrations("-- migration: 1 a\nSELECT 1;\n-- migration: 3 c\nSELECT 1;\n")


class _OldServer:
    """A connection to a PostgreSQL 13: nothing but its version is asked before the refusal."""

    def get_server_version(self) -> ServerVersion:
        return ServerVersion(13, 16, 0, "final", 0)


async def test_a_server_older_than_14_is_refused_before_any_statement():
    with pytest.raises(UnsupportedServer, match="PostgreSQL 14 or later; this server is 13.16"):
        await migrate(_OldServer())  # type: ignore[arg-type]


async def test_upgrade_keeps_data_and_concurrent_starts_apply_once(database_dsn, tmp_path):
    name = f"tg_mig_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(database_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    dsn = dsn_for_database(database_dsn, name)
    try:
        text = SCHEMA_FILE.read_text()
        first_only = tmp_path / "v1.sql"
        first_only.write_text(text[: text.index("-- migration: 2")])
        conn = await asyncpg.connect(dsn)
        assert await migrate(conn, first_only) == 1
        await conn.execute("INSERT INTO box_offices (slug, name) VALUES ('kept', 'Kept')")
        others = [await asyncpg.connect(dsn) for _ in range(3)]
        versions = await asyncio.gather(*(migrate(c) for c in [conn, *others]))
        assert set(versions) == {len(parse_migrations(text))}
        assert await conn.fetchval("SELECT name FROM box_offices WHERE slug = 'kept'") == "Kept"
        assert await conn.fetchval("SELECT count(*) FROM schema_migrations") == len(parse_migrations(text))
        for c in [conn, *others]:
            await c.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def test_the_server_cancels_a_statement_past_the_timeout(database_dsn):
    from core.db import create_pool

    pool = await create_pool(database_dsn, min_size=1, max_size=1, statement_timeout=0.2)
    try:
        async with pool.acquire() as conn:
            with pytest.raises(asyncpg.QueryCanceledError):
                await conn.execute("SELECT pg_sleep(2)")
            assert await conn.fetchval("SELECT 1") == 1  # the connection is still good
    finally:
        await pool.close()


class _Spy:
    """Counts which way DeadlinePool released each connection."""

    def __init__(self, pool, monkeypatch) -> None:
        self.at_once = self.asyncpg = 0
        release_now = type(pool)._release_now

        def spied(p, proxy):
            done = release_now(p, proxy)
            if done:
                self.at_once += 1
            else:
                self.asyncpg += 1
            return done

        monkeypatch.setattr(type(pool), "_release_now", spied)


async def test_a_connection_left_as_lent_goes_back_at_once_and_serves_again(database_dsn, monkeypatch):
    from core.db import create_pool

    pool = await create_pool(database_dsn, min_size=1, max_size=1)
    spy = _Spy(pool, monkeypatch)
    try:
        pids = set()
        for _ in range(3):
            async with pool.acquire() as conn:
                pids.add(conn.get_server_pid())
                async with conn.transaction():  # a finished transaction leaves nothing open
                    assert await conn.fetchval("SELECT 1") == 1
            assert conn._con is None  # the proxy is detached: the connection is the pool's again
        assert (spy.at_once, spy.asyncpg, len(pids)) == (3, 0, 1)  # the one connection, reused
        assert pool.get_idle_size() == 1
        assert await pool.fetchval("SELECT 2") == 2
    finally:
        await pool.close()  # waits for nothing: every holder was released


async def test_what_release_must_clean_up_is_left_to_asyncpg(database_dsn, monkeypatch):
    from core.db import create_pool

    pool = await create_pool(database_dsn, min_size=1, max_size=1)
    spy = _Spy(pool, monkeypatch)
    try:
        async with pool.acquire() as conn:
            await conn.execute("BEGIN")  # left open: asyncpg's release rolls it back
            await conn.execute("CREATE TEMP TABLE released_mid_transaction (x int)")
        async with pool.acquire() as conn:
            assert not conn.is_in_transaction()
            assert await conn.fetchval("SELECT to_regclass('pg_temp.released_mid_transaction')") is None
        async with pool.acquire() as conn:
            conn.terminate()  # a closed connection: asyncpg's release replaces it
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT 3") == 3
        assert (spy.at_once, spy.asyncpg) == (2, 2)
    finally:
        await pool.close()
