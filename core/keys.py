"""API keys: creation (shown once), hashing, revocation, and the per-process key cache.

A key's secret carries 256 bits from ``secrets``; only its SHA-256 is stored. A fast hash
is the right one here: the secret is random, not a password, so there is nothing to
brute-force, and the lookup stays a single index probe on the hot path.

Every process caches resolved keys and listens on the ``ticketgate_keys`` channel:
revoking a key (or changing a box office's plan) notifies in the same transaction,
and every listening process drops the entry before its next request. A process whose
listener connection is down does not cache at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from core.errors import FieldError, KeyLimitReached, NotFound, TermsRequired, ValidationFailed
from core.listening import Listener
from core.models import Scope

log = logging.getLogger(__name__)

CHANNEL = "ticketgate_keys"
FLUSH_LAST_USED_EVERY = 60.0  # seconds; last_used_at is advisory, never a per-request write

@dataclass(frozen=True, slots=True)
class KeyRules:
    """What a dialect's keys are: core applies these, and names no vendor itself.

    ``secret(livemode, box_office_id, key_id)`` draws a new secret in the vendor's shape;
    ``max_active`` caps a box office's unrevoked keys of the dialect; ``requires_terms``
    refuses keys until the box office has accepted the API terms.
    """

    dialect: str
    scopes: tuple[str, ...]
    secret: Callable[[bool, int, int], str]
    max_active: int | None = None
    title: str = ""  # the vendor's name, for messages
    requires_terms: bool = False


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the key, its box office and the copy of the data it may see."""

    key_id: int
    dialect: str
    box_office_id: int
    box_office_slug: str
    plan: str
    livemode: bool
    scopes: frozenset[str]

    @property
    def scope(self) -> Scope:
        return Scope(self.box_office_id, self.livemode)

    def missing(self, *required: str) -> list[str]:
        return [s for s in required if s not in self.scopes]


def hash_secret(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def _check_scopes(rules: KeyRules, scopes: list[str] | None) -> list[str]:
    allowed = rules.scopes
    if not scopes:
        return list(allowed)
    unknown = [s for s in scopes if s not in allowed]
    if unknown:
        raise ValidationFailed(
            [FieldError("scopes", f"unknown scope {s!r}; choose from {', '.join(allowed)}") for s in unknown]
        )
    return list(dict.fromkeys(scopes))


async def create_key(
    conn: asyncpg.Connection,
    box_office_id: int,
    rules: KeyRules,
    *,
    livemode: bool = True,
    scopes: list[str] | None = None,
    name: str = "",
) -> tuple[asyncpg.Record, str]:
    """Create a key; return its row and the secret, which is never shown again."""
    granted = _check_scopes(rules, scopes)
    async with conn.transaction():
        office = await conn.fetchrow(
            "SELECT id, api_terms_accepted FROM box_offices WHERE id = $1 FOR UPDATE", box_office_id
        )
        if office is None:
            raise NotFound("box_office", "Box office not found")
        await _check_key_limits(conn, office, rules)
        key_id = await conn.fetchval("SELECT nextval(pg_get_serial_sequence('api_keys', 'id'))")
        secret = rules.secret(livemode, box_office_id, key_id)
        row = await conn.fetchrow(
            "INSERT INTO api_keys (id, box_office_id, dialect, livemode, scopes, name,"
            " display_prefix, secret_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
            key_id, box_office_id, rules.dialect, livemode, granted, name, secret[:14], hash_secret(secret),
        )
    return row, secret


async def _check_key_limits(conn: asyncpg.Connection, office: asyncpg.Record, rules: KeyRules) -> None:
    if rules.requires_terms and not office["api_terms_accepted"]:
        raise TermsRequired()
    if rules.max_active is not None:
        active = await conn.fetchval(
            "SELECT count(*) FROM api_keys WHERE box_office_id = $1 AND dialect = $2 AND revoked_at IS NULL",
            office["id"], rules.dialect,
        )
        if active >= rules.max_active:
            vendor = rules.title or rules.dialect
            raise KeyLimitReached(f"A box office can have at most {rules.max_active} active {vendor} keys")


async def revoke_key(conn: asyncpg.Connection, key_id: int) -> asyncpg.Record:
    async with conn.transaction():
        row = await conn.fetchrow(
            "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING *",
            key_id,
        )
        if row is None:
            raise NotFound("api_key", "API key not found")
        await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, row["secret_hash"].hex())
    return row


