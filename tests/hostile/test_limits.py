"""The body limit, the stall bound and client disconnects, driven as raw ASGI (what uvicorn
hands the app), so what the app asks of ``receive`` is seen exactly."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import orjson

from gateway.limits import BodyLimit

Message = dict[str, Any]


async def call(app: Any, method: str, path: str, headers: dict[str, str], receive: Any) -> tuple[int, Any, list]:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
             "client": ("127.0.0.1", 1), "server": ("testserver", 80), "state": {}}
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], orjson.loads(body) if body else None, start["headers"]


class Chunks:
    """A client sending ``chunks`` then, if ``then`` is "stall", nothing more."""

    def __init__(self, chunks: list[bytes], then: str = "end") -> None:
        self.chunks, self.then, self.calls = list(chunks), then, 0

    async def __call__(self) -> Message:
        self.calls += 1
        if self.chunks:
            chunk = self.chunks.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(self.chunks) or self.then != "end"}
        if self.then == "stall":
            await asyncio.sleep(3600)
        return {"type": "http.disconnect"}


async def test_a_declared_length_over_the_limit_is_refused_before_reading(app, keys):
    smart = keys["ticketsmart"]
    receive = Chunks([b"x" * 1000])
    status, body, _ = await call(app, "POST", f"{smart.base}/events",
                                 {**smart.headers, "content-length": "20000000", "content-type": "application/json"},
                                 receive)
    assert status == 413 and "too large" in body["error"]
    assert receive.calls == 0  # not one byte asked for


async def test_a_streamed_body_is_counted_as_it_arrives(app, keys):
    equa = keys["equaticket"]
    receive = Chunks([b"x" * 300_000] * 100)  # chunked: no Content-Length
    status, body, _ = await call(app, "POST", f"{equa.base}/events",
                                 {**equa.headers, "content-type": "application/json"}, receive)
    assert status == 400 and body["error"]["code"] == "validation_error" and "too large" in body["error"]["message"]
    assert receive.calls == 4  # refused at the chunk that went over 1 MB


async def test_the_operator_api_has_the_same_limit(app):
    receive = Chunks([b"x" * 600_000] * 3)
    status, body, _ = await call(app, "POST", "/admin/v1/box-offices",
                                 {"authorization": "Bearer test-admin-token-0123456789"}, receive)
    assert status == 413 and body["error"]["code"] == "payload_too_large"


async def test_a_stalled_body_is_answered_within_the_bound(app, keys):
    smart = keys["ticketsmart"]
    bounded = BodyLimit(app, max_bytes=1_000_000, timeout=0.2)
    started = time.monotonic()
    status, body, headers = await call(bounded, "POST", f"{smart.base}/events",
                                       {**smart.headers, "content-type": "application/json"},
                                       Chunks([b'{"title": '], then="stall"))
    assert time.monotonic() - started < 2
    assert status == 408 and "did not arrive" in body["error"]
    assert (b"access-control-allow-origin", b"*") in headers  # still the dialect's own answer


async def test_a_client_disconnect_is_one_line_without_traceback(app, keys, caplog):
    equa = keys["equaticket"]
    caplog.set_level(logging.INFO)
    status, _, _ = await call(app, "POST", f"{equa.base}/events", {**equa.headers, "content-type": "application/json"},
                              Chunks([b'{"title": '], then="disconnect"))
    assert status == 400  # written for nobody: the client is gone
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    lines = [r for r in caplog.records if r.name == "ticketgate.limits"]
    assert len(lines) == 1 and "disconnected" in lines[0].getMessage()


async def test_a_get_never_reads_its_body(app, keys):
    tailor = keys["tickettailor"]
    receive = Chunks([b"x" * 10])
    status, _, _ = await call(app, "GET", "/tickettailor/v1/events",
                              {**tailor.headers, "content-length": "20000000"}, receive)
    assert status == 200 and receive.calls == 0
