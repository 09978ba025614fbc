"""The three jobs end to end (what the CLI commands call), over injectable HTTP and a connection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg

from core.ids import parse_id
from gateway.migration.clients import Transport, client_module, http_client, network
from gateway.migration.importer import Importer
from gateway.migration.normalise import IdLookup, Normaliser
from gateway.migration.record import public_url, read_capture
from gateway.migration.redact import Redactor
from gateway.migration.replay import Replayer
from gateway.migration.report import summarise, write_report
from gateway.migration.translate import Translator


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


async def replay_capture(capture: Path, target_url: str, key: str, report: Path, *, as_dialect: str | None = None,
                         redact_secret: str | None = None, id_lookup: IdLookup | None = None,
                         transport: Transport = network) -> dict[str, Any]:
    header, exchanges = read_capture(capture)
    source, target = client_module(header["dialect"]), client_module(as_dialect or header["dialect"])
    redactor = Redactor(redact_secret)
    client = target.Client(target_url, key, http_client(target.DIALECT, transport)[0])
    replayer = Replayer(source, target, client, Translator(source, target, id_lookup),
                        (Normaliser("source", redactor, id_lookup), Normaliser("target", redactor)))
    try:
        outcomes = await replayer.run(exchanges)
    finally:
        await client.aclose()
    meta = {"source_dialect": source.DIALECT, "target_dialect": target.DIALECT, "upstream": header.get("upstream"),
            "started_at": header.get("started_at"), "target": public_url(target_url),
            "mode": "translated" if target is not source else "fidelity (same dialect)",
            "ids": "import id map" if id_lookup else "compared as numbers",
            "personal_data": "pseudonyms compared" if redactor.known_secret else "presence only (no --redact-secret)"}
    summary = summarise(outcomes, meta, redactor)
    summary["json_summary"] = str(write_report(summary, report))
    summary["report"] = str(report)
    return summary
