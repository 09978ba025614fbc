"""``make bench``: ticketgate against the floors of its own stack, side by side, in one run.

Usage: ``python -m tests.bench.run [--smoke] [--out bench-results.json]``; durations and
sizes come from the options (defaults fit a full run in about 17 minutes on 2 cores).
Order of a full run: seed (or reuse) and prepare keys; record every scenario's SQL and count
its statements and round trips; one-worker phase (the hand floor checked against the gateway,
memory soak, the rate limiter on/off, metrics on/off on three lists, each deep page against its
first page, then every scenario on the hand floor, the same-statements floor and the gateway,
the oversell check); the write box office dropped and the churned tables restored
(seed.undo_writes), so what follows reads the same data; latency phase (four GET scenarios
through the delaying proxy); two-worker phase; targets, table, JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pickle
import signal
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from core.db import dsn_for_database
from core.listing import Keyset
from core.models import Scope
from dialects.equaticket.pagination import Cursors
from gateway.config import load_settings
from tests.bench import load as loadgen
from tests.bench import phases, report, scenarios, seed
from tests.bench.phases import Bench, Files, Options
from tests.bench.recorder import record
from tests.bench.scenarios import SAMESQL_KIND, Scenario
from tests.bench.servers import ROOT, gateway_env

__all__ = ["Options", "main", "parse", "prepare", "server_dsn"]
REPLAY_KEY = "bench-replay-key"
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


async def prepare(opts: Options) -> tuple[str, seed.Fixture, list[Scenario], str]:
    dsn = await seed.ensure_database(opts.server_dsn, opts.database, opts.sizes)
    fx = await seed.prepare_run(dsn, opts.sizes)
    conn = await asyncpg.connect(dsn)
    try:
        secret = await conn.fetchval("SELECT value FROM gateway_secrets WHERE name = 'cursor_signing'")
        version = await conn.fetchval("SHOW server_version")
    finally:
        await conn.close()
    anchor = Keyset(datetime.fromisoformat(fx.ticket_deep_created), fx.ticket_deep_id)
    cursor = Cursors(secret).encode(Scope(fx.read_office, True), "attendees", anchor)
    chosen = [s for s in scenarios.build(fx, cursor) if not opts.only or s.name in opts.only]
    return dsn, fx, chosen, f"PostgreSQL {version}"


def write_files(files: Files, fx: seed.Fixture, chosen: list[Scenario], sql: dict[str, Any], base_url: str) -> None:
    """The hand floor's values and the same-statements floor's plan, for this run."""
    values = {**asdict(fx), "base_url": base_url, "replay_key": REPLAY_KEY, "kinds": {s.name: s.floor for s in chosen}}
    values.pop("keys")
    files.params.write_text(json.dumps(values))
    plans = {s.name: {"kind": SAMESQL_KIND[s.floor], "statements": sql.get(s.name, []), "status": s.status,
                      "type_id": fx.floor_type, "office": fx.write_office} for s in chosen}
    files.plan.write_bytes(pickle.dumps(plans))


def main(opts: Options) -> dict[str, Any]:
    started = time.monotonic()
    load = loadgen.Load(connections=opts.connections)
    dsn, fx, chosen, pg = asyncio.run(prepare(opts))
    print(f"load generator: {load.tool}, {opts.connections} connections; {len(chosen)} scenarios", flush=True)
    with tempfile.TemporaryDirectory(prefix="tg-bench-") as tmp:
        log_dir = Path(tmp)
        files = Files(log_dir / "floor-params.json", log_dir / "samesql-plan.pickle")
        sql, counts = asyncio.run(record(gateway_env(dsn), chosen))
        write_files(files, fx, chosen, sql, public_base_url())
        bench = Bench(opts, load, log_dir)
        one = phases.one_worker(bench, dsn, files, fx, chosen)
        if any(not s.is_get for s in chosen):
            asyncio.run(seed.undo_writes(dsn))
        far = phases.latency(bench, dsn, files, chosen)
        two = phases.two_workers(bench, dsn, files, chosen) if opts.two_workers else {}
    for name, figures in counts.items():
        for side in (r for r in (one["results"].get(name), far.get(name), two.get(name)) if r):
            side.update(figures, hand_floor_match=one["matches"].get(name))
    result = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": report.machine(pg),
        "config": {**{k: v for k, v in asdict(opts).items() if k not in ("server_dsn", "out")},
                   "load_generator": load.tool, "database": opts.database},
        "one_worker": one["results"], "latency": far, "two_workers": two, "limiter": one["limiter"],
        "memory": one.get("memory", {}), "oversell": one.get("oversell", {}), "metrics": one["metrics"],
        "depth": one["depth"],
        "round_trips": counts, "hand_floor_matches": one["matches"],
    }
    result["targets"] = report.targets(chosen, result)
    result["duration_s"] = round(time.monotonic() - started, 1)
    result["out"] = str(opts.out)
    opts.out.write_text(json.dumps(result, indent=2, default=str))
    print_summary(result)
    return result


def public_base_url() -> str:
    """The gateway's public base URL under the benchmark's settings (the hand floor's links use it)."""
    return load_settings(environ=gateway_env("postgresql://unused/none")).public_base_url


def print_summary(result: dict[str, Any], markdown: bool = False) -> None:
    for title, key in (("one worker", "one_worker"), ("latency: through the delaying proxy", "latency"),
                       ("two workers", "two_workers"),
                       ("rate limiter (floor column = limits off)", "limiter"),
                       ("metrics (floor column = metrics off)", "metrics"),
                       ("depth (floor column = the first page)", "depth")):
        if result.get(key):
            print("\n" + report.table(title, result[key], markdown))
    print("\n" + report.targets_table(result["targets"], markdown))
    print(f"\nwrote {result.get('out', 'bench-results.json')} in {result['duration_s']}s", flush=True)


def parse(argv: list[str]) -> Options:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--smoke", action="store_true", help="tiny data, one scenario, a few seconds")
    p.add_argument("--only", default="", help="comma-separated scenario names")
    p.add_argument("--seconds", type=float, default=2.0, help="per measurement (each side, each round)")
    p.add_argument("--rounds", type=int, default=4, help="floor/gateway alternations; ratios are their median")
    p.add_argument("--warmup", type=float, default=1.0)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--soak", type=int, default=200_000, help="requests in the memory soak (0: none)")
    p.add_argument("--no-two-workers", action="store_true")
    p.add_argument("--limiter", default=",".join(scenarios.LIMITER),
                   help="scenarios also measured with limits off (comma-separated; empty: none)")
    p.add_argument("--metrics", default=",".join(scenarios.METRICS),
                   help="scenarios also measured with metrics off (comma-separated; empty: none)")
    p.add_argument("--latency", default=",".join(scenarios.LATENCY),
                   help="GET scenarios also run through the delaying proxy (comma-separated; empty: none)")
    p.add_argument("--proxy-delay-ms", type=float, default=0.5, help="the proxy's delay, each way")
    p.add_argument("--markdown", metavar="JSON", help="print the tables of an earlier run as Markdown")
    p.add_argument("--out", type=Path, default=ROOT / "bench-results.json")
    p.add_argument("--database", help="database name (default ticketgate_bench, smoke: ticketgate_bench_smoke)")
    a = p.parse_args(argv)
    if a.markdown:
        print_summary(json.loads(Path(a.markdown).read_text()), markdown=True)
        sys.exit(0)
    opts = Options(server_dsn=server_dsn(), seconds=a.seconds, rounds=a.rounds,
                   warmup=a.warmup, connections=a.connections, soak_requests=a.soak,
                   two_workers=not a.no_two_workers, out=a.out,
                   limiter_scenarios=tuple(x for x in a.limiter.split(",") if x),
                   metrics_scenarios=tuple(x for x in a.metrics.split(",") if x),
                   latency_scenarios=tuple(x for x in a.latency.split(",") if x), proxy_delay_ms=a.proxy_delay_ms,
                   only=tuple(x for x in a.only.split(",") if x))
    if a.smoke:
        opts = Options(server_dsn=opts.server_dsn, database="ticketgate_bench_smoke", sizes=seed.TINY,
                       warmup=0.5, seconds=1.0, rounds=1, connections=4, soak_requests=0,
                       only=opts.only or scenarios.SMOKE, two_workers=False, limiter=False,
                       metrics_scenarios=opts.only or scenarios.SMOKE,
                       latency_scenarios=opts.only or scenarios.SMOKE, proxy_delay_ms=opts.proxy_delay_ms, out=a.out)
    if a.database:
        opts.database = a.database
    return opts


def server_dsn() -> str:
    """BENCH_DATABASE_URL, DATABASE_URL, the machine's server on 5432, or the embedded one."""
    configured = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if configured:
        return dsn_for_database(configured, "postgres")

    async def reachable() -> bool:
        try:
            await (await asyncpg.connect(DEFAULT_SERVER, timeout=3)).close()
            return True
        except (OSError, asyncpg.PostgresError, TimeoutError):
            return False

    if asyncio.run(reachable()):
        return DEFAULT_SERVER
    from core.db import start_embedded

    return dsn_for_database(start_embedded(ROOT / ".ticketgate" / "bench"), "postgres")


if __name__ == "__main__":
    # SIGTERM unwinds like Ctrl-C, so every started server is stopped by its PID on the way out
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    main(parse(sys.argv[1:]))
