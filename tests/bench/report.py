"""Aggregating runs, judging the targets, and printing the table (text and Markdown)."""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
from pathlib import Path
from typing import Any

from tests.bench.scenarios import Scenario

GET_RPS_MIN = 0.8  # of the hand floor's requests/s
GET_P99_MAX = 1.5  # times the hand floor's p99
LATENCY_P50_MAX = 1.2  # through the delaying proxy: times the hand floor's p50
GET_ROUND_TRIPS = 1  # per request, exactly
CREATE_MIN = 0.5  # creating an event, of one INSERT's requests/s
CURSOR_DEEP_MAX = 1.2  # deep cursor page time over first page time
PAGE_DEEP_MAX = 2.0  # TicketSmart page 100 over page 1
AUTH_COST_MAX = 0.10  # auth + rate limit, as a share of a list request
RSS_GROWTH_MAX = 1.10
RSS_MAX_MB = 150.0
CHECKOUT_MIN = 0.5  # of the floor's single-statement UPDATE rate
METRICS_COST_MAX = 0.03  # requests/s lost to metrics on a list request (metrics on vs off)


def aggregate(runs: list[dict[str, Any]]) -> dict[str, Any]:
    requests = sum(r["requests"] for r in runs)
    duration = sum(r["duration_s"] for r in runs)
    return {
        "requests": requests,
        "rps": round(requests / duration, 1) if duration else 0.0,
        "p50_ms": round(statistics.mean(r["p50_ms"] for r in runs), 2),
        "p99_ms": round(statistics.mean(r["p99_ms"] for r in runs), 2),
        "errors": sum(r["errors"] + r["status_errors"] for r in runs),
        "peak_rss_mb": max((r.get("peak_rss_mb", 0.0) for r in runs), default=0.0),
        "cpu_us": round(statistics.median(r.get("cpu_us", 0.0) for r in runs), 1) if runs else 0.0,
    }


def pair(references: list[dict[str, Any]], subjects: list[dict[str, Any]]) -> dict[str, Any]:
    """Both sides' totals, and the ratios as the median over rounds of each round's own ratio.

    Each round measures the floor, then the gateway, back to back: the machine's drift (other
    work on the two cores, frequency, the floor itself at times 2x apart between runs) moves
    both sides of a round alike, and the median keeps one disturbed round from deciding.
    """
    def ratio(key: str) -> float:
        per_round = [s[key] / r[key] for r, s in zip(references, subjects, strict=True) if r[key]]
        return round(statistics.median(per_round), 3) if per_round else 0.0

    return {"floor": aggregate(references), "gateway": aggregate(subjects),
            "rps_ratio": ratio("rps"), "p50_ratio": ratio("p50_ms"), "p99_ratio": ratio("p99_ms"),
            "cpu_ratio": ratio("cpu_us"),
            "rounds": len(references)}


def _target(name: str, value: float | None, limit: float, *, at_most: bool, detail: str = "") -> dict[str, Any]:
    # judged as shown, to three decimals: the ratios are rounded so, and 1 - 0.97 is 0.030000000000000027
    shown = None if value is None else round(value, 3)
    ok = shown is not None and (shown <= limit if at_most else shown >= limit)
    return {"target": name, "value": shown, "limit": f"{'<=' if at_most else '>='} {limit}", "pass": ok,
            "detail": detail}


