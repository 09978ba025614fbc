"""The three jobs end to end (what the CLI commands call), over injectable HTTP and a connection."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg
import httpx
from starlette.applications import Starlette

from core.ids import parse_id
from gateway.migration.clients import Transport, client_module, http_client, network
from gateway.migration.follow import Follower, Status
from gateway.migration.importer import Importer
from gateway.migration.normalise import RULES, WRITE_RULES, IdLookup, Normaliser, rules_table
from gateway.migration.record import public_url, read_capture
from gateway.migration.redact import Redactor
from gateway.migration.replay import Replayer
from gateway.migration.report import summarise, write_report
from gateway.migration.shadow import Limits, Mirror, shadow_app
from gateway.migration.shadow_metrics import ShadowMetrics
from gateway.migration.translate import Translator
from gateway.migration.writes import ReplayIds, WriteReplay, check_test_key


async def import_box_office(conn: asyncpg.Connection, dialect: str, base_url: str, key: str, box_office: str, *,
                            livemode: bool = True, restart: bool = False, progress: bool = True,
                            transport: Transport = network) -> dict[str, Any]:
    module = client_module(dialect)
    http, limiter = http_client(dialect, transport)
    client = module.Client(base_url, key, http)
    try:
        summary = await Importer(conn, module, client, base_url, progress=progress).run(
            box_office, livemode, restart=restart)
    finally:
        await client.aclose()
    summary["rate_limit_waits"] = len(limiter.waits)
    return summary


async def follow_box_office(conn: asyncpg.Connection, dialect: str, base_url: str, key: str, box_office: str, *,
                            interval: float, livemode: bool = True, progress: bool = True,
                            show: Callable[[Status], None] = lambda status: None, passes: int | None = None,
                            transport: Transport = network) -> dict[str, Any]:
    """The first pass (or the follow checkpoint), then a follow pass every ``interval`` seconds."""
    module = client_module(dialect)
    http, limiter = http_client(dialect, transport)
    client = module.Client(base_url, key, http)
    try:
        importer = Importer(conn, module, client, base_url, progress=progress)
        status = await Follower(importer, box_office, livemode, show=show).run(interval, passes)
    finally:
        await client.aclose()
    return {"box_office": box_office, "source": dialect, **status.as_dict(), "rate_limit_waits": len(limiter.waits)}


async def id_map(conn: asyncpg.Connection, box_office: str, dialect: str, livemode: bool = True) -> IdLookup:
    """The import id map of ``box_office`` for captures of ``dialect``: (kind, source id) -> core id."""
    rows = await conn.fetch(
        "SELECT m.source_kind, m.source_id, m.core_id FROM import_map m JOIN box_offices b ON b.id = m.box_office_id"
        " WHERE b.slug = $1 AND m.livemode = $2 AND m.source_dialect = $3", box_office, livemode, dialect)
    table = {(r["source_kind"], r["source_id"]): r["core_id"] for r in rows}
    prefixes = client_module(dialect).ID_PREFIX

    def lookup(kind: str, text: str) -> int | None:
        number = parse_id(kind, text)
        canonical = f"{prefixes.get(kind, '')}{number}" if number is not None else text
        return table.get((kind, text), table.get((kind, canonical)))

    return lookup


def replayer(source: ModuleType, target: ModuleType, client: Any, redactor: Redactor, id_lookup: IdLookup | None,
             *, test_key: str | None = None, capture_id: str = "") -> Replayer:
    """A Replayer from ``source`` to ``target``; given the client's ``test_key``, writes go to the
    target's test mode and the ids they create are mapped (ValueError unless it is a test-mode key).
    ``capture_id`` names the capture in the Idempotency-Keys derived for writes that carry none."""
    lookup: IdLookup | None = id_lookup
    replay_writes, rules = None, RULES
    if test_key is not None:
        check_test_key(target.DIALECT, test_key)
        lookup, rules = ReplayIds(source, id_lookup), WRITE_RULES
        replay_writes = WriteReplay(lookup, capture_id or secrets.token_hex(16))
    return Replayer(source, target, client, Translator(source, target, lookup),
                    (Normaliser("source", redactor, lookup, rules), Normaliser("target", redactor, rules=rules)),
                    replay_writes)


def replay_meta(source: ModuleType, target: ModuleType, target_url: str, redactor: Redactor,
                id_lookup: IdLookup | None, writes: bool) -> dict[str, Any]:
    return {"source_dialect": source.DIALECT, "target_dialect": target.DIALECT, "target": public_url(target_url),
            "mode": "translated" if target is not source else "fidelity (same dialect)",
            "ids": "import id map" if id_lookup else "compared as numbers",
            "writes": ("translated, replayed in test mode" if target is not source else "replayed in test mode")
            if writes else "listed, not replayed",
            "personal_data": "pseudonyms compared" if redactor.known_secret else "presence only (no --redact-secret)"}


async def replay_capture(capture: Path, target_url: str, key: str, report: Path, *, as_dialect: str | None = None,
                         redact_secret: str | None = None, id_lookup: IdLookup | None = None,
                         writes: bool = False, transport: Transport = network) -> dict[str, Any]:
    header, exchanges = read_capture(capture)
    source, target = client_module(header["dialect"]), client_module(as_dialect or header["dialect"])
    redactor = Redactor(redact_secret)
    client = target.Client(target_url, key, http_client(target.DIALECT, transport)[0])
    try:
        outcomes = await replayer(source, target, client, redactor, id_lookup, test_key=key if writes else None,
                                  capture_id=capture_identity(header)).run(exchanges)
    finally:
        await client.aclose()
    meta = {**replay_meta(source, target, target_url, redactor, id_lookup, writes),
            "upstream": header.get("upstream"), "started_at": header.get("started_at")}
    summary = summarise(outcomes, meta, redactor)
    summary["rules"] = rules_table(WRITE_RULES if writes else RULES)
    summary["json_summary"] = str(write_report(summary, report))
    summary["report"] = str(report)
    return summary


def capture_identity(header: dict[str, Any]) -> str:
    """A capture's stable name (its header: dialect, upstream, start time): the same on every replay."""
    fields = [str(header.get(name)) for name in ("dialect", "upstream", "started_at")]
    return hashlib.sha256("\n".join(fields).encode()).hexdigest()[:32]


