"""`ticketgate shadow` end to end: a real proxy process on loopback in front of "vendor A".

Vendor A is the test ticketgate serving Ticket Tailor; the candidate is a second ticketgate
(its own database) that the box office was imported into, answering as Equaticket. An
integration's session goes through the proxy; the candidate has been changed behind the
import's back, and the proxy's live summary, its page, its metrics and the report written on
stop must show exactly those differences, and nothing secret.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.migration.run import import_box_office
from tests.migration.conftest import target_key
from tests.migration.test_end_to_end import SECRET, client_session, serving
from tests.migration.test_translated_writes import ticketsmart_session
from tests.migration.test_writes import equaticket_session
from tests.ops.procs import Proc, free_port, process_env, running

STOP_TIMEOUT = 30.0


@contextlib.contextmanager
def shadow(tmp_path: Path, dsn: str, *args: str) -> Iterator[tuple[Proc, str]]:
    port = free_port()
    with running(["shadow", "--listen", f"127.0.0.1:{port}", *args], process_env(dsn, tmp_path / "data"),
                 tmp_path) as proc:
        yield proc, f"http://127.0.0.1:{port}"


async def until_serving(proc: Proc, base: str) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=2) as client:
        async def ready() -> bool:
            with contextlib.suppress(httpx.TransportError):
                return (await client.get("/_shadow/summary.json")).status_code == 200
            return False

        deadline = time.monotonic() + 30
        while not await ready():
            if proc.popen.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"shadow did not start\n{proc.output}")
            await asyncio.sleep(0.1)


async def summary_when(base: str, done: Any, timeout: float = 20.0) -> dict:
    """The live summary, polled until ``done(summary)``."""
    async with httpx.AsyncClient(base_url=base, timeout=5) as client:
        deadline = time.monotonic() + timeout
        while True:
            summary = (await client.get("/_shadow/summary.json")).json()
            if done(summary) or time.monotonic() > deadline:
                return summary
            await asyncio.sleep(0.1)


async def stop(proc: Proc) -> int:
    proc.popen.send_signal(2)  # SIGINT, as Ctrl-C: uvicorn shuts down, the report is written
    return await proc.exit_code(STOP_TIMEOUT)


async def test_shadow_serves_the_primary_and_finds_the_candidates_differences(
        app, vendor, target_gateway, target_app, target_conn, target_office, tmp_path):
    tt_key = vendor["keys"]["tickettailor"]
    eq_key = await target_key(target_conn, target_office, "equaticket")
    report = tmp_path / "shadow" / "report.html"
    async with serving(app) as vendor_url, serving(target_app) as target_url:
        primary = f"{vendor_url}/tickettailor"
        imported = await import_box_office(target_conn, "tickettailor", primary, tt_key, target_office["slug"],
                                           progress=False)
        assert imported["complete"], imported
        # differences injected on the candidate: the first listed event renamed, the first listed order's
        # total changed (the objects the session opens)
        async with httpx.AsyncClient(base_url=primary, auth=(tt_key, "")) as direct:
            event = (await direct.get("/v1/events", params={"limit": 2})).json()["data"][0]
            order = (await direct.get("/v1/orders", params={"limit": 4})).json()["data"][0]
        await target_conn.execute("UPDATE events SET title = 'Renamed on the candidate' WHERE id = $1",
                                  await imported_id(target_conn, target_office, "event", event["id"]))
        await target_conn.execute("UPDATE orders SET total = total + 1 WHERE id = $1",
                                  await imported_id(target_conn, target_office, "order", order["id"]))
        with shadow(tmp_path, target_gateway.settings.database_url, "--primary", primary, "--dialect", "tickettailor",
                    "--candidate", f"{target_url}/equaticket", "--as", "equaticket", "--key", eq_key,
                    "--box-office", target_office["slug"], "--report", str(report),
                    "--redact-secret", SECRET) as (proc, proxy):
            await until_serving(proc, proxy)
            async with httpx.AsyncClient(auth=(tt_key, "")) as direct:  # the primary's answer, unchanged
                path = f"/v1/events/{event['id']}"
                via, plain = await direct.get(proxy + path), await direct.get(primary + path)
                assert (via.status_code, via.json()) == (plain.status_code, plain.json())
                assert via.headers["x-rate-limit-limit"] == plain.headers["x-rate-limit-limit"]
                # personal data in a path reaches no report: the reason it has no equivalent is redacted
                assert (await direct.get(proxy + "/v1/orders/buyer00@mail.test")).status_code == 404
            await client_session(proxy, tt_key)
            live = await summary_when(proxy, lambda s: s["totals"]["requests"] == 12)
            async with httpx.AsyncClient(base_url=proxy) as client:
                page = (await client.get("/_shadow/")).text
                metrics = (await client.get("/_shadow/metrics")).text
            assert await stop(proc) == 0, proc.output
    endpoints = live["endpoints"]
    detail = endpoints["GET /v1/events/{id}"]
    assert (detail["requests"], detail["matches"], detail["with_differences"]) == (2, 0, 2), detail
    assert [d["field"] for d in detail["field_differences"]] == ["item.title"]
    assert detail["field_differences"][0]["example"] == {"source": event["name"], "target": "Renamed on the candidate"}
    listing = endpoints["GET /v1/events"]
    assert (listing["matches"], listing["with_differences"]) == (1, 1), listing  # the renamed show is on page 1
    orders = endpoints["GET /v1/orders"]  # page 1 holds the changed order, page 2 not, created_at.gte: no equivalent
    assert (orders["matches"], orders["with_differences"], orders["no_equivalent"]) == (1, 1, 1), orders
    one = endpoints["GET /v1/orders/{id}"]
    assert one["with_differences"] == 1 and [d["field"] for d in one["field_differences"]] == ["item.total"], one
    assert [reason.split("@")[-1] for reason in one["no_equivalent_reasons"]] == [
        "example.invalid' has no known counterpart in the target (not imported?)"]
    assert endpoints["GET /v1/issued_tickets"]["matches"] == 1
    assert endpoints["GET /v1/ping"]["no_equivalent"] == 1
    assert live["totals"]["dropped"] == 0 and live["totals"]["target_failures"] == 0
    assert live["latency_ms"]["source"]["count"] == live["totals"]["replayed"]
    assert '<meta http-equiv="refresh"' in page and "Shadow report" in page and "item.title" in page
    assert "Answered by the primary" in page and "candidate</p>" in page
    assert 'ticketgate_shadow_mirrored_total{endpoint="GET /v1/events/{id}",result="difference"} 2.0' in metrics
    assert 'ticketgate_shadow_field_differences_total{endpoint="GET /v1/events/{id}",field="item.title"} 2.0' \
        in metrics
    written = json.loads(report.with_suffix(".json").read_text())
    assert written["totals"] == live["totals"] and written["endpoints"]["GET /v1/events/{id}"]["with_differences"] == 2
    everything = page + metrics + json.dumps(live) + report.read_text() + report.with_suffix(".json").read_text() \
        + proc.output
    for secret in (tt_key, eq_key, "@mail.test", "Private Road", "Buyer0 Person0"):
        assert secret not in everything


async def imported_id(conn: Any, office: Any, kind: str, source_id: str) -> int:
    return int(await conn.fetchval("SELECT core_id FROM import_map WHERE box_office_id = $1 AND source_kind = $2"
                                   " AND source_id = $3", office["id"], kind, source_id))


def slow_candidate(delay: float) -> Starlette:
    async def answer(request: Request) -> JSONResponse:
        await asyncio.sleep(delay)
        return JSONResponse({"ok": True})

    return Starlette(routes=[Route("/{path:path}", answer)])


async def timed(client: httpx.AsyncClient, url: str, n: int) -> list[float]:
    spent = []
    for _ in range(n):
        started = time.perf_counter()
        assert (await client.get(url)).status_code == 200
        spent.append(time.perf_counter() - started)
    return spent


SETTLED = {"slow": lambda s: s["totals"]["requests"] >= 33, "down": lambda s: s["totals"]["target_failures"] >= 1}


@contextlib.asynccontextmanager
async def candidate(kind: str) -> AsyncIterator[str]:
    if kind == "down":
        yield f"http://127.0.0.1:{free_port()}"  # nothing listens there
        return
    async with serving(slow_candidate(2.0)) as url:
        yield url


async def test_the_mirror_never_slows_the_primary(app, vendor, target_gateway, target_conn, target_office, tmp_path):
    tt_key = vendor["keys"]["tickettailor"]
    async with serving(app) as vendor_url:
        primary = f"{vendor_url}/tickettailor"
        for kind in ("slow", "down"):
            async with candidate(kind) as candidate_url:
                with shadow(tmp_path, target_gateway.settings.database_url, "--primary", primary,
                            "--dialect", "tickettailor", "--candidate", candidate_url, "--key", "tt-candidate-key",
                            "--box-office", target_office["slug"], "--report", str(tmp_path / f"{kind}.html"),
                            "--queue-size", "2", "--max-in-flight", "1") as (proc, proxy):
                    await until_serving(proc, proxy)
                    async with httpx.AsyncClient(auth=(tt_key, ""), timeout=10) as client:
                        await timed(client, f"{proxy}/v1/events?limit=2", 3)  # warm both paths up
                        direct = await timed(client, f"{primary}/v1/events?limit=2", 30)
                        proxied = await timed(client, f"{proxy}/v1/events?limit=2", 30)
                    settled = SETTLED[kind]
                    live = await summary_when(proxy, settled)
                    await stop(proc)
            added = statistics.median(proxied) - statistics.median(direct)
            print(f"candidate {kind}: primary p50 {statistics.median(direct) * 1000:.1f} ms, through the proxy "
                  f"{statistics.median(proxied) * 1000:.1f} ms, max {max(proxied) * 1000:.1f} ms")
            # the candidate takes 2 s (or never answers): the proxy adds a forwarding hop, not the candidate's time
            # (bounds loose enough for a loaded machine, far below the candidate's 2 s)
            assert added < 0.25 and max(proxied) < 1.5, (added, max(proxied))
            listing = live["endpoints"]["GET /v1/events"]
            if kind == "slow":
                assert listing["dropped"] >= 25, listing  # one in flight, two queued, the rest dropped
            else:
                assert listing["target_failures"] >= 1 and listing["matches"] == 0, listing


async def test_shadow_mirrors_writes_to_the_candidates_test_mode(app, vendor, target_gateway, target_app,
                                                                 target_conn, target_office, tmp_path):
    live_key = await target_key(target_conn, target_office, "equaticket")
    test_key = await target_key(target_conn, target_office, "equaticket", mode="test")
    async with serving(app) as vendor_url, serving(target_app) as target_url:
        with shadow(tmp_path, target_gateway.settings.database_url, "--primary", f"{vendor_url}/equaticket",
                    "--dialect", "equaticket", "--candidate", f"{target_url}/equaticket", "--key", live_key,
                    "--mirror-writes", test_key, "--box-office", target_office["slug"],
                    "--report", str(tmp_path / "w.html")) as (proc, proxy):
            await until_serving(proc, proxy)
            async with httpx.AsyncClient(base_url=proxy) as client:
                recorded = await equaticket_session(client, vendor["keys"]["equaticket"])
            live = await summary_when(proxy, lambda s: s["totals"]["requests"] == 5)
            assert await stop(proc) == 0, proc.output
    endpoints = live["endpoints"]
    for write in ("POST /api/v1/events", "PATCH /api/v1/events/{id}", "POST /api/v1/events/{id}/(publish|cancel)"):
        assert endpoints[write]["matches"] == endpoints[write]["requests"], (write, endpoints[write])
    assert endpoints["POST /api/v1/events"]["requests"] == 2  # the retry answered from both idempotency records
    # the read goes to the candidate's live data, where the event (made in test mode) has no counterpart
    assert endpoints["GET /api/v1/events/{id}"]["no_equivalent_reasons"] == {
        f"event {recorded!r} has no known counterpart in the target (not imported?)": 1}
    rows = await target_conn.fetch("SELECT title, status, livemode FROM events WHERE box_office_id = $1",
                                   target_office["id"])
    assert [tuple(r) for r in rows] == [("Spring Workshop II", "published", False)]


async def test_shadow_mirrors_translated_writes(app, vendor, target_gateway, target_app, target_conn, target_office,
                                                tmp_path):
    """A TicketSmart primary, an Equaticket candidate: each write is translated as replay translates it."""
    live_key = await target_key(target_conn, target_office, "equaticket")
    test_key = await target_key(target_conn, target_office, "equaticket", mode="test")
    async with serving(app) as vendor_url, serving(target_app) as target_url:
        with shadow(tmp_path, target_gateway.settings.database_url, "--primary", f"{vendor_url}/ticketsmart",
                    "--dialect", "ticketsmart", "--candidate", f"{target_url}/equaticket", "--as", "equaticket",
                    "--key", live_key, "--mirror-writes", test_key, "--box-office", target_office["slug"],
                    "--report", str(tmp_path / "t.html")) as (proc, proxy):
            await until_serving(proc, proxy)
            async with httpx.AsyncClient(base_url=proxy) as client:
                await ticketsmart_session(client, vendor["keys"]["ticketsmart"])
            live = await summary_when(proxy, lambda s: s["totals"]["requests"] == 6)
            assert await stop(proc) == 0, proc.output
    endpoints = live["endpoints"]
    created, patched = endpoints["POST /api/v1/events"], endpoints["PATCH /api/v1/events/{id}"]
    assert (created["matches"], patched["matches"]) == (1, 2), endpoints
    assert patched["fields_compared"] > 40 and any("; then GET" in r for r in patched["target_requests"])
    rows = await target_conn.fetch("SELECT e.title, e.livemode, array_agg(tt.name ORDER BY tt.sort_order) AS types"
                                   " FROM events e JOIN ticket_types tt ON tt.event_id = e.id"
                                   " WHERE e.box_office_id = $1 GROUP BY e.id", target_office["id"])
    assert [tuple(r) for r in rows] == [("Comedy Night II", False, ["General Admission", "VIP"])]