def targets(scenarios: list[Scenario], result: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target of a run (``result``: run.py's JSON before the targets are added)."""
    one = result["one_worker"]
    out = []
    for s in scenarios:
        if s.name in one:
            out += _scenario_targets(s, one, result.get("hand_floor_matches", {}), result.get("depth", {}))
        if s.is_get and s.floor == "sql" and s.name in result.get("round_trips", {}):
            trips = result["round_trips"][s.name]["round_trips"]
            out.append({**_target(f"{s.name}: round trips per request", trips, GET_ROUND_TRIPS, at_most=True),
                        "limit": f"== {GET_ROUND_TRIPS}", "pass": trips == GET_ROUND_TRIPS,
                        "detail": f"{result['round_trips'][s.name]['statements']} statements"})
    for name, r in result.get("latency", {}).items():
        out.append(_target(f"latency:{name}: p50 vs floor", r["p50_ratio"], LATENCY_P50_MAX, at_most=True,
                           detail=f"p50 {r['floor']['p50_ms']:.2f} -> {r['gateway']['p50_ms']:.2f} ms"))
    lists = {s.name for s in scenarios if "list" in s.tags}
    limiter = {k: v for k, v in result["limiter"].items() if k.removeprefix("limiter:") in lists}
    out += _auth_target(one, limiter)
    out += [_target(f"{name}: metrics cost (metrics on vs off)", 1 - r["rps_ratio"], METRICS_COST_MAX, at_most=True,
                    detail=f"server CPU per request {r['floor']['cpu_us']:.0f} -> {r['gateway']['cpu_us']:.0f} us"
                    f" (x{r.get('cpu_ratio', 0):.3f})")
            for name, r in (result.get("metrics") or {}).items() if name.removeprefix("metrics:") in lists]
    out += _memory_targets(result["memory"])
    if "checkout" in one:
        out.append(_target("checkout: rps vs single UPDATE", one["checkout"]["rps_ratio"], CHECKOUT_MIN,
                           at_most=False))
    if result["oversell"]:
        out.append(_target("checkout: oversold seats", result["oversell"]["oversold"], 0, at_most=True,
                           detail=result["oversell"]["detail"]))
    return out


def _scenario_targets(s: Scenario, one: dict[str, Any], matches: dict[str, str | None],
                      depth: dict[str, Any]) -> list[dict[str, Any]]:
    r = one[s.name]
    out = []
    if s.is_get and s.floor == "sql":
        problem = _invalid(r, matches, s.name)
        out.append(_target(f"{s.name}: rps vs floor", None if problem else r["rps_ratio"], GET_RPS_MIN,
                           at_most=False, detail=problem or _samesql(r)))
        out.append(_target(f"{s.name}: p99 vs floor", None if problem else r["p99_ratio"], GET_P99_MAX,
                           at_most=True, detail=problem))
    if "create" in s.tags:
        out.append(_target(f"{s.name}: rps vs one INSERT", r["rps_ratio"], CREATE_MIN, at_most=False))
    paired = depth.get(f"depth:{s.name}")  # the deep page over the first, in alternating rounds
    for tag in s.tags:
        if tag.startswith("deep:") and paired:
            limit = PAGE_DEEP_MAX if s.name.startswith("ts_") else CURSOR_DEEP_MAX
            ratio = paired["rps_ratio"]
            out.append(_target(f"{s.name}: time vs {tag[5:]}", 1 / ratio if ratio else None, limit, at_most=True,
                               detail=f"paired rounds: first page {paired['floor']['rps']:.0f}/s,"
                               f" deep {paired['gateway']['rps']:.0f}/s"))
    return out


def _invalid(r: dict[str, Any], matches: dict[str, str | None], name: str) -> str:
    """Why a GET scenario's ratios do not count: error responses, or a hand floor that answers otherwise."""
    if name not in matches:
        return "hand floor not checked: invalid"
    if matches[name] is not None:
        return f"hand floor differs at {matches[name]}: invalid"
    if r["gateway"]["errors"] or r["floor"]["errors"]:
        return "error responses: figures invalid"
    return ""


def _samesql(r: dict[str, Any]) -> str:
    return f"same-statements floor ratio {r['samesql_rps_ratio']:.2f}" if "samesql_rps_ratio" in r else ""


def _auth_target(one: dict[str, Any], limiter: dict[str, Any]) -> list[dict[str, Any]]:
    """Per-request cost of auth + limit + pipeline (ping minus a static floor) over a list request."""
    if "tt_ping" not in one or "ts_events" not in one:
        return []
    ping, static = one["tt_ping"]["gateway"]["rps"], one["tt_ping"]["floor"]["rps"]
    listed = one["ts_events"]["gateway"]["rps"]
    share = (1 / ping - 1 / static) / (1 / listed)
    out = [_target("auth + rate limit: share of a list request", share, AUTH_COST_MAX, at_most=True,
                   detail=f"ping {ping:.0f}/s, static floor {static:.0f}/s, ts_events {listed:.0f}/s")]
    for name, r in limiter.items():
        cost = 1 - r["rps_ratio"]
        out.append(_target(f"{name}: rate limiter cost (limits on vs off)", cost, AUTH_COST_MAX, at_most=True))
    return out


def _memory_targets(memory: dict[str, Any]) -> list[dict[str, Any]]:
    if not memory:
        return []
    early, late = memory.get("rss_at_20k_mb"), memory.get("rss_at_200k_mb")
    growth = late / early if early and late else None
    detail = (f"{early} MB -> {late} MB; {memory['requests']} requests served, final {memory['final_rss_mb']} MB"
              if late else f"only {memory['requests']} requests served: not measured")
    return [_target("memory: RSS after 200k / after 20k", growth, RSS_GROWTH_MAX, at_most=True, detail=detail),
            _target("memory: RSS after 200k (MB)", late, RSS_MAX_MB, at_most=True)]


def machine(pg_version: str) -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")),
                 platform.processor())
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem_kb = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
    wrk = "missing"
    if shutil.which("wrk"):
        first = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.splitlines()[0:1]
        wrk = first[0].split(" [")[0] if first else "wrk"
    return {"nproc": os.cpu_count(), "cpu": model, "memory_gb": round(mem_kb / 2**20, 1),
            "postgresql": pg_version, "python": platform.python_version(), "load_generator": wrk}


def table(title: str, results: dict[str, Any], markdown: bool = False) -> str:
    """One row per scenario: the hand floor, the same-statements floor (when measured), the gateway."""
    head = ("scenario", "floor rps", "same-SQL rps", "gw rps", "ratio", "same-SQL ratio", "floor p50/p99 ms",
            "gw p50/p99 ms", "p50 x", "p99 x", "stmts/RTs", "RSS MB")
    rows = [head]
    for name, r in results.items():
        f, g, same = r["floor"], r["gateway"], r.get("samesql")
        errors = g["errors"] or f["errors"] or (same or {}).get("errors")
        mismatch = r.get("hand_floor_match") is not None
        rows.append((name, f"{f['rps']:.0f}", f"{same['rps']:.0f}" if same else "-", f"{g['rps']:.0f}",
                     f"{r['rps_ratio']:.2f}" + (" !" if mismatch else ""),
                     f"{r['samesql_rps_ratio']:.2f}" if same else "-",
                     f"{f['p50_ms']:.1f}/{f['p99_ms']:.1f}", f"{g['p50_ms']:.1f}/{g['p99_ms']:.1f}",
                     f"{r.get('p50_ratio', 0):.2f}", f"{r['p99_ratio']:.2f}",
                     f"{r['statements']}/{r['round_trips']}" if "round_trips" in r else "-",
                     f"{g['peak_rss_mb']:.0f}" + (" E" if errors else "")))
    note = "\n(! the hand floor's body differs from the gateway's: ratio invalid)" if any(
        r.get("hand_floor_match") is not None for r in results.values()) else ""
    if markdown:
        lines = ["| " + " | ".join(row) + " |" for row in rows]
        lines.insert(1, "|" + "---|" * len(head))
        return f"**{title}**\n\n" + "\n".join(lines) + note
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    body = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
            for row in rows]
    return f"== {title}\n" + "\n".join(body) + note


def targets_table(items: list[dict[str, Any]], markdown: bool = False) -> str:
    if markdown:
        lines = ["| target | value | limit | result |", "|---|---|---|---|"]
        lines += [f"| {t['target']} | {t['value']} | {t['limit']} | {'pass' if t['pass'] else 'MISS'}"
                  f"{' (' + t['detail'] + ')' if t['detail'] else ''} |" for t in items]
        return "\n".join(lines)
    return "\n".join(f"{'PASS' if t['pass'] else 'MISS'}  {t['target']}: {t['value']} (limit {t['limit']})"
                     f"{'  ' + t['detail'] if t['detail'] else ''}" for t in items)
