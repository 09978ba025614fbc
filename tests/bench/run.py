"""``make bench``: ticketgate against the floor of its own stack, side by side, in one run.

Usage: ``python -m tests.bench.run [--smoke] [--out bench-results.json]``; durations and
sizes come from the options (defaults fit a full run in about 12 minutes on 2 cores).
Order of a full run: seed (or reuse) and prepare keys; record every scenario's SQL;
one-worker phase (memory soak, the rate limiter on/off, metrics on/off on three lists,
then every scenario interleaved floor/gateway, the oversell check); two-worker phase; targets, table, JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import pickle
import signal
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from core.db import dsn_for_database
from core.listing import Keyset
from core.models import Scope
from dialects.equaticket.pagination import Cursors
from tests.bench import load as loadgen
from tests.bench import report, scenarios, seed, soak
from tests.bench.recorder import record
from tests.bench.scenarios import Scenario
from tests.bench.servers import ROOT, Server, gateway_env, running, start_floor, start_gateway

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass
class Options:
    server_dsn: str
    database: str = "ticketgate_bench"
    sizes: seed.Sizes = field(default_factory=seed.Sizes)
    warmup: float = 1.0
    seconds: float = 2.0
    rounds: int = 4
    connections: int = 16
    soak_requests: int = 200_000
    soak_max_seconds: float = 100.0  # per process: the gateway, then the floor and the limits-off gateway
    only: tuple[str, ...] = ()
    two_workers: bool = True
    limiter: bool = True
    limiter_scenarios: tuple[str, ...] = scenarios.LIMITER
    metrics: bool = True
    metrics_scenarios: tuple[str, ...] = scenarios.METRICS
    out: Path = ROOT / "bench-results.json"


class Sampler:
    """Peak RSS of a server's workers while a load runs (polled every 100 ms)."""

    def __init__(self, server: Server) -> None:
        self.server, self.peak, self._stop = server, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(Exception):
                self.peak = max(self.peak, *self.server.rss_mb())
            self._stop.wait(0.1)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class Bench:
    def __init__(self, opts: Options, load: loadgen.Load, log_dir: Path) -> None:
        self.opts, self.load, self.log_dir = opts, load, log_dir
        self.memory: soak.Memory | None = None  # the one-worker gateway whose RSS is tracked

    def measure(self, server: Server, url: str, s: Scenario, seconds: float) -> dict[str, Any]:
        cpu = server.cpu_seconds()
        with Sampler(server) as sampler:
            result = loadgen.run(self.load, url, s, seconds)
        result["peak_rss_mb"] = sampler.peak
        # the server's own CPU per request: unlike requests/s, barely moved by other work on the machine
        result["cpu_us"] = (server.cpu_seconds() - cpu) / result["requests"] * 1e6 if result["requests"] else 0.0
        if self.memory is not None and self.memory.server is server:
            self.memory.add(result["requests"])
        return result

    def compare(self, s: Scenario, ref: tuple[Server, str], subj: tuple[Server, str]) -> dict[str, Any]:
        """Warm both, then alternate reference and subject runs so drift hits both alike."""
        self.measure(*ref, s, self.opts.warmup)
        self.measure(*subj, s, self.opts.warmup)
        refs, subjs = [], []
        for _ in range(self.opts.rounds):
            refs.append(self.measure(*ref, s, self.opts.seconds))
            subjs.append(self.measure(*subj, s, self.opts.seconds))
        result = report.pair(refs, subjs)
        print(f"  {s.name:<20} floor {result['floor']['rps']:>7.0f}/s  gateway {result['gateway']['rps']:>7.0f}/s"
              f"  ratio {result['rps_ratio']:.2f}  p99 x{result['p99_ratio']:.2f}"
              f"{'  ERRORS gateway ' + str(result['gateway']['errors']) if result['gateway']['errors'] else ''}"
              f"{'  ERRORS floor ' + str(result['floor']['errors']) if result['floor']['errors'] else ''}", flush=True)
        return result

    def phase(self, gw: Server, floor: Server, chosen: list[Scenario]) -> dict[str, Any]:
        return {s.name: self.compare(s, (floor, f"{floor.url}/s/{s.name}"), (gw, f"{gw.url}{s.path}"))
                for s in chosen}


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


def floor_plan(path: Path, fx: seed.Fixture, chosen: list[Scenario], sql: dict[str, Any]) -> None:
    plans = {s.name: {"kind": s.floor, "statements": sql.get(s.name, []), "status": s.status,
                      "type_id": fx.floor_type, "office": fx.write_office} for s in chosen}
    path.write_bytes(pickle.dumps(plans))


