"""A migration end to end, through the real commands in subprocesses.

"Vendor A" is the test ticketgate serving Ticket Tailor over uvicorn on a free port; the
target is a second ticketgate on its own database. A client session is recorded through
``ticketgate record``, the box office is copied with ``ticketgate import`` and the capture is
replayed with ``ticketgate replay --as equaticket``; the test reads the JSON summary.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from tests.migration.conftest import target_key

CLI = "from gateway.cli import main; main()"  # the `ticketgate` entry point, in this venv
SECRET = "capture-pseudonym-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn on a free port in this event loop (its pool lives here)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def env(dsn: str | None = None) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TICKETGATE_", "DATABASE_URL"))}
    return {**clean, **({"DATABASE_URL": dsn} if dsn else {})}


async def ticketgate(*args: str, dsn: str | None = None, cwd: Path) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", CLI, *args, env=env(dsn), cwd=cwd,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    return proc.returncode or 0, out.decode(), err.decode()


@contextlib.asynccontextmanager
async def recorder(upstream: str, capture: Path, cwd: Path) -> AsyncIterator[str]:
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CLI, "record", "--upstream", upstream, "--dialect", "tickettailor",
        "--listen", f"127.0.0.1:{port}", "--out", str(capture), "--redact-secret", SECRET, env=env(), cwd=cwd,
        stderr=asyncio.subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient() as probe:
        for _ in range(200):
            with contextlib.suppress(httpx.TransportError):
                await probe.get(base + "/v1/ping")
                break
            await asyncio.sleep(0.05)
    try:
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        await proc.wait()


async def client_session(base: str, key: str) -> None:
    """What a Ticket Tailor integration typically does: page lists, open details, filter."""
    async with httpx.AsyncClient(base_url=base, auth=(key, "")) as tt:
        events = (await tt.get("/v1/events", params={"limit": 2})).json()
        await tt.get("/v1/events", params={"limit": 2, "starting_after": events["data"][-1]["id"]})
        await tt.get(f"/v1/events/{events['data'][0]['id']}")
        orders = (await tt.get("/v1/orders", params={"limit": 4})).json()
        await tt.get("/v1/orders", params={"limit": 4, "starting_after": orders["data"][-1]["id"]})
        await tt.get(f"/v1/orders/{orders['data'][0]['id']}")
        tickets = (await tt.get("/v1/issued_tickets", params={"event_id": events["data"][0]["id"], "limit": 5})).json()
        await tt.get(f"/v1/issued_tickets/{tickets['data'][0]['id']}")
        await tt.get("/v1/orders", params={"created_at.gte": "1700000000"})
        await tt.get("/v1/ping")


async def test_record_import_replay_as_another_dialect(app, vendor, target_gateway, target_app, target_conn,
                                                       target_office, tmp_path):
    capture, report = tmp_path / "session.jsonl", tmp_path / "out" / "report.html"
    target_dsn = target_gateway.settings.database_url
    eq_key = await target_key(target_conn, target_office, "equaticket")
    tt_key = vendor["keys"]["tickettailor"]
    async with serving(app) as vendor_url, serving(target_app) as target_url:
        async with recorder(f"{vendor_url}/tickettailor", capture, tmp_path) as proxy:
            await client_session(proxy, tt_key)
        text = capture.read_text()
        assert tt_key not in text and "@mail.test" not in text and "Private Road" not in text
        assert text.count('"type":"exchange"') == 11  # the probe's ping and the session's ten requests

        code, out, err = await ticketgate("--json", "import", "--from", "tickettailor", "--base-url",
                                          f"{vendor_url}/tickettailor", "--key", tt_key, "--box-office",
                                          target_office["slug"], dsn=target_dsn, cwd=tmp_path)
        assert code == 0, err
        assert "tickets" in err and "18 objects" in err  # the progress bars
        imported = json.loads(out)
        assert imported["complete"] and imported["resources"]["tickets"]["objects"] == 18

        code, out, err = await ticketgate("--json", "replay", str(capture), "--target", f"{target_url}/equaticket",
                                          "--as", "equaticket", "--key", eq_key, "--report", str(report),
                                          "--box-office", target_office["slug"], "--redact-secret", SECRET,
                                          dsn=target_dsn, cwd=tmp_path)
    assert code == 0, err
    summary = json.loads(report.with_suffix(".json").read_text())
    endpoints = summary["endpoints"]
    assert endpoints["GET /v1/events"]["matches"] == 2, endpoints["GET /v1/events"]
    assert endpoints["GET /v1/events/{id}"]["matches"] == 1, endpoints["GET /v1/events/{id}"]
    assert endpoints["GET /v1/orders"]["matches"] == 2, endpoints["GET /v1/orders"]
    assert endpoints["GET /v1/orders"]["no_equivalent_reasons"] == {
        "Equaticket cannot filter orders by created_at.gte": 1}
    assert endpoints["GET /v1/orders/{id}"]["matches"] == 1, endpoints["GET /v1/orders/{id}"]
    assert endpoints["GET /v1/issued_tickets"]["matches"] == 1, endpoints["GET /v1/issued_tickets"]
    assert endpoints["GET /v1/issued_tickets/{id}"]["no_equivalent_reasons"] == {
        "Equaticket has no endpoint for one attendee": 1}
    assert endpoints["GET /v1/ping"]["no_equivalent"] == 2
    assert summary["totals"] == {"requests": 11, "replayed": 7, "matches": 7, "with_differences": 0,
                                 "no_equivalent": 4, "status_mismatches": 0, "target_failures": 0}
    assert endpoints["GET /v1/orders/{id}"]["fields_compared"] > 20  # buyer, money, line items, ids
    assert endpoints["GET /v1/events"]["fields_compared"] > 60
    html = report.read_text()
    if os.environ.get("KEEP_REPORT"):
        import shutil
        shutil.copytree(report.parent, os.environ["KEEP_REPORT"], dirs_exist_ok=True)
        shutil.copy(capture, os.environ["KEEP_REPORT"])
    assert eq_key not in html and tt_key not in html and "@mail.test" not in html
