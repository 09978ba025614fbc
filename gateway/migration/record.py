"""A recording reverse proxy: forward every request unchanged, append a redacted copy to a capture.

The capture is JSON Lines. The first line describes it; every further line is one exchange:

    {"type": "capture", "version": 1, "dialect": "tickettailor", "upstream": "...", "started_at": "..."}
    {"type": "exchange", "seq": 1, "at": "...", "latency_ms": 12.3,
     "request": {"method", "path", "query": [[k, v], ...], "headers": {...}, "body": ...},
     "response": {"status", "headers": {...}, "body": ...}}

Credentials and personal data are replaced by pseudonyms (redact.py) before the line is
written; the client receives the upstream's response untouched.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.migration.redact import Redactor

CAPTURE_VERSION = 1
HOP_BY_HOP = frozenset({"host", "content-length", "connection", "keep-alive", "transfer-encoding", "te",
                        "upgrade", "proxy-connection", "content-encoding", "trailer"})
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def check_url(url: str, option: str) -> str:
    """``url`` if it is an absolute http(s) URL, else ValueError naming the option."""
    try:
        parts = urlsplit(url)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"{option} must be an http:// or https:// URL, got {url!r}")
    return url


def public_url(url: str) -> str:
    """The URL without user info (a key in ``https://key@host`` must never reach the capture)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def body_value(raw: bytes, redactor: Redactor) -> Any:
    """A body as redacted JSON when it is JSON, else redacted text, else a size note."""
    if not raw:
        return None
    try:
        return redactor.value(orjson.loads(raw))
    except orjson.JSONDecodeError:
        pass
    try:
        return redactor.text(raw.decode())
    except UnicodeDecodeError:
        return f"<{len(raw)} bytes of binary data>"


class Capture:
    """Appends lines to the capture file; one writer at a time, the header line first."""

    def __init__(self, path: Path, dialect: str, upstream: str) -> None:
        self.path = path
        self.lock = asyncio.Lock()
        self.seq = 0
        if not path.exists() or path.stat().st_size == 0:
            self._append({"type": "capture", "version": CAPTURE_VERSION, "dialect": dialect,
                          "upstream": public_url(upstream), "started_at": now_iso()})
        else:  # continue an existing capture, of the same dialect only
            header, exchanges = read_capture(path)
            if header.get("dialect") != dialect:
                raise ValueError(f"{path} is a capture of {header.get('dialect')}, not {dialect}")
            self.seq = max((e.get("seq", 0) for e in exchanges), default=0)

    def _append(self, line: dict[str, Any]) -> None:
        with self.path.open("ab") as handle:
            handle.write(orjson.dumps(line) + b"\n")

    async def write(self, exchange: dict[str, Any]) -> None:
        async with self.lock:
            self.seq += 1
            self._append({"type": "exchange", "seq": self.seq, **exchange})


@dataclass
class Forwarded:
    """One request passed on to the upstream: its body, and the answer (None: the upstream did not answer)."""

    body: bytes
    response: httpx.Response | None
    latency_ms: float
    headers: dict[str, str]  # the answer's headers without the hop-by-hop ones
    error: str | None = None  # the transport error's name

    def reply(self) -> Response:
        """The answer for the client: the upstream's, unchanged, or a 502."""
        if self.response is None:
            return Response(f"upstream unreachable: {self.error}", 502, media_type="text/plain")
        return Response(self.response.content, self.response.status_code, headers=self.headers)


async def pass_on(http: httpx.AsyncClient, upstream: str, request: Request) -> Forwarded:
    """``request`` sent to ``upstream`` as it came (path, query, headers, body), timed."""
    body = await request.body()
    headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP]
    url = upstream + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    started = time.perf_counter()
    try:
        answer = await http.request(request.method, url, headers=headers, content=body)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return Forwarded(body, None, round((time.perf_counter() - started) * 1000, 3), {}, type(exc).__name__)
    kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
    return Forwarded(body, answer, round((time.perf_counter() - started) * 1000, 3), kept)


class RecordingProxy:
    def __init__(self, upstream: str, capture: Capture, redactor: Redactor, http: httpx.AsyncClient) -> None:
        self.upstream = upstream.rstrip("/")
        self.capture = capture
        self.redactor = redactor
        self.http = http

    async def forward(self, request: Request) -> Response:
        at = now_iso()
        sent = await pass_on(self.http, self.upstream, request)
        if sent.response is None:
            await self._record(request, sent.body, at, sent.latency_ms, {"status": 502, "error": sent.error})
        else:
            await self._record(request, sent.body, at, sent.latency_ms, {
                "status": sent.response.status_code, "headers": self.redactor.headers(sent.headers),
                "body": body_value(sent.response.content, self.redactor)})
        return sent.reply()

    async def _record(self, request: Request, body: bytes, at: str, latency: float, response: dict) -> None:
        await self.capture.write({
            "at": at, "latency_ms": round(latency, 3),
            "request": {"method": request.method, "path": request.url.path,
                        "query": self.redactor.query(request.query_params.multi_items()),
                        "headers": self.redactor.headers(dict(request.headers)),
                        "body": body_value(body, self.redactor)},
            "response": response,
        })


def recording_app(upstream: str, dialect: str, out: Path, redactor: Redactor,
                  http: httpx.AsyncClient | None = None) -> Starlette:
    """The proxy as an ASGI app (serve it with uvicorn, or call it in-process in tests)."""
    client = http or httpx.AsyncClient(timeout=60, follow_redirects=False)
    proxy = RecordingProxy(upstream, Capture(out, dialect, upstream), redactor, client)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        if http is None:  # a client we made is ours to close
            await client.aclose()

    app = Starlette(routes=[Route("/{path:path}", proxy.forward, methods=METHODS)], lifespan=lifespan)
    app.state.proxy = proxy
    return app


def read_capture(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The header and the exchanges of a capture; a torn last line (a killed proxy) is skipped."""
    header: dict[str, Any] | None = None
    exchanges = []
    for line in path.read_bytes().splitlines():
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if isinstance(item, dict) and item.get("type") == "capture" and header is None:
            header = item
        elif isinstance(item, dict) and item.get("type") == "exchange":
            exchanges.append(item)
    if header is None:
        raise ValueError(f"{path} is not a ticketgate capture (no header line)")
    return header, exchanges
