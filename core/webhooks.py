"""Webhook delivery: a transactional outbox, Standard Webhooks signatures, retries, history.

1. ``Outbox`` observes order changes *inside their transaction*: when a subscription of
   the box office (same mode) wants the event type, it snapshots the object, writes one
   ``webhook_events`` row and one ``webhook_deliveries`` row per subscription, and
   NOTIFYs the workers. A rolled-back change therefore sends nothing, and a committed one
   is never lost, whatever happens to the process afterwards.
2. ``DeliveryEngine`` claims due deliveries with ``FOR UPDATE SKIP LOCKED`` and leases
   them (pushes ``next_attempt_at`` past the send timeout) before sending outside the
   transaction, so several workers on one database never send the same attempt twice.
   Each attempt is recorded; failures retry on ``RETRY_DELAYS``; a 410 disables the
   subscription. Every attempt carries the same ``webhook-id``, so receivers can drop
   duplicates of the at-least-once delivery.

HTTP is not done here: the engine is handed a ``Sender`` (gateway/webhook_worker.py), which
resolves the receiver's host and refuses internal addresses (gateway/egress.py). Signing
secrets are stored sealed; the engine opens them with its ``Vault`` just before signing.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import asyncpg
import orjson

from core.clock import Clock
from core.models import Scope
from core.vault import Undecryptable, Vault

log = logging.getLogger("ticketgate.webhooks")

CHANNEL = "ticketgate_webhooks"
EVENT_TYPES = ("order.placed", "order.refunded", "event.sold_out", "ticket.scanned")
OBJECT_KIND = {"order.placed": "order", "order.refunded": "order", "event.sold_out": "event",
               "ticket.scanned": "attendee"}
RETRY_DELAYS = (timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
                timedelta(hours=5), timedelta(hours=10), timedelta(hours=24))
MAX_ATTEMPTS = 1 + len(RETRY_DELAYS)
SEND_TIMEOUT = 10.0
LEASE = timedelta(seconds=60)  # longer than one send, so a lease never expires mid-attempt

Renderer = Callable[[asyncpg.Connection, Scope, str, int], Awaitable[dict[str, Any]]]


# --- signatures (https://www.standardwebhooks.com) ------------------------------------------

def signing_key(secret: str) -> bytes:
    """The key bytes of a ``whsec_`` secret; ValueError when it is no base64 (or empty): an HMAC
    key of nothing would sign, but prove nothing to the receiver."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    if not key:
        raise ValueError("an empty signing key")
    return key


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    return _signature(signing_key(secret), message_id, timestamp, body)


