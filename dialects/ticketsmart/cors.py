"""CORS as the vendor documents it: every response carries the headers, preflights need no key.

A pure ASGI wrapper (no BaseHTTPMiddleware): it only adds headers to the start message.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CORS_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"GET, POST, PATCH, OPTIONS"),
    (b"access-control-allow-headers", b"Content-Type, x-api-key"),
)
CORS_NAMES = frozenset(name for name, _ in CORS_HEADERS)
PREFLIGHT_MAX_AGE = (b"access-control-max-age", b"86400")


class CORSMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        http = scope["type"] == "http"
        if http and scope["method"] == "OPTIONS":
            await _preflight(send)
        else:
            await self.app(scope, receive, _with_cors(send) if http else send)


def _with_cors(send: Send) -> Send:
    async def send_with_cors(message: Message) -> None:
        if message["type"] == "http.response.start":
            kept = [(k, v) for k, v in message.get("headers", ()) if k.lower() not in CORS_NAMES]
            message["headers"] = [*kept, *CORS_HEADERS]
        await send(message)

    return send_with_cors


async def _preflight(send: Send) -> None:
    headers = [*CORS_HEADERS, PREFLIGHT_MAX_AGE, (b"content-length", b"0")]
    await send({"type": "http.response.start", "status": 204, "headers": headers})
    await send({"type": "http.response.body", "body": b""})