async def list_keys(conn: asyncpg.Connection, box_office_id: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT id, box_office_id, dialect, livemode, scopes, name, display_prefix, created_at,"
        " last_used_at, revoked_at FROM api_keys WHERE box_office_id = $1 ORDER BY id",
        box_office_id,
    )


async def notify_all(conn: asyncpg.Connection) -> None:
    """Tell every process to forget every cached key (a plan or box office changed)."""
    await conn.execute("SELECT pg_notify($1, '*')", CHANNEL)


_LOOKUP = (
    "SELECT k.id, k.dialect, k.livemode, k.scopes, k.secret_hash, b.id AS box_office_id,"
    " b.slug, b.plan FROM api_keys k JOIN box_offices b ON b.id = k.box_office_id"
    " WHERE k.secret_hash = $1 AND k.revoked_at IS NULL"
)


class KeyStore:
    """Resolves secrets to principals, with a cache kept honest by LISTEN/NOTIFY."""

    def __init__(self, pool: asyncpg.Pool, dsn: str) -> None:
        self._pool = pool
        self._dsn = dsn
        self._cache: dict[bytes, Principal] = {}
        self._listener = Listener(dsn, CHANNEL, self._on_notify, on_lost=self._forget, on_listening=self._forget)
        self._last_flush: dict[int, float] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        # bumped by every notification and every change of the listener's state: a read that
        # spans one is not cached (what it read may have been revoked meanwhile)
        self._generation = 0

    @property
    def caching(self) -> bool:
        return self._listener.listening

    async def start(self) -> None:
        await self._listener.start()

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await self._listener.close()

    async def authenticate(self, secret: str, dialect: str) -> Principal | None:
        digest = hash_secret(secret)
        principal = self._cache.get(digest)
        if principal is None:
            principal = await self._load(digest)
            if principal is None:
                return None
        if principal.dialect != dialect:
            return None
        self._touch(principal.key_id)
        return principal

    async def _load(self, digest: bytes) -> Principal | None:
        generation = self._generation
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow(_LOOKUP, digest)
        if row is None or not hmac.compare_digest(row["secret_hash"], digest):
            return None
        principal = Principal(
            key_id=row["id"], dialect=row["dialect"], box_office_id=row["box_office_id"],
            box_office_slug=row["slug"], plan=row["plan"], livemode=row["livemode"],
            scopes=frozenset(row["scopes"]),
        )
        if self.caching and generation == self._generation:
            self._cache[digest] = principal
        return principal

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self._generation += 1
        if payload == "*":
            self._cache.clear()
        else:
            with contextlib.suppress(ValueError):
                self._cache.pop(bytes.fromhex(payload), None)

    def _forget(self) -> None:
        """The listener went down or came back: notifications may have been missed."""
        self._generation += 1
        self._cache.clear()

    def _touch(self, key_id: int) -> None:
        now = time.monotonic()
        if now - self._last_flush.get(key_id, -FLUSH_LAST_USED_EVERY) >= FLUSH_LAST_USED_EVERY:
            self._last_flush[key_id] = now
            self._spawn(self._flush_last_used(key_id))

    async def _flush_last_used(self, key_id: int) -> None:
        with contextlib.suppress(Exception):
            async with self._pool.acquire() as conn:
                await conn.execute("UPDATE api_keys SET last_used_at = now() WHERE id = $1", key_id)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
