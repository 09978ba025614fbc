"""Webhook subscriptions CRUD and each subscription's delivery history."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from core import subscriptions as subs
from core.keys import Principal
from dialects.base import json_response
from dialects.equaticket import inputs, queries
from dialects.equaticket import serializers as ser
from dialects.equaticket.inputs import path_id

if TYPE_CHECKING:
    from dialects.equaticket.dialect import Equaticket


def _id(request: Request) -> int:
    return path_id(request, "subscription_id", "webhook_subscription")


async def list_subscriptions(d: Equaticket, request: Request, p: Principal) -> Response:
    query = d.cursors.page_query(request, p.scope, "webhook_subscriptions")
    async with d.services.pool.acquire() as conn:
        page = await subs.list_subscriptions(conn, p.scope, query)
    data = [ser.subscription(row) for row in page.rows]
    return json_response(d.cursors.envelope(p.scope, "webhook_subscriptions", page, data))


async def create_subscription(d: Equaticket, request: Request, p: Principal) -> Response:
    data = inputs.subscription_create(await inputs.json_object(request))
    async with d.services.pool.acquire() as conn:
        row = await subs.create_subscription(conn, p.scope, p.plan, data, d.services.webhooks)
    return json_response(ser.subscription(row, with_secret=True), 201)


async def get_subscription(d: Equaticket, request: Request, p: Principal) -> Response:
    async with d.services.pool.acquire() as conn:
        row = await subs.get_subscription(conn, p.scope, _id(request))
    return json_response(ser.subscription(row))


async def update_subscription(d: Equaticket, request: Request, p: Principal) -> Response:
    subscription_id = _id(request)
    data = inputs.subscription_update(await inputs.json_object(request))
    async with d.services.pool.acquire() as conn:
        row = await subs.update_subscription(conn, p.scope, subscription_id, data, d.services.webhooks)
    return json_response(ser.subscription(row))


async def delete_subscription(d: Equaticket, request: Request, p: Principal) -> Response:
    subscription_id = _id(request)
    async with d.services.pool.acquire() as conn:
        await subs.delete_subscription(conn, p.scope, subscription_id)
    return json_response(
        {"id": f"whsub_{subscription_id}", "object": "webhook_subscription", "livemode": p.livemode, "deleted": True}
    )


async def list_deliveries(d: Equaticket, request: Request, p: Principal) -> Response:
    subscription_id = _id(request)
    kind = f"webhook_deliveries.{subscription_id}"  # a cursor is only good for its subscription
    query = d.cursors.page_query(request, p.scope, kind)
    async with d.services.pool.acquire() as conn:
        page, data = await queries.deliveries(conn, p.scope, subscription_id, query)
    return json_response(d.cursors.envelope(p.scope, kind, page, data))