def _signature(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return f"v1,{base64.b64encode(digest).decode()}"


def message_id(event_id: int) -> str:
    return f"msg_{event_id}"


# --- the outbox -----------------------------------------------------------------------------

_WANTED = (
    "SELECT id FROM webhook_subscriptions WHERE box_office_id = $1 AND livemode = $2 AND enabled"
    " AND $3 = ANY(event_types) ORDER BY id"
)


class Outbox:
    """The order observer that writes webhook events in the change's own transaction."""

    # core.checkout.OrderObserver: does any enabled subscription of the scope want one of the kinds?
    watching = ("EXISTS (SELECT 1 FROM webhook_subscriptions w WHERE w.box_office_id = {box_office}"
                " AND w.livemode = {livemode} AND w.enabled AND w.event_types && {kinds})")

    def __init__(self, render: Renderer, clock: Clock) -> None:
        self.render = render
        self.clock = clock

    async def __call__(self, conn: asyncpg.Connection, scope: Scope, kind: str, object_id: int) -> None:
        subscriptions = [r["id"] for r in await conn.fetch(_WANTED, scope.box_office_id, scope.livemode, kind)]
        if not subscriptions:
            return
        obj = await self.render(conn, scope, OBJECT_KIND[kind], object_id)
        event_id = await conn.fetchval("SELECT nextval(pg_get_serial_sequence('webhook_events', 'id'))")
        now = self.clock.now()
        payload = {"id": message_id(event_id), "type": kind, "created_at": now.isoformat(),
                   "livemode": scope.livemode, "data": obj}
        await conn.execute(
            "INSERT INTO webhook_events (id, box_office_id, livemode, type, payload, created_at)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            event_id, scope.box_office_id, scope.livemode, kind, payload, now,
        )
        await conn.execute(
            "INSERT INTO webhook_deliveries (event_id, subscription_id, next_attempt_at, created_at, updated_at)"
            " SELECT $1, unnest($2::bigint[]), $3, $3, $3",
            event_id, subscriptions, now,
        )
        await conn.execute("SELECT pg_notify($1, '')", CHANNEL)


# --- delivery -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class SendResult:
    status_code: int | None  # None when no HTTP answer came back
    duration_ms: int
    error: str | None = None
    final: bool = False  # no later attempt can do better: the delivery fails now, not on the schedule

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Sender(Protocol):
    async def send(self, url: str, headers: dict[str, str], body: bytes, timeout: float) -> SendResult: ...


@dataclass(frozen=True, slots=True)
class Due:
    delivery_id: int
    attempts: int
    url: str
    secret: str
    subscription_id: int
    event_id: int
    payload: dict[str, Any]


class Unusable(Exception):
    """A delivery whose row cannot make a request (its secret cannot be opened, or is no key).
    ``final``: retrying cannot help, so it fails at once. ``reason`` never quotes the secret."""

    def __init__(self, reason: str, *, final: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.final = final


_CLAIM = (
    "SELECT d.id, d.attempts, s.url, s.secret, s.id AS subscription_id, e.id AS event_id, e.payload"
    " FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id"
    " JOIN webhook_events e ON e.id = d.event_id"
    " WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND s.enabled"
    " ORDER BY d.next_attempt_at, d.id LIMIT $2 FOR UPDATE OF d SKIP LOCKED"
)


class DeliveryEngine:
    def __init__(self, pool: asyncpg.Pool, sender: Sender, clock: Clock, vault: Vault, *, batch: int = 20,
                 on_attempt: Callable[[str], None] | None = None) -> None:
        self.pool = pool
        self.sender = sender
        self.clock = clock
        self.vault = vault  # opens the subscriptions' sealed signing secrets
        self.batch = batch
        self._wake = asyncio.Event()
        self._stopping = False
        self._leased: dict[int, int] = {}  # delivery id -> attempts when claimed, until recorded
        self._on_attempt = on_attempt  # told each attempt's outcome: succeeded, retrying, failed

    async def claim(self) -> list[Due]:
        """Take up to ``batch`` due deliveries and lease them to this worker."""
        now = self.clock.now()
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(_CLAIM, now, self.batch)
            if rows:
                await conn.execute(
                    "UPDATE webhook_deliveries SET next_attempt_at = $2 WHERE id = ANY($1::bigint[])",
                    [r["id"] for r in rows], now + LEASE,
                )
        self._leased.update((r["id"], r["attempts"]) for r in rows)
        return [Due(r["id"], r["attempts"], r["url"], r["secret"], r["subscription_id"], r["event_id"],
                    r["payload"]) for r in rows]

    async def run_once(self) -> int:
        """Send every delivery due now; return how many attempts were made.

        Each attempt is on its own: one that raises (its record could not be written) is logged
        and left to its lease, the others of the batch are still sent and recorded."""
        due = await self.claim()
        outcomes = await asyncio.gather(*(self.attempt(d) for d in due), return_exceptions=True)
        for d, outcome in zip(due, outcomes, strict=True):
            if isinstance(outcome, BaseException) and not isinstance(outcome, Exception):
                raise outcome  # a cancellation (or an exit) is the worker's, not the delivery's
            if isinstance(outcome, Exception):
                log.warning("webhook delivery %d: attempt not recorded (%s); retried when its lease ends",
                            d.delivery_id, type(outcome).__name__)
        return len(due)

    async def attempt(self, due: Due) -> SendResult:
        """Sign and send one delivery, and record the attempt. A delivery whose request cannot be
        built is recorded as a failed attempt with the reason, logged once, and never sent."""
        try:
            headers, body = self._signed(due)
        except Unusable as exc:
            log.warning("webhook delivery %d (subscription %d) not sent: %s", due.delivery_id,
                        due.subscription_id, exc.reason)
            result = SendResult(None, 0, exc.reason, final=exc.final)
        else:
            result = await self._send(due, headers, body)
        await self.record(due, result)
        return result

    def _signed(self, due: Due) -> tuple[dict[str, str], bytes]:
        """The headers and body of the delivery's request; Unusable when its row cannot make one.

        A failure nobody foresaw is Unusable too, retried on the schedule: its reason names only
        the exception's type, as its message could quote the secret or the payload."""
        try:
            key = self._signing_key(due)
            body = orjson.dumps(due.payload)
            msg_id = message_id(due.event_id)
            timestamp = int(self.clock.now().timestamp())
            signature = _signature(key, msg_id, timestamp, body)
        except Unusable:
            raise
        except Exception as exc:
            raise Unusable(f"cannot build the request ({type(exc).__name__})", final=False) from None
        headers = {"content-type": "application/json", "user-agent": "ticketgate-webhooks/1",
                   "webhook-id": msg_id, "webhook-timestamp": str(timestamp), "webhook-signature": signature}
        return headers, body

    def _signing_key(self, due: Due) -> bytes:
        try:
            secret = self.vault.reveal(due.secret)
        except Undecryptable:  # its key left encryption_keys: retried, so adding it back delivers
            raise Unusable("cannot decrypt the subscription's signing secret with the configured"
                           " encryption_keys", final=False) from None
        try:
            return signing_key(secret)
        except ValueError:  # no retry makes it a key: failed now (an operator's resend tries again)
            raise Unusable("the subscription's signing secret is not a Standard Webhooks key"
                           " (whsec_ and base64)", final=True) from None

    async def _send(self, due: Due, headers: dict[str, str], body: bytes) -> SendResult:
        try:
            return await self.sender.send(due.url, headers, body, SEND_TIMEOUT)
        except Exception as exc:  # a sender bug must not lose the delivery
            log.exception("webhook sender failed")
            return SendResult(None, 0, f"sender error: {exc}")

    async def record(self, due: Due, result: SendResult) -> None:
        now = self.clock.now()
        attempts = due.attempts + 1
        status, next_at = _next_state(result, attempts, now)
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO webhook_attempts (delivery_id, attempted_at, status_code, duration_ms, error)"
                " VALUES ($1, $2, $3, $4, $5)",
                due.delivery_id, now, result.status_code, result.duration_ms, result.error,
            )
            await conn.execute(
                "UPDATE webhook_deliveries SET attempts = $2, status = $3, next_attempt_at = $4,"
                " last_status_code = $5, last_error = $6, updated_at = $7 WHERE id = $1 AND attempts = $8",
                due.delivery_id, attempts, status, next_at, result.status_code, result.error, now, due.attempts,
            )
            if result.status_code == 410:
                await conn.execute(
                    "UPDATE webhook_subscriptions SET enabled = false, updated_at = $2,"
                    " disabled_reason = 'The endpoint answered 410 Gone' WHERE id = $1",
                    due.subscription_id, now,
                )
        self._leased.pop(due.delivery_id, None)
        if self._on_attempt is not None:
            self._on_attempt("retrying" if status == "pending" else status)

    def wake(self, *_: Any) -> None:
        self._wake.set()

    def stop_claiming(self) -> None:
        """Finish the attempts in flight, claim no more (``run_forever`` returns after them)."""
        self._stopping = True
        self._wake.set()

    async def release(self) -> int:
        """Hand back deliveries claimed but never recorded (their sends were cancelled), due now,
        so another worker takes them at once instead of when the lease runs out."""
        leased, self._leased = self._leased, {}
        if not leased:
            return 0
        async with self.pool.acquire() as conn:
            result = await conn.execute(
                "UPDATE webhook_deliveries d SET next_attempt_at = $3 FROM unnest($1::bigint[], $2::int[])"
                " AS l(id, attempts) WHERE d.id = l.id AND d.attempts = l.attempts AND d.status = 'pending'",
                list(leased), list(leased.values()), self.clock.now(),
            )
        return int(result.split()[-1])

    async def run_forever(self, poll_interval: float = 1.0) -> None:
        """Deliver until cancelled or stopped; woken at once by NOTIFY, else every ``poll_interval``."""
        while not self._stopping:
            try:
                sent = await self.run_once()
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("webhook worker: %s", exc)
                sent = 0
            if sent:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), poll_interval)


