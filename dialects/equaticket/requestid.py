"""X-Request-Id on every response: the client's own when it is safe to echo, else a new one.

New ids are ``req_`` and 24 hex digits: this process's random 12, then a counter. They only
need to be unique (support quotes them to find a request in the logs), so one random draw per
process is enough; a draw per request cost a system call on every request.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
from collections.abc import MutableMapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SCOPE_KEY = "equaticket.request_id"
HEADER = b"x-request-id"
_SAFE = re.compile(r"[A-Za-z0-9_.:-]{1,128}")
_process, _serial = "", itertools.count()


def _draw() -> None:
    global _process, _serial
    _process, _serial = secrets.token_hex(6), itertools.count(int.from_bytes(secrets.token_bytes(4)))


_draw()
os.register_at_fork(after_in_child=_draw)  # forked workers must not repeat their parent's ids


def new_request_id() -> str:
    return f"req_{_process}{next(_serial) & 0xFFFFFFFFFFFF:012x}"


def accepted(value: str | None) -> str | None:
    return value if value is not None and _SAFE.fullmatch(value) else None


def request_id_of(scope: MutableMapping[str, Any]) -> str:
    """The id the middleware chose for this request (a fresh one outside the middleware)."""
    rid = scope.get(SCOPE_KEY)
    if rid is None:
        rid = scope[SCOPE_KEY] = new_request_id()
    return str(rid)


def _client_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name.lower() == HEADER:
            return accepted(value.decode("latin-1"))
    return None


class RequestIdMiddleware:
    """Pure ASGI, so it also covers responses the router makes (404s) and streaming ones."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _client_id(scope) or new_request_id()
        scope[SCOPE_KEY] = rid  # the scope is this request's own (routers extend it in place too)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != HEADER]
                headers.append((HEADER, rid.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_id)
