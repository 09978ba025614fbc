"""The outermost layer: request ids, route-template metrics and one access line per request."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from gateway.logs import ACCESS, Formatter
from gateway.metrics import Metrics
from gateway.observe import AREA_KEY, PRINCIPAL_KEY, Observe, RequestIds

ROOT = Path(__file__).resolve().parents[2]


class FakePrincipal:
    box_office_id = 7
    key_id = 11


async def order(request: Request) -> JSONResponse:
    request.scope[PRINCIPAL_KEY] = FakePrincipal()
    return JSONResponse({"id": request.path_params["order_id"]})


async def boom(request: Request) -> JSONResponse:
    raise RuntimeError("boom")


class Area:
    """What a dialect's app does: say whose it is, then route."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        scope[AREA_KEY] = "tickettailor"
        await self.app(scope, receive, send)


def app(metrics: Metrics) -> Observe:
    inner = Starlette(routes=[Route("/v1/orders/{order_id}", order), Route("/v1/boom", boom)])
    return Observe(Starlette(routes=[Mount("/tickettailor", app=Area(inner))]), metrics)


async def get(asgi: Any, path: str, **kw: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=asgi, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        return await c.get(path, **kw)


async def test_metrics_are_labelled_by_route_template_never_the_raw_path() -> None:
    metrics = Metrics()
    asgi = app(metrics)
    for n in (1, 2, 3):
        assert (await get(asgi, f"/tickettailor/v1/orders/or_{n}")).status_code == 200
    assert (await get(asgi, "/tickettailor/v1/nothing/or_9")).status_code == 404
    text = metrics.render().decode()
    assert ('ticketgate_http_requests_total{dialect="tickettailor",method="GET",'
            'route="/v1/orders/{order_id}",status="200"} 3.0') in text
    assert 'route="unmatched",status="404"' in text
    assert "or_1" not in text and "or_9" not in text
    assert 'ticketgate_http_request_duration_seconds_bucket{dialect="tickettailor",le="0.001"' in text


async def test_request_ids_sane_ones_are_kept_others_replaced() -> None:
    asgi = app(Metrics())
    kept = await get(asgi, "/tickettailor/v1/orders/or_1", headers={"X-Request-Id": "abc-123:x.y_z"})
    assert kept.headers["x-request-id"] == "abc-123:x.y_z"
    for bad in ("has space", "x" * 129, "é"):
        fresh = await get(asgi, "/tickettailor/v1/orders/or_1", headers={"X-Request-Id": bad.encode("utf-8")})
        assert fresh.headers["x-request-id"].startswith("req_") and len(fresh.headers["x-request-id"]) == 28
    ids = RequestIds()
    assert len({ids.new() for _ in range(1000)}) == 1000


async def test_one_json_access_line_per_request_with_ids_not_secrets(caplog: pytest.LogCaptureFixture) -> None:
    asgi = app(Metrics())
    with caplog.at_level(logging.INFO, logger=ACCESS):
        response = await get(asgi, "/tickettailor/v1/orders/or_5", headers={"Authorization": "Basic c2tfc2VjcmV0Og=="})
    (record,) = [r for r in caplog.records if r.name == ACCESS]
    line = json.loads(Formatter().format(record))
    assert line["level"] == "INFO" and line["logger"] == ACCESS
    assert line["request_id"] == response.headers["x-request-id"]
    assert (line["dialect"], line["route"], line["method"], line["status"]) == (
        "tickettailor", "/v1/orders/{order_id}", "GET", 200)
    assert (line["box_office_id"], line["key_id"]) == (7, 11)
    assert isinstance(line["duration_ms"], float)
    assert "c2tfc2VjcmV0" not in json.dumps(line)


async def test_a_failure_is_counted_and_logged_as_500(caplog: pytest.LogCaptureFixture) -> None:
    metrics = Metrics()
    with caplog.at_level(logging.INFO, logger=ACCESS):
        response = await get(app(metrics), "/tickettailor/v1/boom")
    assert response.status_code == 500
    assert 'route="/v1/boom",status="500"} 1.0' in metrics.render().decode()
    assert [r.status for r in caplog.records if r.name == ACCESS] == [500]  # type: ignore[attr-defined]


def test_multiprocess_mode_sums_the_workers_files(tmp_path: Path) -> None:
    code = (f"from gateway.metrics import Metrics; m = Metrics({str(tmp_path)!r}); "
            "m.route('equaticket', '/api/v1/events', 'GET').observe(200, 0.004)")
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    for _ in range(2):  # two worker processes
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
    text = subprocess.run([sys.executable, "-c", "from gateway.metrics import Metrics; import sys; "
                           f"sys.stdout.write(Metrics({str(tmp_path)!r}).render().decode())"],
                          check=True, env=env, capture_output=True, text=True).stdout
    assert ('ticketgate_http_requests_total{dialect="equaticket",method="GET",route="/api/v1/events",'
            'status="200"} 2.0') in text
