"""Box offices: the tenants. Everything else hangs off one."""

from __future__ import annotations

import asyncpg

from core.errors import NotFound, SlugTaken
from core.keys import notify_all
from core.models import BoxOfficeCreate, BoxOfficeUpdate
from core.slugs import slugify


async def create_box_office(conn: asyncpg.Connection, data: BoxOfficeCreate) -> asyncpg.Record:
    slug = data.slug or slugify(data.name)
    try:
        return await conn.fetchrow(
            "INSERT INTO box_offices (slug, name, plan, currency, api_terms_accepted, payments_connected)"
            " VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
            slug, data.name, data.plan, data.currency, data.api_terms_accepted, data.payments_connected,
        )
    except asyncpg.UniqueViolationError:
        raise SlugTaken(slug) from None


async def update_box_office(
    conn: asyncpg.Connection, slug: str, data: BoxOfficeUpdate
) -> asyncpg.Record:
    changes = {k: v for k, v in data.provided().items() if v is not None}
    office = await get_box_office(conn, slug)
    if not changes:
        return office
    assignments = ", ".join(f"{column} = ${i}" for i, column in enumerate(changes, start=2))
    async with conn.transaction():
        row = await conn.fetchrow(
            f"UPDATE box_offices SET {assignments} WHERE id = $1 RETURNING *",
            office["id"], *changes.values(),
        )
        await notify_all(conn)  # a plan change alters every cached principal of this office
    return row


async def get_box_office(conn: asyncpg.Connection, slug: str) -> asyncpg.Record:
    row = await conn.fetchrow("SELECT * FROM box_offices WHERE slug = $1", slug)
    if row is None:
        raise NotFound("box_office", f"Box office not found: {slug}")
    return row


async def list_box_offices(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM box_offices ORDER BY id")
