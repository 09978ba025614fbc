"""What every dialect's ``client.py`` shares: an authenticated httpx reader of a vendor API.

Each dialect's client subclasses ``ApiClient`` with its auth headers and its own paging
(``pages``: a cursor-paged API declares a ``CursorPaging`` on a ``CursorClient``); the
transport is passed in, so rate-limit handling and tests swap it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx


class NoEquivalent(LookupError):
    """A request that cannot be expressed in a dialect; the message says why, in plain words."""


Routes = Sequence[tuple[str, str, str, str]]  # (method, path pattern, neutral resource, op)


def match_route(routes: Routes, method: str, path: str) -> tuple[str, str, dict[str, str]] | None:
    """(resource, op, path groups) of the first route a recorded request matches, or None."""
    for verb, pattern, resource, op in routes:
        match = re.fullmatch(pattern, path)
        if verb == method and match:
            return resource, op, match.groupdict()
    return None


def read_request(request: Mapping[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """A neutral request's resource, op and (a copy of) its filters; writes are never replayed."""
    resource, op = request["resource"], request["op"]
    if op not in ("list", "get"):
        raise NoEquivalent(f"{resource} {op} is a write")
    return resource, op, dict(request.get("filters") or {})


def resource_path(vendor: str, paths: Mapping[str, str], request: Mapping[str, Any]) -> str:
    """A neutral read's path on a REST API: the collection (list) or its item (get)."""
    resource = request["resource"]
    if resource not in paths:
        raise NoEquivalent(f"{vendor} has no {resource} endpoint")
    return paths[resource] if request["op"] == "list" else f"{paths[resource]}/{request['id']}"


def page_limit(request: Mapping[str, Any], default: int, maximum: int, vendor: str) -> int:
    """The page size a neutral list request asks for; past the vendor's largest page it has none."""
    limit = int(request.get("limit") or default)
    if limit > maximum:
        raise NoEquivalent(f"{vendor} pages hold at most {maximum} items")
    return limit


@dataclass(frozen=True)
class CursorPaging:
    """How a vendor's lists page by cursor: each importable list's path and item parser, the
    query parameter that carries the cursor, and where a page names the next one
    (``next_position(body)[key]``)."""

    vendor: str
    lists: Mapping[str, tuple[str, Callable[[Any], dict]]]
    param: str
    next_position: Callable[[Any], dict[str, Any] | None]
    key: str
    default: int  # page size when a request names none
    size: int  # the largest page, what an import asks for

    def next_cursor(self, body: Any) -> str | None:
        cursor: str | None = (self.next_position(body) or {}).get(self.key)
        return cursor

    def page_params(self, request: Mapping[str, Any], position: Mapping[str, Any] | None) -> list[tuple[str, str]]:
        """A neutral list request's position and page size as this API's query parameters."""
        limit = page_limit(request, self.default, self.size, self.vendor)
        position = position or {}
        if position.get(self.key):
            return [(self.param, position[self.key]), ("limit", str(limit))]
        if position.get("offset"):
            raise NoEquivalent(f"no cursor known for position {position['offset']}")
        return [("limit", str(limit))]


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

    async def aclose(self) -> None:
        await self.http.aclose()


class CursorClient(ApiClient):
    """A client of a cursor-paged API: subclasses declare ``paging``."""

    paging: ClassVar[CursorPaging]

    async def pages(self, resource: str, start: str | None = None) -> AsyncIterator[tuple[list[dict], str | None]]:
        """Every page of ``resource`` as (neutral items, cursor of the next page or None)."""
        paging = self.paging
        if resource not in paging.lists:
            raise NoEquivalent(f"{paging.vendor} has no {resource} list")
        path, parse = paging.lists[resource]
        cursor = start
        while True:
            params = [("limit", str(paging.size))] + ([(paging.param, cursor)] if cursor else [])
            body = await self.get_json(path, params)
            cursor = paging.next_cursor(body)
            yield [parse(item) for item in body["data"]], cursor
            if cursor is None:
                return
