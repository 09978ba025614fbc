"""The harness's parts on a tiny seeded database, cheaply: the hand floor answers every GET
scenario as the gateway does, the proxy delays and keeps every byte, the round-trip counter counts."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from core.db import drop_database
from tests.bench import check, floor, proxy, report, run, seed
from tests.bench.phases import Files, Options
from tests.bench.recorder import Recorder, record, recording_gateway
from tests.bench.scenarios import Scenario
from tests.bench.servers import gateway_env
from tests.bench.test_smoke import _server


@pytest.fixture
async def bench() -> AsyncIterator[tuple[str, run.seed.Fixture, list[Scenario]]]:
    server = _server()
    name = f"tg_bench_parts_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"
    try:
        dsn, fx, chosen, _ = await run.prepare(Options(server_dsn=server, database=name, sizes=seed.TINY))
        yield dsn, fx, chosen
    finally:
        await drop_database(server, name)


def _gets(chosen: list[Scenario]) -> list[Scenario]:
    return [s for s in chosen if s.is_get and s.floor == "sql"]


async def test_the_hand_floor_answers_every_get_scenario_as_the_gateway(
    bench: tuple[str, seed.Fixture, list[Scenario]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dsn, fx, chosen = bench
    files = Files(tmp_path / "params.json", tmp_path / "plan.pickle")
    run.write_files(files, fx, chosen, {}, run.public_base_url())
    monkeypatch.setenv("DATABASE_URL", dsn)
    monkeypatch.setenv("BENCH_FLOOR_PARAMS", str(files.params))
    assert len(_gets(chosen)) == 15
    transport = httpx.ASGITransport(app=floor.app)
    async with (floor.lifespan(floor.app), recording_gateway(gateway_env(dsn), Recorder()) as gateway,
                httpx.AsyncClient(transport=transport, base_url="http://floor") as hand):
        for s in _gets(chosen):
            gw = await gateway.get(s.path, headers=s.headers)
            assert gw.status_code == 200, (s.name, gw.text[:300])
            assert check.compare(gw, await hand.get(f"/s/{s.name}")) is None, s.name


def test_the_comparison_names_the_first_difference() -> None:
    assert check.first_difference({"a": [1, {"b": True}]}, {"a": [1, {"b": True}]}) is None
    assert check.first_difference({"a": [1, {"b": True}]}, {"a": [1, {"b": 1}]}) == "$.a[1].b: True != 1"
    assert check.first_difference({"a": "true"}, {"a": True}) == "$.a: 'true' != True"
    assert check.first_difference({"a": 1}, {"a": 1, "b": None}) == "$.b: missing != None"
    assert check.first_difference([1, 2], [1]) == "$: 2 items != 1 items"


async def test_the_proxy_delays_each_way_and_keeps_every_byte(bench: tuple[str, seed.Fixture, list[Scenario]]) -> None:
    dsn = bench[0]
    payload = os.urandom(3 * proxy.CHUNK + 17)  # several chunks each way
    with proxy.Proxy(dsn, delay_s=0.02) as delaying:
        conn = await asyncpg.connect(delaying.dsn(dsn))
        try:
            await conn.fetchval("SELECT $1::bytea", b"")  # prepared: later calls are one round trip each
            started = time.monotonic()
            echoed, digest = await conn.fetchrow("SELECT $1::bytea, md5($1::bytea)", payload)
            await conn.fetchval("SELECT 1")
            elapsed = time.monotonic() - started
        finally:
            await conn.close()
    assert echoed == payload and digest == hashlib.md5(payload).hexdigest()
    assert elapsed >= 3 * 2 * 0.02  # a new statement (2 round trips) and a prepared one, 2 x 20 ms each


async def test_the_counter_counts_round_trips_not_statements(bench: tuple[str, seed.Fixture, list[Scenario]]) -> None:
    dsn = bench[0]
    with proxy.Proxy(dsn) as counter:
        conn = await asyncpg.connect(counter.dsn(dsn))
        try:
            turns = []
            for _ in range(2):
                before = counter.turns
                await conn.fetchval("SELECT $1::int + 1", 1)
                turns.append(counter.turns - before)
            before = counter.turns
            async with conn.transaction():
                await conn.fetchval("SELECT $1::int + 1", 2)
            turns.append(counter.turns - before)
        finally:
            await conn.close()
    assert turns == [2, 1, 3]  # Parse/Describe then Bind/Execute; prepared; BEGIN, statement, COMMIT


async def test_the_recorder_counts_each_scenarios_statements_and_round_trips(
    bench: tuple[str, seed.Fixture, list[Scenario]]
) -> None:
    dsn, _, chosen = bench
    picked = [s for s in chosen if s.name in ("ts_event", "tt_orders", "tt_ping", "ts_patch_event")]
    plans, counts = await record(gateway_env(dsn), picked)
    assert counts["ts_event"] == {"statements": 1, "round_trips": 1}
    assert counts["tt_orders"] == {"statements": 1, "round_trips": 1}
    assert counts["tt_ping"] == {"statements": 0, "round_trips": 0}
    assert counts["ts_patch_event"] == {"statements": 1, "round_trips": 1}  # one UPDATE building the answer
    assert [sql for sql, _ in plans["ts_event"]] and "api_keys" not in plans["ts_event"][0][0]


async def test_a_run_keeps_a_day_of_keys_and_undoing_the_writes_leaves_the_read_data_alone(
    bench: tuple[str, seed.Fixture, list[Scenario]]
) -> None:
    dsn, fx, _ = bench
    kept = "SELECT count(*) FROM idempotency_keys WHERE box_office_id = $1 AND expires_at > now()"
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval(kept, fx.read_office) == seed.TINY.orders // 20
        await seed.prepare_run(dsn, seed.TINY)  # renewed, not added to
        assert await conn.fetchval(kept, fx.read_office) == seed.TINY.orders // 20
        events = await conn.fetchval("SELECT count(*) FROM events WHERE box_office_id = $1", fx.read_office)
        await seed.undo_writes(dsn)
        assert await conn.fetchval("SELECT count(*) FROM box_offices WHERE slug = $1", seed.WRITE_SLUG) == 0
        assert await conn.fetchval("SELECT count(*) FROM events WHERE box_office_id = $1", fx.read_office) == events
        assert await conn.fetchval("SELECT count(*) FROM event_series s WHERE NOT EXISTS"
                                   " (SELECT 1 FROM box_offices b WHERE b.id = s.box_office_id)") == 0
    finally:
        await conn.close()


def test_a_deep_page_is_judged_by_its_paired_rounds_with_the_first_page() -> None:
    deep = Scenario("tt_tickets_deep", "deep", "/deep", {}, tags=("list", "deep:tt_tickets"))
    side = {"rps": 100.0, "errors": 0}
    measured = {"floor": side, "gateway": side, "rps_ratio": 1.0, "p99_ratio": 1.0}
    result = {"one_worker": {"tt_tickets": measured, "tt_tickets_deep": measured}, "limiter": {}, "memory": {},
              "oversell": {}, "depth": {"depth:tt_tickets_deep": {
                  "floor": {"rps": 2000.0}, "gateway": {"rps": 1600.0}, "rps_ratio": 0.8}}}
    [judged] = [t for t in report.targets([deep], result) if "time vs" in t["target"]]
    assert judged["target"] == "tt_tickets_deep: time vs tt_tickets"
    assert judged["value"] == 1.25 and not judged["pass"]  # 1 / 0.8, the limit 1.2
    result["depth"] = {}
    assert not [t for t in report.targets([deep], result) if "time vs" in t["target"]]


def test_a_target_is_judged_by_the_value_it_shows() -> None:
    at_limit = report._target("metrics cost", 1 - 0.97, 0.03, at_most=True)  # 0.030000000000000027
    assert at_limit["value"] == 0.03 and at_limit["pass"]
    assert not report._target("metrics cost", 1 - 0.969, 0.03, at_most=True)["pass"]
    assert report._target("rps", 0.7996, 0.8, at_most=False)["pass"]  # shown as 0.8
    assert not report._target("rps", 0.7994, 0.8, at_most=False)["pass"]
