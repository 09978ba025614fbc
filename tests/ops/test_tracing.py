"""OpenTelemetry (the ``tracing`` extra): a server span per request named after its route template,
one child span per database statement; with tracing off, nothing of OpenTelemetry is imported."""

from __future__ import annotations

import base64
import dataclasses
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from gateway.app import build_app
from gateway.runtime import Gateway

ROOT = Path(__file__).resolve().parents[2]
pytest.importorskip("opentelemetry.sdk", reason="the tracing extra is not installed")


@pytest.fixture
def exporter() -> Iterator[Any]:
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    spans = InMemorySpanExporter()
    yield spans
    AsyncPGInstrumentor().uninstrument()  # it patched asyncpg for the whole process
    assert not hasattr(asyncpg.Connection.execute, "__wrapped__")


def traced_app(gateway: Gateway, exporter: Any) -> Any:
    from gateway import tracing

    settings = gateway.settings.model_copy(update={"tracing": True})
    return tracing.install(build_app(dataclasses.replace(gateway, settings=settings)), exporter)


async def test_a_request_span_named_by_its_route_with_a_child_per_statement(
    gateway: Gateway, exporter: Any, box_office: Any, make_key: Any, make_event: Any
) -> None:
    from opentelemetry.trace import SpanKind

    event = await make_event(box_office)
    secret = await make_key(box_office, "tickettailor")
    app = traced_app(gateway, exporter)
    headers = {"Authorization": "Basic " + base64.b64encode(f"{secret}:".encode()).decode()}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert (await client.get(f"/tickettailor/v1/events/ev_{event['id']}", headers=headers)).status_code == 200
    spans = exporter.get_finished_spans()
    (server,) = [s for s in spans if s.kind == SpanKind.SERVER]
    assert server.name == "GET /v1/events/{event_id}"
    assert server.attributes["ticketgate.dialect"] == "tickettailor"
    assert server.attributes["http.route"] == "/v1/events/{event_id}"
    # the instrumentation is the process's: a statement the session's background work runs meanwhile
    # (the webhook worker's poll) is a span too, the root of a trace of its own
    statements = [s for s in spans if s.kind == SpanKind.CLIENT and s.context.trace_id == server.context.trace_id]
    assert statements, [s.name for s in spans]
    assert all(s.parent is not None and s.parent.span_id == server.context.span_id for s in statements)
    assert any("FROM events" in str(s.attributes.get("db.statement", "")) for s in statements)


def test_tracing_off_imports_nothing_of_opentelemetry() -> None:
    code = """
import asyncio, sys
import asyncpg
import httpx
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
import gateway.cli, gateway.server
from gateway.app import create_app
from gateway.config import load_settings
from gateway.metrics import Metrics
from gateway.observe import Observe

create_app(load_settings(environ={}, database_url="postgresql://nobody@127.0.0.1:1/none"))
inner = Starlette(routes=[Route("/x", lambda request: PlainTextResponse("ok"))])

async def one():
    transport = httpx.ASGITransport(app=Observe(inner, Metrics()))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        assert (await c.get("/x")).status_code == 200

asyncio.run(one())
loaded = sorted(m for m in sys.modules if m.startswith("opentelemetry"))
assert not loaded, loaded
print("clean")
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0 and done.stdout.strip() == "clean", done.stderr[-2000:]