class RefreshingIds:
    """The import id map, swapped for a fresh copy now and then (``import --follow`` keeps adding to it)."""

    def __init__(self, current: IdLookup | None, load: Callable[[], Awaitable[IdLookup]] | None = None) -> None:
        self.current = current
        self.load = load

    def __call__(self, kind: str, text: str) -> int | None:
        return self.current(kind, text) if self.current is not None else parse_id(kind, text)

    async def refresh_every(self, seconds: float) -> None:
        while self.load is not None:
            await asyncio.sleep(seconds)
            with contextlib.suppress(OSError, asyncpg.PostgresError):  # the last good map stays in use
                self.current = await self.load()


def shadow_proxy(primary: str, dialect: str, candidate: str, key: str, report: Path, *, as_dialect: str | None = None,
                 ids: RefreshingIds | None = None, refresh_ids: float = 30.0, test_key: str | None = None,
                 redact_secret: str | None = None, limits: Limits | None = None,
                 transport: Transport = network, timeout: float = 10.0) -> Starlette:
    """The shadow proxy's app: reads (and, with a test-mode ``test_key``, writes) mirrored to ``candidate``.

    The candidate is called without the rate-limit waits of replay: a mirror worker never sleeps
    out a window, the candidate's 429 is reported as a status mismatch instead.
    """
    source, target = client_module(dialect), client_module(as_dialect or dialect)
    if test_key is not None:
        check_test_key(target.DIALECT, test_key)  # before any client is made
    # a secret of this process when none is given: both sides are pseudonymised here, so personal
    # fields are still compared, and nothing kept or served holds the real values
    redactor = Redactor(redact_secret or secrets.token_hex(32))
    lookup = ids or RefreshingIds(None)
    clients = [target.Client(candidate, k, httpx.AsyncClient(transport=transport(), timeout=timeout))
               for k in (key, test_key) if k is not None]
    writes = replayer(source, target, clients[1], redactor, lookup, test_key=test_key) if test_key else None
    reads = replayer(source, target, clients[0], redactor, lookup)
    meta = replay_meta(source, target, candidate, redactor, ids, bool(test_key))

    async def close() -> None:
        for client in clients:
            await client.aclose()

    mirror = Mirror(reads, writes, redactor, limits or Limits(), ShadowMetrics())
    return shadow_app(primary, mirror, report, meta, close=close,
                      background=lambda: lookup.refresh_every(refresh_ids))
