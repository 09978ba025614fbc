"""X-Request-Id on every response: the client's own when it is safe to echo, else a new one."""

from __future__ import annotations

import re
import secrets
from collections.abc import MutableMapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SCOPE_KEY = "equaticket.request_id"
HEADER = b"x-request-id"
_SAFE = re.compile(r"[A-Za-z0-9_.:-]{1,128}")


def new_request_id() -> str:
    return f"req_{secrets.token_hex(12)}"


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
        scope = {**scope, SCOPE_KEY: rid}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER]
                headers.append((HEADER, rid.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_id)
