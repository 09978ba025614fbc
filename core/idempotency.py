"""Idempotency records: claim a key, run once, store the response, replay it.

A record is claimed with ``INSERT ... ON CONFLICT DO NOTHING`` in its own short
transaction, so exactly one request runs per key whatever the number of processes;
the response is stored afterwards. An expired record is deleted by the next claim of
its key, so expiry needs no sweeper to be correct (the sweeper only reclaims space).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

import asyncpg
import orjson

from core.models import Scope

Outcome = Literal["claimed", "replay", "mismatch", "running"]
MAX_KEY_LENGTH = 256


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class Claim:
    outcome: Outcome
    response: StoredResponse | None = None


def fingerprint(method: str, path: str, body: bytes) -> bytes:
    """What makes two requests "the same": method, path and the body's JSON value (so key order
    and spacing do not matter; a body that is not JSON is compared as it is)."""
    try:
        canonical = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS) if body.strip() else b""
    except orjson.JSONDecodeError:
        canonical = body
    digest = hashlib.sha256(f"{method}\n{path}\n".encode())
    digest.update(canonical)
    return digest.digest()


async def claim(
    conn: asyncpg.Connection, scope: Scope, key: str, fingerprint: bytes, now: datetime, ttl: timedelta,
    stale_after: timedelta = timedelta(minutes=5),
) -> Claim:
    """Claim ``key`` for a new request, or say why it cannot run.

    A claim still running after ``stale_after`` belongs to a request that died without
    releasing it (a killed process): it is taken over instead of blocking the key for a day.
    """
    for _ in range(5):  # a released record can vanish between our INSERT and SELECT: look again
        if await _insert(conn, scope, key, fingerprint, now, ttl, now - stale_after):
            return Claim("claimed")
        row = await _existing(conn, scope, key)
        if row is not None:
            return judge(row, fingerprint)
    return Claim("running")


async def _insert(
    conn: asyncpg.Connection, scope: Scope, key: str, fingerprint: bytes, now: datetime, ttl: timedelta,
    stale_before: datetime,
) -> bool:
    """Drop an expired or abandoned record of the key, then try to take it (one transaction)."""
    office, livemode = scope.box_office_id, scope.livemode
    async with conn.transaction():
        await conn.execute(
            "DELETE FROM idempotency_keys WHERE box_office_id = $1 AND livemode = $2 AND key = $3"
            " AND (expires_at <= $4 OR (state = 'running' AND created_at <= $5))",
            office, livemode, key, now, stale_before,
        )  # fmt: skip
        inserted = await conn.fetchval(
            "INSERT INTO idempotency_keys (box_office_id, livemode, key, fingerprint, created_at,"
            " expires_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING true",
            office, livemode, key, fingerprint, now, now + ttl,
        )  # fmt: skip
    return bool(inserted)


async def _existing(conn: asyncpg.Connection, scope: Scope, key: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT fingerprint, state, response_status, response_headers, response_body, response_json"
        " FROM idempotency_keys WHERE box_office_id = $1 AND livemode = $2 AND key = $3",
        scope.box_office_id,
        scope.livemode,
        key,
    )


def judge(row: asyncpg.Record, fingerprint: bytes) -> Claim:
    """What a live record of the key (its fingerprint, state and response columns) means for a request."""
    if bytes(row["fingerprint"]) != fingerprint:
        return Claim("mismatch")
    if row["state"] != "done":
        return Claim("running")
    body, value = row["response_body"], row["response_json"]
    # a response written by the statement that made it (core.event_writes) is its JSON value
    content = bytes(body) if body is not None else b"" if value is None else orjson.dumps(value)
    stored = StoredResponse(row["response_status"], dict(row["response_headers"] or {}), content)
    return Claim("replay", stored)


async def store(conn: asyncpg.Connection, scope: Scope, key: str, response: StoredResponse) -> None:
    await conn.execute(
        "UPDATE idempotency_keys SET state = 'done', response_status = $4, response_headers = $5,"
        " response_body = $6 WHERE box_office_id = $1 AND livemode = $2 AND key = $3",
        scope.box_office_id,
        scope.livemode,
        key,
        response.status,
        response.headers,
        response.body,
    )


async def release(conn: asyncpg.Connection, scope: Scope, key: str) -> None:
    """Forget a running claim (the request failed in a way that must not be replayed)."""
    await conn.execute(
        "DELETE FROM idempotency_keys WHERE box_office_id = $1 AND livemode = $2 AND key = $3 AND state = 'running'",
        scope.box_office_id,
        scope.livemode,
        key,
    )


async def purge_expired(conn: asyncpg.Connection, now: datetime) -> int:
    """Delete every expired record (housekeeping; correctness does not depend on it)."""
    result = await conn.execute("DELETE FROM idempotency_keys WHERE expires_at <= $1", now)
    return int(result.split()[-1])