def one_worker(bench: Bench, dsn: str, plan: Path, fx: seed.Fixture, chosen: list[Scenario]) -> dict[str, Any]:
    opts = bench.opts
    gw = start_gateway("gateway-1w", dsn, 1, bench.log_dir)
    off = start_gateway("gateway-1w-nolimits", dsn, 1, bench.log_dir, limits=False) if opts.limiter else None
    bare = (start_gateway("gateway-1w-nometrics", dsn, 1, bench.log_dir, metrics=False)
            if opts.metrics and opts.metrics_scenarios else None)
    floor = start_floor(dsn, 1, plan, bench.log_dir)
    out: dict[str, Any] = {}
    with running(*(s for s in (gw, off, bare, floor) if s is not None)):
        bench.memory = soak.Memory(gw)
        gets = [s for s in chosen if s.name in scenarios.SOAK]
        if opts.soak_requests and gets:
            print(f"memory soak: up to {opts.soak_requests} mixed GET requests on one worker", flush=True)
            soak.prime(bench.load, bench.memory, [s for s in chosen if s.is_get])
            soak.run(bench.load, bench.memory, gets, opts.soak_requests, opts.soak_max_seconds)
            # what the gateway just served, the processes it is compared with serve too: a worker
            # that has served 200,000 requests answers small ones up to 30 % slower than a fresh
            # one (measured: ts_event 0.67 of a fresh floor, 0.89 of one aged alike)
            others = [(floor, [replace(s, path=f"/s/{s.name}") for s in gets]), (off, gets), (bare, gets)]
            for server, rotation in ((server, rotation) for server, rotation in others if server is not None):
                soak.age(bench.load, server, rotation, bench.memory.served, opts.soak_max_seconds)
        out["limiter"] = {}
        served_before_limiter = bench.memory.served
        if off is not None:  # first: the two gateways have served the same requests so far
            print("rate limiter: gateway with limits off vs on", flush=True)
            for s in (s for s in chosen if s.name in opts.limiter_scenarios):
                r = bench.compare(s, (off, f"{off.url}{s.path}"), (gw, f"{gw.url}{s.path}"))
                out["limiter"][f"limiter:{s.name}"] = r
        if bare is not None and out["limiter"] and gets:
            # the limiter's runs aged the gateway: the metrics-off one serves as many first
            soak.age(bench.load, bare, gets, bench.memory.served - served_before_limiter, opts.soak_max_seconds)
        out["metrics"] = compare_gateways(bench, "metrics", bare, gw,
                                          [s for s in chosen if s.name in opts.metrics_scenarios])
        print("one worker: floor vs gateway", flush=True)
        out["results"] = bench.phase(gw, floor, chosen)
        if any(s.name == "checkout" for s in chosen):
            out["oversell"] = asyncio.run(soak.oversell(gw.url, dsn, fx))
        out["memory"] = bench.memory.summary(opts.soak_requests) if opts.soak_requests else {}
        bench.memory = None
    return out


def compare_gateways(bench: Bench, what: str, without: Server | None, gw: Server,
                     chosen: list[Scenario]) -> dict[str, Any]:
    """The gateway against one with ``what`` switched off (same requests served so far)."""
    if without is None or not chosen:
        return {}
    print(f"{what}: gateway with {what} off vs on", flush=True)
    return {f"{what}:{s.name}": bench.compare(s, (without, f"{without.url}{s.path}"), (gw, f"{gw.url}{s.path}"))
            for s in chosen}


def two_workers(bench: Bench, dsn: str, plan: Path, chosen: list[Scenario]) -> dict[str, Any]:
    gw = start_gateway("gateway-2w", dsn, 2, bench.log_dir)
    floor = start_floor(dsn, 2, plan, bench.log_dir)
    with running(gw, floor):
        print("two workers: floor vs gateway", flush=True)
        return bench.phase(gw, floor, [s for s in chosen if s.name in scenarios.TWO_WORKERS])


def main(opts: Options) -> dict[str, Any]:
    started = time.monotonic()
    load = loadgen.Load(connections=opts.connections)
    dsn, fx, chosen, pg = asyncio.run(prepare(opts))
    print(f"load generator: {load.tool}, {opts.connections} connections; {len(chosen)} scenarios", flush=True)
    with tempfile.TemporaryDirectory(prefix="tg-bench-") as tmp:
        log_dir = Path(tmp)
        plan = log_dir / "floor-plan.pickle"
        floor_plan(plan, fx, chosen, asyncio.run(record(gateway_env(dsn), chosen)))
        bench = Bench(opts, load, log_dir)
        one = one_worker(bench, dsn, plan, fx, chosen)
        two = two_workers(bench, dsn, plan, chosen) if opts.two_workers else {}
    result = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": report.machine(pg),
        "config": {**{k: v for k, v in asdict(opts).items() if k not in ("server_dsn", "out")},
                   "load_generator": load.tool, "database": opts.database},
        "one_worker": one["results"], "two_workers": two, "limiter": one["limiter"],
        "memory": one.get("memory", {}), "oversell": one.get("oversell", {}), "metrics": one["metrics"],
    }
    result["targets"] = report.targets(chosen, one["results"], one["limiter"], result["memory"], result["oversell"],
                                       one["metrics"])
    result["duration_s"] = round(time.monotonic() - started, 1)
    result["out"] = str(opts.out)
    opts.out.write_text(json.dumps(result, indent=2, default=str))
    print_summary(result)
    return result


def print_summary(result: dict[str, Any], markdown: bool = False) -> None:
    for title, key in (("one worker", "one_worker"), ("two workers", "two_workers"),
                       ("rate limiter (floor column = limits off)", "limiter"),
                       ("metrics (floor column = metrics off)", "metrics")):
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
                   only=tuple(x for x in a.only.split(",") if x))
    if a.smoke:
        opts = Options(server_dsn=opts.server_dsn, database="ticketgate_bench_smoke", sizes=seed.TINY,
                       warmup=0.5, seconds=1.0, rounds=1, connections=4, soak_requests=0,
                       only=opts.only or scenarios.SMOKE, two_workers=False, limiter=False, metrics=False,
                       out=a.out)
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
