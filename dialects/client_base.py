"""What every dialect's ``client.py`` shares: an authenticated httpx reader of a vendor API.

Each dialect's client subclasses ``ApiClient`` with its auth headers and its own paging
(``pages``); the transport is passed in, so rate-limit handling and tests swap it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import httpx


class NoEquivalent(LookupError):
    """A request that cannot be expressed in a dialect; the message says why, in plain words."""


class ApiClient:
    """Subclasses set ``auth``: the vendor's credential headers for a key."""

    auth: Callable[[str], dict[str, str]]

    def __init__(self, base_url: str, key: str, http: httpx.AsyncClient | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = type(self).auth(key)
        self.http = http or httpx.AsyncClient(timeout=30)

    async def get(self, path: str, params: Sequence[tuple[str, str]] = ()) -> httpx.Response:
        return await self.http.get(self.base_url + path, params=list(params), headers=self.headers)

    async def get_json(self, path: str, params: Sequence[tuple[str, str]] = ()) -> Any:
        response = await self.get(path, params)
        response.raise_for_status()
        return response.json()

    async def cursor_pages(
        self, path: str, parse: Callable[[Any], dict], *, cursor_param: str, next_cursor: Callable[[Any], str | None],
        limit: int, start: str | None = None,
    ) -> AsyncIterator[tuple[list[dict], str | None]]:
        """Every page of a cursor-paged list as (parsed items, cursor of the next page or None)."""
        cursor = start
        while True:
            params = [("limit", str(limit))] + ([(cursor_param, cursor)] if cursor else [])
            body = await self.get_json(path, params)
            cursor = next_cursor(body)
            yield [parse(item) for item in body["data"]], cursor
            if cursor is None:
                return

    async def aclose(self) -> None:
        await self.http.aclose()
