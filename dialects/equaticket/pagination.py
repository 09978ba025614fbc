"""Signed opaque cursors on (created_at, id) descending, and the list envelope.

A cursor is an itsdangerous signature over (box office, livemode, list kind, position),
salted per list kind: a tampered cursor, or one minted for another list, box office or
mode, is refused as a validation error instead of silently returning a wrong page.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson
from itsdangerous import BadData, URLSafeSerializer
from starlette.requests import Request

from core.listing import Keyset, Page, PageQuery
from core.models import Scope
from dialects.base import BadRequest
from dialects.equaticket.inputs import query_param

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
MAX_CURSOR = 1024


def parse_limit(request: Request) -> int:
    raw = query_param(request, "limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise BadRequest(f"limit must be an integer between 1 and {MAX_LIMIT}", "limit")
    return int(raw)


class _CompactJSON:
    """itsdangerous' payload format (compact JSON), written by orjson: the same bytes, faster."""

    @staticmethod
    def dumps(obj: Any) -> str:
        return orjson.dumps(obj).decode()

    @staticmethod
    def loads(text: str | bytes) -> Any:
        return orjson.loads(text)


class Cursors:
    def __init__(self, secret: str) -> None:
        self.secret = secret
        self._serializer = lru_cache(maxsize=1024)(self._new_serializer)  # a few list kinds per event

    def _new_serializer(self, kind: str) -> URLSafeSerializer:
        return URLSafeSerializer(self.secret, salt=f"equaticket.cursor.{kind}", serializer=_CompactJSON)

    def encode(self, scope: Scope, kind: str, position: Keyset) -> str:
        payload = [scope.box_office_id, scope.livemode, kind, position.created_at.isoformat(), position.id]
        return str(self._serializer(kind).dumps(payload))

    def read(self, kind: str, token: str) -> tuple[Any, Any, Keyset]:
        """A cursor's box office, mode and position, once its signature and list kind are checked."""
        try:
            if len(token) > MAX_CURSOR:
                raise ValueError
            office, livemode, got_kind, created, row_id = self._serializer(kind).loads(token)
            if got_kind != kind:
                raise ValueError
            if not isinstance(row_id, int) or isinstance(row_id, bool):
                raise ValueError
            return office, livemode, Keyset(datetime.fromisoformat(created), row_id)
        except (BadData, ValueError, TypeError):
            raise BadRequest("Invalid cursor", "cursor") from None

    def decode(self, scope: Scope, kind: str, token: str) -> Keyset:
        office, livemode, position = self.read(kind, token)
        self.check(scope, (office, livemode))
        return position

    @staticmethod
    def check(scope: Scope, owner: tuple[Any, Any] | None) -> None:
        """A cursor minted for another box office or mode is refused (``owner`` None: no cursor)."""
        if owner is not None and list(owner) != [scope.box_office_id, scope.livemode]:
            raise BadRequest("Invalid cursor", "cursor")

    def page_query(self, request: Request, scope: Scope, kind: str) -> PageQuery:
        limit = parse_limit(request)
        token = query_param(request, "cursor")
        after = self.decode(scope, kind, token) if token else None
        return PageQuery(limit=limit, after=after)

    def unscoped_page_query(self, request: Request, kind: str) -> tuple[PageQuery, tuple[Any, Any] | None]:
        """The page a request asks for before its scope is known, and whose cursor it holds (the
        caller ``check``s it once the scope is read)."""
        limit = parse_limit(request)
        token = query_param(request, "cursor")
        if not token:
            return PageQuery(limit=limit), None
        office, livemode, position = self.read(kind, token)
        return PageQuery(limit=limit, after=position), (office, livemode)

    def envelope(self, scope: Scope, kind: str, page: Page, data: list[Any]) -> dict[str, Any]:
        next_cursor = self.encode(scope, kind, page.keyset(page.rows[-1])) if page.has_more and page.rows else None
        return {
            "livemode": scope.livemode,
            "data": data,
            "has_more": page.has_more,
            "next_cursor": next_cursor,
        }