def _next_state(result: SendResult, attempts: int, now: datetime) -> tuple[str, datetime]:
    if result.ok:
        return "succeeded", now
    if result.final or result.status_code == 410 or attempts >= MAX_ATTEMPTS:
        return "failed", now
    return "pending", now + RETRY_DELAYS[attempts - 1]


async def resend(conn: asyncpg.Connection, delivery_id: int, now: datetime) -> asyncpg.Record | None:
    """Queue a finished (failed or succeeded) delivery for one more attempt now.

    A pending delivery is already queued, and may be leased by a worker right now: it is
    left alone (None), so a re-send can never double an attempt in flight.
    """
    row = await conn.fetchrow(
        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $2, updated_at = $2"
        " WHERE id = $1 AND status <> 'pending' RETURNING *",
        delivery_id, now,
    )
    if row is not None:
        await conn.execute("SELECT pg_notify($1, '')", CHANNEL)
    return row


async def list_deliveries(
    conn: asyncpg.Connection, box_office_id: int, *, status: str | None = None, limit: int = 50
) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT d.*, e.type, e.livemode, s.url FROM webhook_deliveries d"
        " JOIN webhook_events e ON e.id = d.event_id JOIN webhook_subscriptions s ON s.id = d.subscription_id"
        " WHERE e.box_office_id = $1 AND ($2::text IS NULL OR d.status = $2)"
        " ORDER BY d.created_at DESC, d.id DESC LIMIT $3",
        box_office_id, status, limit,
    )
