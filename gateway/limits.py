"""The request body's bounds, one for every dialect and the operator API.

A pure ASGI layer that wraps ``receive``, so the answer is still the dialect's own (its
pipeline catches what ``receive`` raises while a handler reads the body):

- a declared ``Content-Length`` over ``max_body_bytes`` is refused at the first read, before
  any of the body is asked for (uvicorn then sends no ``100 Continue`` and drops the rest);
  a streamed (chunked) body is counted as it arrives and refused once over the limit;
- a client that stops sending for ``body_timeout`` seconds is answered (``BodyTimeout``) and
  the connection closed by the server, instead of holding it open unanswered;
- a client that disconnects mid-body is one log line (``ClientGone``, no traceback).

Routes that never read a body (every GET) never call ``receive`` for it: nothing is buffered.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dialects.base import BodyTimeout, BodyTooLarge, ClientGone

log = logging.getLogger("ticketgate.limits")
NO_BODY = frozenset({"GET", "HEAD", "OPTIONS"})


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float | None) -> None:
        self.app, self.max_bytes, self.timeout = app, max_bytes, timeout or None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in NO_BODY:  # nothing reads their bodies
            await self.app(scope, receive, send)
            return
        await self.app(scope, _Body(scope, receive, self.max_bytes, self.timeout), send)


def declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None  # uvicorn has refused malformed ones
    return None


class _Body:
    """``receive`` with the bounds; once the body is complete, the plain ``receive``."""

    __slots__ = ("scope", "receive", "limit", "timeout", "seen", "done")

    def __init__(self, scope: Scope, receive: Receive, limit: int, timeout: float | None) -> None:
        self.scope, self.receive, self.limit, self.timeout = scope, receive, limit, timeout
        self.seen, self.done = 0, False

    async def __call__(self) -> Message:
        if self.done:
            return await self.receive()
        if self.seen == 0 and (declared_length(self.scope) or 0) > self.limit:
            raise BodyTooLarge(self.limit)
        try:
            async with asyncio.timeout(self.timeout):
                message = await self.receive()
        except TimeoutError:
            self._log("stopped sending its body for %g s", self.timeout)
            raise BodyTimeout(self.timeout or 0) from None
        if message["type"] == "http.disconnect":
            self._log("disconnected before sending the whole body (%d bytes read)", self.seen)
            raise ClientGone()
        self.seen += len(message.get("body", b""))
        if self.seen > self.limit:
            raise BodyTooLarge(self.limit)
        self.done = not message.get("more_body", False)
        return message

    def _log(self, what: str, *args: object) -> None:
        # one line: a client's behaviour, not a bug of ours
        log.info("client " + what + " on %s %s", *args, self.scope["method"], self.scope["path"])
