"""``page`` (from 1) and ``limit`` (1-100, larger values capped) to an offset page, and back.

Declared once as data; the response's ``pagination`` object is built here too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.errors import FieldError
from core.listing import PageQuery

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_PAGE = 1_000_000  # far past any real list; keeps the offset a sane integer


@dataclass(frozen=True, slots=True)
class PageRequest:
    page: int
    limit: int

    @property
    def query(self) -> PageQuery:
        return PageQuery(self.limit, offset=(self.page - 1) * self.limit)


def _integer(params: Mapping[str, str], name: str, default: int, errors: list[FieldError]) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    # the document's integer, as sent: empty ("limit=") or padded (" 5") values are refused,
    # never read as the default
    if not (raw.isascii() and raw.lstrip("-").isdigit()) or len(raw) > 12:
        errors.append(FieldError(name, "Expected a positive integer"))
        return default
    return int(raw)


def page_request(params: Mapping[str, str], errors: list[FieldError]) -> PageRequest:
    page = _integer(params, "page", 1, errors)
    limit = _integer(params, "limit", DEFAULT_LIMIT, errors)
    if not 1 <= page <= MAX_PAGE:
        errors.append(FieldError("page", f"Must be an integer from 1 to {MAX_PAGE}"))
    if limit < 1:
        errors.append(FieldError("limit", f"Must be an integer from 1 to {MAX_LIMIT}"))
    return PageRequest(page, min(limit, MAX_LIMIT))


def pagination_json(request: PageRequest, total: int) -> dict[str, Any]:
    pages = math.ceil(total / request.limit)
    return {
        "page": request.page,
        "limit": request.limit,
        "total": total,
        "totalPages": pages,
        "hasMore": request.page < pages,
    }
