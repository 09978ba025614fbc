"""Request ids: one per request, chosen by the gateway's outermost layer (``gateway.observe``)
before any dialect runs, and returned as ``X-Request-Id`` by every dialect.

An incoming ``X-Request-Id`` is kept when it is a sane token (letters, digits and ``_.:-``, at
most 128), else a new one is drawn: ``req_`` and 24 hex digits, this process's random 12, then
a counter. Ids only need to be unique (support quotes them to find a request in the logs), so
one random draw per process is enough; a draw per request cost a system call on every request.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
from collections.abc import MutableMapping
from typing import Any

REQUEST_ID_KEY = "ticketgate.request_id"  # the scope key holding the request's id
HEADER = b"x-request-id"
_SAFE = re.compile(r"[A-Za-z0-9_.:-]{1,128}")


class RequestIds:
    """The id source of one process (the app factory builds one)."""

    def __init__(self) -> None:
        self._draw()
        os.register_at_fork(after_in_child=self._draw)  # forked workers must not repeat their parent's

    def _draw(self) -> None:
        self._process = secrets.token_hex(6)
        self._serial = itertools.count(int.from_bytes(secrets.token_bytes(4)))

    def new(self) -> str:
        return f"req_{self._process}{next(self._serial) & 0xFFFFFFFFFFFF:012x}"

    def of(self, scope: MutableMapping[str, Any]) -> str:
        """The client's id when it is safe to echo, else a new one."""
        for name, value in scope.get("headers", ()):
            if name == HEADER:  # ASGI header names are lowercase
                text = value.decode("latin-1")
                if _SAFE.fullmatch(text):
                    return text
                break
        return self.new()


def request_id_of(scope: MutableMapping[str, Any]) -> str:
    """This request's id; outside the gateway's layer (a dialect app mounted alone) a fresh one."""
    rid = scope.get(REQUEST_ID_KEY)
    if rid is None:
        rid = scope[REQUEST_ID_KEY] = f"req_{secrets.token_hex(12)}"
    return str(rid)
