"""Load generation: wrk on loopback when installed, else a small built-in httpx loop.

Both return the same summary: requests, duration, requests/s, p50/p90/p99 latency in
milliseconds, and error counts (transport errors; responses other than the expected status).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.bench.scenarios import Scenario

LUA = Path(__file__).resolve().parent / "wrk" / "request.lua"


@dataclass(frozen=True)
class Load:
    connections: int = 16
    threads: int = 1
    timeout_s: int = 5

    @property
    def tool(self) -> str:
        return "wrk" if shutil.which("wrk") and not os.environ.get("BENCH_NO_WRK") else "python"


def run(load: Load, url: str, s: Scenario, seconds: float) -> dict[str, Any]:
    result = _wrk(load, url, s, seconds) if load.tool == "wrk" else asyncio.run(_python(load, url, s, seconds))
    result["rps"] = result["requests"] / result["duration_s"] if result["duration_s"] else 0.0
    return result


def run_count(load: Load, url: str, s: Scenario, requests: int) -> dict[str, Any]:
    """``requests`` requests of one scenario at full concurrency (the built-in loop: wrk only
    knows durations), so a warm-up costs the same number of requests on any machine."""
    result = asyncio.run(_python(load, url, s, seconds=120.0, limit=requests))
    result["rps"] = result["requests"] / result["duration_s"] if result["duration_s"] else 0.0
    return result


def run_mixed(load: Load, base_url: str, mixed: list[Scenario], seconds: float) -> dict[str, Any]:
    """GET scenarios in rotation (the memory soak): every connection cycles through all of them."""
    if load.tool == "wrk":
        result = _wrk(load, base_url + mixed[0].path, mixed[0], seconds, _rotation(mixed))
    else:
        result = asyncio.run(_python(load, base_url, mixed, seconds))
    result["rps"] = result["requests"] / result["duration_s"] if result["duration_s"] else 0.0
    return result


def _lua_text(text: str) -> str:
    return "[==[" + text + "]==]"


def _rotation(mixed: list[Scenario]) -> str:
    items = []
    for s in mixed:
        headers = ", ".join(f"[ {_lua_text(k)} ] = {_lua_text(v)}" for k, v in s.headers.items())
        items.append(f"wrk.format({_lua_text(s.method)}, {_lua_text(s.path)}, {{{headers}}})")
    return (f"dofile({_lua_text(str(LUA))})\nlocal rotation = nil\nlocal i = 0\n"
            "function request()\n"
            f"  if rotation == nil then rotation = {{{', '.join(items)}}} end\n"
            "  i = i % #rotation + 1\n  return rotation[i]\nend\n")


def _wrk(load: Load, url: str, s: Scenario, seconds: float, script: str | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="tg-bench-") as tmp:
        out = Path(tmp) / "summary.json"
        lua = LUA
        if script is not None:
            lua = Path(tmp) / "mixed.lua"
            lua.write_text(script)
        env = {**os.environ, "BENCH_METHOD": s.method, "BENCH_BODY": s.body or "",
               "BENCH_HEADERS": "\n".join(f"{k}: {v}" for k, v in s.headers.items()),
               "BENCH_UNIQUE_KEY": "1" if s.unique_key else "0",
               "BENCH_RUN_ID": uuid.uuid4().hex[:12], "BENCH_OUT": str(out)}
        cmd = ["wrk", f"-t{load.threads}", f"-c{load.connections}", f"-d{max(1, round(seconds))}s",
               f"--timeout={load.timeout_s}s", "-s", str(lua), url]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=seconds + 30)
        if proc.returncode != 0 or not out.exists():
            raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")
        return json.loads(out.read_text())


async def _python(
    load: Load, url: str, scenario: Scenario | list[Scenario], seconds: float, limit: int | None = None
) -> dict[str, Any]:
    """A closed loop of ``connections`` workers, each sending its next request when the last returns,
    until ``seconds`` have passed or ``limit`` requests have been sent.

    With a list of scenarios, ``url`` is the server's base URL and each worker rotates through them.
    """
    mixed = scenario if isinstance(scenario, list) else None
    latencies: list[float] = []
    errors = status_errors = sent = 0
    run_id = uuid.uuid4().hex[:12]
    limits = httpx.Limits(max_connections=load.connections, max_keepalive_connections=load.connections)

    async def worker(client: httpx.AsyncClient, wid: int, deadline: float) -> None:
        nonlocal errors, status_errors, sent
        n = 0
        while time.monotonic() < deadline and (limit is None or sent < limit):
            n += 1
            sent += 1
            s = mixed[(wid + n) % len(mixed)] if mixed else scenario
            assert isinstance(s, Scenario)
            target = url + s.path if mixed else url
            headers, body = dict(s.headers), s.body
            if s.unique_key:
                headers["Idempotency-Key"] = f"{run_id}-{wid}-{n}"
                body = (body or "").replace("{n}", headers["Idempotency-Key"])
            started = time.perf_counter()
            try:
                response = await client.request(s.method, target, headers=headers, content=body)
            except httpx.HTTPError:
                errors += 1
                continue
            latencies.append(time.perf_counter() - started)
            status_errors += response.status_code >= 400

    async with httpx.AsyncClient(limits=limits, timeout=load.timeout_s) as client:
        started = time.monotonic()
        deadline = started + seconds
        await asyncio.gather(*(worker(client, i, deadline) for i in range(load.connections)))
        duration = time.monotonic() - started
    return {"requests": len(latencies), "duration_s": duration, "errors": errors,
            "status_errors": status_errors, **_percentiles(latencies)}


def _percentiles(latencies: list[float]) -> dict[str, float]:
    if not latencies:
        return {"p50_ms": 0.0, "p90_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
    ordered = sorted(latencies)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {"p50_ms": at(0.50), "p90_ms": at(0.90), "p99_ms": at(0.99), "max_ms": ordered[-1] * 1000}
