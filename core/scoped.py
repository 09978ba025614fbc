"""Reading one object of a scope (a box office in one mode) by id, or NotFound.

Every tenant-owned table has ``box_office_id`` and ``livemode``; an object of another box
office or of the other mode is reported exactly like a missing one, so ids cannot be probed.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from core.errors import NotFound
from core.models import Scope


def scoped(alias: str = "") -> str:
    """The condition on ``$1`` (the id), ``$2`` (the box office) and ``$3`` (the mode)."""
    a = f"{alias}." if alias else ""
    return f"{a}id = $1 AND {a}box_office_id = $2 AND {a}livemode = $3"


def args(scope: Scope, object_id: int) -> tuple[int, int, bool]:
    """The parameters ``$1``-``$3`` of ``scoped()``."""
    return object_id, scope.box_office_id, scope.livemode


async def find_one(
    conn: asyncpg.Connection, table: str, columns: str, scope: Scope, object_id: int,
    *, alias: str = "", lock: str = "",
) -> asyncpg.Record | None:
    """``columns`` of the scope's object ``object_id`` in ``table`` (aliased ``alias``), or None."""
    return await conn.fetchrow(
        f"SELECT {columns} FROM {table} WHERE {scoped(alias)}{lock}", *args(scope, object_id)
    )


async def fetch_one(
    conn: asyncpg.Connection, table: str, columns: str, scope: Scope, object_id: int, kind: str,
    *, alias: str = "", lock: str = "", missing: str | None = None,
) -> Any:
    """``find_one``, raising NotFound(kind) ("Issued ticket not found" unless ``missing`` says
    otherwise) when the scope has no such object."""
    row = await find_one(conn, table, columns, scope, object_id, alias=alias, lock=lock)
    if row is None:
        raise NotFound(kind, missing)
    return row
