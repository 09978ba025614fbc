"""The dialects' path lookup (dialects.base.Paths) and the gateway's prefix lookup
(gateway.dispatch.Prefixes) answer as the Starlette routing they replace."""

from __future__ import annotations

import itertools
import re
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Match, Mount
from starlette.routing import Route as StarletteRoute
from starlette.types import Receive, Scope, Send

from dialects import registry
from dialects.base import Path, Paths
from gateway.dispatch import GatewayApp

VALUES = ("1", "ev_12", "or_3", "slug-name", "a.b", "x y", "\n", "é", "a/b", "")
EXTRA = ("/", "/nothing", "/events/", "//events", "/events/1/", "/v1/events/1/extra/more")


def _table(paths: list[str]) -> Paths:
    return Paths([Path(p, app=None) for p in paths])  # type: ignore[arg-type]


def _starlette(paths: list[str], path: str) -> tuple[str, dict[str, Any]] | None:
    """What Starlette's router took: the first route whose pattern fully matches."""
    for template in paths:
        route = StarletteRoute(template, endpoint=_noop, methods=None)
        match, child = route.matches({"type": "http", "path": path, "root_path": "", "method": "GET"})
        if match is Match.FULL:
            return template, child["path_params"]
    return None


async def _noop(scope: Scope, receive: Receive, send: Send) -> None:
    raise AssertionError("never called")


def _requests(paths: list[str]) -> set[str]:
    """Each template with every sample value in each parameter, plus paths no template has."""
    out = set(EXTRA)
    for template in paths:
        names = re.findall(r"{([^}:]+)(?::[^}]+)?}", template)
        for values in itertools.product(VALUES, repeat=len(names)) if len(names) < 3 else [VALUES[:1] * len(names)]:
            filled = template
            for value in values:
                start, end = filled.index("{"), filled.index("}") + 1
                filled = filled[:start] + value + filled[end:]
            out |= {filled, filled + "/", filled.rstrip("/") + "/x"}
    return out


def _unique_paths(name: str) -> list[str]:
    return list(dict.fromkeys(r.path for r in registry.dialect(name).routes))


@pytest.mark.parametrize("name", registry.NAMES)
def test_every_dialect_path_is_taken_as_starlette_took_it(name: str) -> None:
    paths = _unique_paths(name)
    table = _table(paths)
    for path in sorted(_requests(paths)):
        found = table.match(path)
        assert (None if found is None else (found[0].path, found[1])) == _starlette(paths, path), path


def test_table_order_decides_between_a_pattern_and_a_later_literal() -> None:
    paths = ["/events/{id}", "/events/upcoming", "/files/{rest:path}", "/files/a/b", "/x/{a}/{b}", "/x/y/z"]
    table = _table(paths)
    for path in ["/events/upcoming", "/files/a/b", "/files/a", "/x/y/z", "/x/1/2", "/files/a/b/c"]:
        found = table.match(path)
        assert (None if found is None else (found[0].path, found[1])) == _starlette(paths, path), path
    assert table.match("/events/upcoming")[0].path == "/events/{id}"  # type: ignore[index]


async def _echo(scope: Scope, receive: Receive, send: Send) -> None:
    body = f"{scope['root_path']}|{scope['path']}|{getattr(scope.get('route'), 'path', None)}".encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": body})


async def _health(request: Request) -> Response:
    return PlainTextResponse(f"{request.scope['root_path']}|{request.url.path}|{request.scope['route'].path}")


async def test_prefixes_give_the_scope_a_mount_gave() -> None:
    app = GatewayApp()
    app.serve([Mount("/ts", app=_echo), Mount("/ts2", app=_echo), StarletteRoute("/healthz", _health)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert (await client.get("/ts/events/1")).text == "/ts|/ts/events/1|/ts"
        assert (await client.get("/ts2/events")).text == "/ts2|/ts2/events|/ts2"
        assert (await client.get("/healthz")).text == "|/healthz|/healthz"
        assert (await client.get("/tsx/events")).status_code == 404  # no prefix of it: Starlette's 404
        slash = await client.get("/ts", follow_redirects=False)  # the bare prefix: Starlette's redirect, as before
        assert slash.status_code == 307 and slash.headers["location"] == "http://t/ts/"
