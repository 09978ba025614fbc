"""Webhook subscriptions: create, read, update, delete, and their delivery history.

No HTTP here: the delivery engine (outbox writer and worker) lives elsewhere and reads
the same tables. A subscription's signing secret is returned once, by ``create``.
"""

from __future__ import annotations

import base64
import ipaddress
import secrets
from typing import Annotated, Literal
from urllib.parse import urlsplit

import asyncpg
from pydantic import Field, field_validator

from core import scoped
from core.errors import NotFound, PlanRequired, ValidationFailed
from core.listing import Page, PageQuery, Source, Where, children, page, raw_columns
from core.models import Input, Scope, ShortText, Text

EventType = Literal["order.placed", "order.refunded", "event.sold_out", "ticket.scanned"]
EVENT_TYPES: tuple[str, ...] = ("order.placed", "order.refunded", "event.sold_out", "ticket.scanned")
WEBHOOK_PLANS = ("growth", "pro")
Url = Annotated[Text, Field(min_length=1, max_length=2048)]
EventTypes = Annotated[list[EventType], Field(min_length=1, max_length=len(EVENT_TYPES))]


def _distinct(values: list[str] | None) -> list[str] | None:
    return list(dict.fromkeys(values)) if values is not None else None


class SubscriptionCreate(Input):
    url: Url
    event_types: EventTypes
    description: ShortText | None = None
    enabled: bool = True

    _dedupe = field_validator("event_types")(classmethod(lambda cls, v: _distinct(v)))


class SubscriptionUpdate(Input):
    url: Url | None = None
    event_types: EventTypes | None = None
    description: ShortText | None = None
    enabled: bool | None = None

    _dedupe = field_validator("event_types")(classmethod(lambda cls, v: _distinct(v)))

    @field_validator("url", "event_types", "enabled")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("must not be null")
        return value


def check_url(url: str, *, development: bool) -> None:
    """HTTPS only; plain HTTP is allowed for loopback hosts in development."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise ValidationFailed.single("url", "must be a valid URL") from None
    if not host or parts.scheme not in ("https", "http") or parts.username or parts.password:
        raise ValidationFailed.single("url", "must be an https:// URL without credentials")
    if parts.scheme == "http" and not (development and _loopback(host)):
        raise ValidationFailed.single("url", "must use https (http is allowed only for localhost in development)")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def new_secret() -> str:
    # Standard Webhooks form: whsec_ + standard base64 of the key bytes
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


async def create_subscription(
    conn: asyncpg.Connection, scope: Scope, plan: str, data: SubscriptionCreate, *, development: bool
) -> asyncpg.Record:
    if plan not in WEBHOOK_PLANS:
        raise PlanRequired(
            f"Webhook subscriptions are available on the Growth and Pro plans; this organization is on"
            f" the {plan.capitalize()} plan"
        )
    check_url(data.url, development=development)
    return await conn.fetchrow(
        "INSERT INTO webhook_subscriptions (box_office_id, livemode, url, event_types, description,"
        " secret, enabled) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
        scope.box_office_id,
        scope.livemode,
        data.url,
        data.event_types,
        data.description,
        new_secret(),
        data.enabled,
    )


async def get_subscription(conn: asyncpg.Connection, scope: Scope, subscription_id: int) -> asyncpg.Record:
    return await scoped.fetch_one(conn, "webhook_subscriptions", "*", scope, subscription_id, "webhook_subscription")


async def update_subscription(
    conn: asyncpg.Connection,
    scope: Scope,
    subscription_id: int,
    data: SubscriptionUpdate,
    *,
    development: bool,
) -> asyncpg.Record:
    changes = data.provided()
    if "url" in changes:
        check_url(changes["url"], development=development)
    if not changes:
        return await get_subscription(conn, scope, subscription_id)
    if changes.get("enabled"):
        changes["disabled_reason"] = None  # re-enabling clears why the engine turned it off
    assignments = ", ".join(f"{c} = ${i}" for i, c in enumerate(changes, start=4))
    row = await conn.fetchrow(
        f"UPDATE webhook_subscriptions SET {assignments}, updated_at = now() WHERE {scoped.scoped()} RETURNING *",
        *scoped.args(scope, subscription_id), *changes.values(),
    )
    if row is None:
        raise NotFound("webhook_subscription")
    return row


async def delete_subscription(conn: asyncpg.Connection, scope: Scope, subscription_id: int) -> None:
    deleted = await conn.fetchval(
        f"DELETE FROM webhook_subscriptions WHERE {scoped.scoped()} RETURNING id", *scoped.args(scope, subscription_id)
    )
    if deleted is None:
        raise NotFound("webhook_subscription")


async def list_subscriptions(conn: asyncpg.Connection, scope: Scope, q: PageQuery) -> Page:
    where = Where()
    where.add("s.box_office_id = ? AND s.livemode = ?", scope.box_office_id, scope.livemode)
    return await page(conn, raw_columns("s"), SUBSCRIPTIONS, where, q)


SUBSCRIPTIONS = Source("webhook_subscriptions", "s", "webhook_subscription", "Webhook subscription not found")
DELIVERIES = Source("webhook_deliveries", "d", "webhook_delivery", "Webhook delivery not found",
                    " JOIN webhook_events ev ON ev.id = d.event_id")
DELIVERY_COLUMNS = f"{raw_columns('d')}, ev.type AS event_type, ev.payload AS event_payload"


async def list_deliveries(conn: asyncpg.Connection, scope: Scope, subscription_id: int, q: PageQuery) -> Page:
    """A subscription's deliveries, newest first (NotFound when it is not the scope's)."""
    await get_subscription(conn, scope, subscription_id)
    where = Where()
    where.add("d.subscription_id = ?", subscription_id)
    return await page(conn, DELIVERY_COLUMNS, DELIVERIES, where, q)


async def attempts_for(conn: asyncpg.Connection, delivery_ids: list[int]) -> list[asyncpg.Record]:
    return await children(conn, "*", "webhook_attempts", "delivery_id", delivery_ids)
