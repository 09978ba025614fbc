"""The phases of a run: the servers each one starts, and the measurements it makes.

One worker: the gateway, the hand floor (floor.py), the same-statements floor (samesql.py) and a
gateway with rate limits off; the hand floor's answers are checked against the gateway's first,
then the memory soak ages every process alike, then the limiter comparison, the metrics
comparison (a fresh pair of gateways of its own), each deep page against its first page, then
every scenario on the three sides, then the oversell check.
Latency: a fresh gateway and hand floor whose database connections pass through the delaying
proxy (proxy.py). Two workers: the gateway against the hand floor.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tests.bench import check, report, scenarios, seed, soak
from tests.bench import load as loadgen
from tests.bench.scenarios import Scenario
from tests.bench.servers import ROOT, ProxyProcess, Server, running, start_floor, start_gateway, start_samesql


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
    soak_max_seconds: float = 100.0  # per process: the gateway, then each process compared with it
    only: tuple[str, ...] = ()
    two_workers: bool = True
    limiter: bool = True
    limiter_scenarios: tuple[str, ...] = scenarios.LIMITER
    metrics: bool = True
    metrics_scenarios: tuple[str, ...] = scenarios.METRICS
    latency_scenarios: tuple[str, ...] = scenarios.LATENCY
    proxy_delay_ms: float = 0.5
    out: Path = ROOT / "bench-results.json"


@dataclass(frozen=True)
class Files:
    """What the floors read: the hand floor's values (JSON), the recorded statements (pickle)."""

    params: Path
    plan: Path


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


Side = tuple[Server, str]  # a server and the URL of the scenario on it


def floor_side(server: Server, s: Scenario) -> Side:
    return server, f"{server.url}/s/{s.name}"


def gateway_side(server: Server, s: Scenario) -> Side:
    return server, f"{server.url}{s.path}"


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

    def compare(self, s: Scenario, ref: Side, subj: Side, second: Side | None = None) -> dict[str, Any]:
        """Warm every side, then alternate reference (second reference) and subject runs so drift hits
        all alike."""
        sides = [ref, subj] if second is None else [ref, second, subj]
        for side in sides:
            self.measure(*side, s, self.opts.warmup)
        runs: list[list[dict[str, Any]]] = [[] for _ in sides]
        for _ in range(self.opts.rounds):
            for runs_of, side in zip(runs, sides, strict=True):
                runs_of.append(self.measure(*side, s, self.opts.seconds))
        result = report.pair(runs[0], runs[-1])
        if second is not None:
            result["samesql"] = report.aggregate(runs[1])
            result["samesql_rps_ratio"] = report.pair(runs[1], runs[-1])["rps_ratio"]
        print(_line(s, result), flush=True)
        return result

    def phase(self, gw: Server, floor: Server, chosen: list[Scenario], samesql: Server | None = None) -> dict[str, Any]:
        return {s.name: self.compare(s, floor_side(floor, s), gateway_side(gw, s),
                                     floor_side(samesql, s) if samesql is not None and s.replayed else None)
                for s in chosen}


def _line(s: Scenario, r: dict[str, Any]) -> str:
    same = f"  same-SQL {r['samesql']['rps']:>7.0f}/s ({r['samesql_rps_ratio']:.2f})" if "samesql" in r else ""
    errors = "".join(f"  ERRORS {side} {r[side]['errors']}" for side in ("floor", "samesql", "gateway")
                     if side in r and r[side]["errors"])
    return (f"  {s.name:<20} floor {r['floor']['rps']:>7.0f}/s{same}  gateway {r['gateway']['rps']:>7.0f}/s"
            f"  ratio {r['rps_ratio']:.2f}  p50 x{r['p50_ratio']:.2f}  p99 x{r['p99_ratio']:.2f}{errors}")


def one_worker(bench: Bench, dsn: str, files: Files, fx: seed.Fixture, chosen: list[Scenario]) -> dict[str, Any]:
    opts = bench.opts
    gw = start_gateway("gateway-1w", dsn, 1, bench.log_dir)
    off = (start_gateway("gateway-1w-nolimits", dsn, 1, bench.log_dir, limits=False)
           if opts.limiter and opts.limiter_scenarios else None)
    floor = start_floor(dsn, 1, files.params, bench.log_dir)
    same = start_samesql(dsn, 1, files.plan, bench.log_dir)
    out: dict[str, Any] = {}
    with running(*(s for s in (gw, off, floor, same) if s is not None)):
        out["matches"] = check.verify(gw.url, floor.url, chosen)
        for name, difference in out["matches"].items():
            print(f"  hand floor {name}: {'same body' if difference is None else 'DIFFERS at ' + difference}",
                  flush=True)
        bench.memory = soak.Memory(gw)
        _soak(bench, chosen, [floor, same], [off] if off is not None else [])
        out["limiter"] = {}
        if off is not None:  # first: the two gateways have served the same requests so far
            print("rate limiter: gateway with limits off vs on", flush=True)
            for s in (s for s in chosen if s.name in opts.limiter_scenarios):
                out["limiter"][f"limiter:{s.name}"] = bench.compare(s, gateway_side(off, s), gateway_side(gw, s))
        out["metrics"] = metrics(bench, dsn, chosen)
        out["depth"] = depth(bench, gw, chosen)  # before the writes: they add rows
        print("one worker: hand floor, same-statements floor, gateway", flush=True)
        out["results"] = bench.phase(gw, floor, chosen, same)
        if any(s.name == "checkout" for s in chosen):
            out["oversell"] = asyncio.run(soak.oversell(gw.url, dsn, fx))
        out["memory"] = bench.memory.summary(opts.soak_requests) if opts.soak_requests else {}
        bench.memory = None
    return out


