"""Webhook subscriptions: create, read, update, delete, and their delivery history.

No HTTP here: the delivery engine (outbox writer and worker) lives elsewhere and reads
the same tables. A subscription's signing secret is returned once, by ``create``, and stored
sealed (core/vault.py). A URL must be https and its host no internal address (core/addresses.py);
the addresses the host resolves to are checked again at each delivery.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import asyncpg
from pydantic import Field, field_validator

from core import reads, scoped
from core.addresses import AddressPolicy, is_loopback, parse_address
from core.errors import NotFound, PlanRequired, ValidationFailed
from core.listing import Page, PageQuery, Source, Where, exists, page, raw_columns
from core.models import Input, Scope, ShortText, Text
from core.projection import Projection
from core.reads import Shape
from core.vault import Vault

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


@dataclass(frozen=True, slots=True)
class Guard:
    """What subscriptions are held to: the addresses their URLs may name, the vault their
    secrets are sealed with (both from the settings, built once by the gateway)."""

    addresses: AddressPolicy
    vault: Vault


def check_url(url: str, policy: AddressPolicy) -> None:
    """HTTPS only, to a host that is no internal address; in development plain HTTP and
    loopback are allowed (a receiver on the developer's machine)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise ValidationFailed.single("url", "must be a valid URL") from None
    if not host or parts.scheme not in ("https", "http") or parts.username or parts.password:
        raise ValidationFailed.single("url", "must be an https:// URL without credentials")
    if parts.scheme == "http" and not (policy.development and _loopback(host)):
        raise ValidationFailed.single("url", "must use https (http is allowed only for localhost in development)")
    if reason := policy.host_refusal(host):
        raise ValidationFailed.single("url", f"must not point to an internal address ({host}: {reason})")


def _loopback(host: str) -> bool:
    ip = parse_address(host)
    return host == "localhost" if ip is None else is_loopback(ip)


def new_secret() -> str:
    # Standard Webhooks form: whsec_ + standard base64 of the key bytes
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


async def create_subscription(
    conn: asyncpg.Connection, scope: Scope, plan: str, data: SubscriptionCreate, guard: Guard
) -> dict[str, Any]:
    """The new subscription's row, with its secret in plaintext (the one time it is shown)."""
    if plan not in WEBHOOK_PLANS:
        raise PlanRequired(
            f"Webhook subscriptions are available on the Growth and Pro plans; this organization is on"
            f" the {plan.capitalize()} plan"
        )
    check_url(data.url, guard.addresses)
    secret = new_secret()
    row = await conn.fetchrow(
        "INSERT INTO webhook_subscriptions (box_office_id, livemode, url, event_types, description,"
        " secret, enabled) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
        scope.box_office_id,
        scope.livemode,
        data.url,
        data.event_types,
        data.description,
        guard.vault.seal(secret),
        data.enabled,
    )
    return {**dict(row), "secret": secret}


async def get_subscription(conn: asyncpg.Connection, scope: Scope, subscription_id: int) -> asyncpg.Record:
    return await scoped.fetch_one(conn, "webhook_subscriptions", "*", scope, subscription_id, "webhook_subscription")


async def update_subscription(
    conn: asyncpg.Connection,
    scope: Scope,
    subscription_id: int,
    data: SubscriptionUpdate,
    guard: Guard,
) -> asyncpg.Record:
    changes = data.provided()
    if "url" in changes:
        check_url(changes["url"], guard.addresses)
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
DELIVERY_ROWS = Shape(Projection(()), raw=DELIVERY_COLUMNS)


async def list_deliveries(conn: asyncpg.Connection, scope: Scope, subscription_id: int, q: PageQuery,
                          shape: Shape = DELIVERY_ROWS) -> Page:
    """A subscription's deliveries, newest first, through ``shape`` (its ``raw`` columns: the
    rows; children: their attempts), in one statement; NotFound when it is not the scope's."""
    where = Where()
    where.add("d.subscription_id = ?", subscription_id)
    found = exists("webhook_subscriptions", where, scope, subscription_id)
    deliveries = await reads.page(conn, shape, DELIVERIES, where, q, (found,))
    if not deliveries.head["_found"]:
        raise NotFound("webhook_subscription")
    return deliveries
