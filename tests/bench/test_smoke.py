"""The benchmark harness end to end on a tiny dataset: seed, record, the floors and the gateway,
one scenario, also through the delaying proxy (the parts alone: test_harness.py).

Runs in CI: with wrk missing the harness uses its built-in httpx load loop (and says so in
the JSON), it never skips.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.db import drop_database, dsn_for_database, start_embedded

ROOT = Path(__file__).resolve().parents[2]
SIDES = ("floor", "samesql", "gateway")
FIGURES = ("requests", "rps", "p50_ms", "p99_ms", "errors", "peak_rss_mb")


def _server() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return dsn_for_database(url, "postgres")
    if os.environ.get("CI"):
        pytest.fail("CI must set TEST_DATABASE_URL")
    return dsn_for_database(start_embedded(ROOT / ".ticketgate-test"), "postgres")


async def test_smoke_run_writes_the_results_json(tmp_path: Path) -> None:
    server = _server()
    name = f"tg_bench_smoke_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"
    out = tmp_path / "bench-results.json"
    env = {**os.environ, "BENCH_DATABASE_URL": server}
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "tests.bench.run", "--smoke", "--database", name, "--out", str(out)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=240,
        )
    finally:
        await drop_database(server, name)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(out.read_text())

    wrk = shutil.which("wrk") and not os.environ.get("BENCH_NO_WRK")
    assert result["config"]["load_generator"] == ("wrk" if wrk else "python")
    assert {"nproc", "cpu", "memory_gb", "postgresql"} <= set(result["machine"])
    scenario = result["one_worker"]["ts_events"]
    for side in SIDES:
        assert set(FIGURES) <= set(scenario[side])
        assert scenario[side]["requests"] > 0 and scenario[side]["errors"] == 0
    assert scenario["rps_ratio"] > 0 and scenario["p99_ratio"] > 0 and scenario["samesql_rps_ratio"] > 0
    assert result["hand_floor_matches"] == {"ts_events": None}
    assert result["round_trips"]["ts_events"] == {"statements": 1, "round_trips": 1}
    assert scenario["round_trips"] == 1
    paired = result["metrics"]["metrics:ts_events"]  # its own pair of gateways, metrics off and on
    assert paired["floor"]["requests"] > 0 and paired["gateway"]["errors"] == 0 and paired["rps_ratio"] > 0
    far = result["latency"]["ts_events"]
    assert far["floor"]["requests"] > 0 and far["gateway"]["errors"] == 0 and far["p50_ratio"] > 0
    assert {t["target"] for t in result["targets"]} >= {
        "ts_events: rps vs floor", "ts_events: p99 vs floor", "ts_events: round trips per request",
        "latency:ts_events: p50 vs floor"}
    assert all({"value", "limit", "pass"} <= set(t) for t in result["targets"])