def _soak(bench: Bench, chosen: list[Scenario], floors: list[Server], gateways: list[Server]) -> None:
    opts = bench.opts
    gets = [s for s in chosen if s.name in scenarios.SOAK]
    if not (opts.soak_requests and gets and bench.memory is not None):
        return
    print(f"memory soak: up to {opts.soak_requests} mixed GET requests on one worker", flush=True)
    soak.prime(bench.load, bench.memory, [s for s in chosen if s.is_get])
    soak.run(bench.load, bench.memory, gets, opts.soak_requests, opts.soak_max_seconds)
    # what the gateway just served, the processes it is compared with serve too: a worker that has
    # served 200,000 requests answers small ones up to 30 % slower than a fresh one (measured:
    # ts_event 0.67 of a fresh floor, 0.89 of one aged alike)
    rotations = [(f, [replace(s, path=f"/s/{s.name}") for s in gets]) for f in floors] + [(g, gets) for g in gateways]
    for server, rotation in rotations:
        soak.age(bench.load, server, rotation, bench.memory.served, opts.soak_max_seconds)


def depth(bench: Bench, gw: Server, chosen: list[Scenario]) -> dict[str, Any]:
    """Each deep page against its list's first page on the gateway, alternating in the same rounds
    (the "time vs first page" targets). Taken from the main phase instead, two scenarios measured
    minutes apart, the ratio was the machine's drift as much as the page's: the hand floor's own
    ratio of the same two pages swung from 0.76 to 1.18 between runs of the same code."""
    named = {s.name: s for s in chosen}
    pairs = [(named[tag[5:]], s) for s in chosen for tag in s.tags if tag.startswith("deep:") and tag[5:] in named]
    if not pairs:
        return {}
    print("depth: the first page (floor column) vs a deep page, on the gateway", flush=True)
    # one scenario for both sides: a deep page and its first page differ by the URL only
    return {f"depth:{deep.name}": bench.compare(deep, gateway_side(gw, first), gateway_side(gw, deep))
            for first, deep in pairs}


def metrics(bench: Bench, dsn: str, chosen: list[Scenario]) -> dict[str, Any]:
    """Metrics on against off: two fresh one-worker gateways, started together and warmed alike (the
    same requests of every GET scenario), so that nothing but the setting tells them apart.

    Measured on the long-lived gateway against a metrics-off one aged by the soak's rotation, the
    figure was the two processes' histories rather than metrics: -1 % to +10 % between runs of the
    same code, for a cost of 1.6 us a request (``timeit``).
    """
    picked = [s for s in chosen if s.name in bench.opts.metrics_scenarios]
    if not (bench.opts.metrics and picked):
        return {}
    on = start_gateway("gateway-metrics-on", dsn, 1, bench.log_dir)
    off = start_gateway("gateway-metrics-off", dsn, 1, bench.log_dir, metrics=False)
    with running(on, off):
        for server in (on, off):
            soak.warm(bench.load, server, [s for s in chosen if s.is_get])
        print("metrics: fresh gateways with metrics off vs on", flush=True)
        return {f"metrics:{s.name}": bench.compare(s, gateway_side(off, s), gateway_side(on, s)) for s in picked}


def latency(bench: Bench, dsn: str, files: Files, chosen: list[Scenario]) -> dict[str, Any]:
    """A fresh one-worker gateway and hand floor, both connected through the delaying proxy."""
    picked = [s for s in chosen if s.name in bench.opts.latency_scenarios]
    if not picked:
        return {}
    proxy = ProxyProcess(dsn, bench.opts.proxy_delay_ms, bench.log_dir)
    try:
        far = proxy.dsn(dsn)
        gw = start_gateway("gateway-latency", far, 1, bench.log_dir)
        floor = start_floor(far, 1, files.params, bench.log_dir, name="floor-latency")
        with running(gw, floor):
            print(f"latency: {bench.opts.proxy_delay_ms} ms each way between the servers and PostgreSQL", flush=True)
            return bench.phase(gw, floor, picked)
    finally:
        proxy.stop()


def two_workers(bench: Bench, dsn: str, files: Files, chosen: list[Scenario]) -> dict[str, Any]:
    gw = start_gateway("gateway-2w", dsn, 2, bench.log_dir)
    floor = start_floor(dsn, 2, files.params, bench.log_dir, name="floor-2w")
    with running(gw, floor):
        print("two workers: hand floor vs gateway", flush=True)
        return bench.phase(gw, floor, [s for s in chosen if s.name in scenarios.TWO_WORKERS])
