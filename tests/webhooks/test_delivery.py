"""Webhook delivery end to end: outbox, signatures, retries, 410, two workers, rollbacks."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
from collections.abc import Iterator

import httpx
import orjson
import pytest
import respx

from core import subscriptions
from core.addresses import AddressPolicy
from core.checkout import Checkout
from core.models import OrderCreate, Scope, parse
from core.vault import Vault
from core.webhooks import MAX_ATTEMPTS, DeliveryEngine, SendResult, signing_key
from gateway.webhook_worker import HttpxSender
from tests.factories import event_with_type
from tests.webhooks.receiver import Receiver
from tests.webhooks.resolver import FakeResolver


@pytest.fixture(autouse=True)
async def _only_this_tests_deliveries(conn) -> None:
    """Engines claim every due delivery in the database; park the ones earlier tests left pending."""
    await conn.execute("UPDATE webhook_deliveries SET status = 'failed' WHERE status = 'pending'")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a receiver does (Standard Webhooks), written independently of core.webhooks."""
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(f"v1,{expected}", sig) for sig in headers["webhook-signature"].split())


async def _subscribe(conn, office, url: str, *, livemode: bool = True,
                     types: list[str] | None = None) -> tuple[int, str]:
    data = parse(subscriptions.SubscriptionCreate, {"url": url, "event_types": types or ["order.placed"]})
    row = await subscriptions.create_subscription(conn, Scope(office["id"], livemode), "pro", data,
                                                   GUARD)
    return row["id"], row["secret"]


async def _order(conn, office, checkout: Checkout, *, livemode: bool = True, quantity: int = 1, stock: int = 10):
    scope = Scope(office["id"], livemode)
    event_id, type_id = await event_with_type(conn, scope, title="Hooked", price=500, quantity=stock)
    return await checkout.place(conn, scope, parse(OrderCreate, {
        "event_id": event_id, "buyer": {"email": "hook@example.com"},
        "lines": [{"ticket_type_id": type_id, "quantity": quantity}]}))


GUARD = subscriptions.Guard(AddressPolicy(development=True), Vault([Vault.generate_key()]))  # secrets sealed


def engine(gateway, clock, **kw) -> DeliveryEngine:
    return DeliveryEngine(gateway.pool, HttpxSender(GUARD.addresses), clock, GUARD.vault, **kw)


async def _flush(gateway, clock) -> int:
    total = 0
    while sent := await engine(gateway, clock).run_once():
        total += sent
    return total


async def test_signed_delivery_in_the_equaticket_shape(gateway, conn, box_office, clock, receiver):
    _, secret = await _subscribe(conn, box_office, receiver.url)
    order = await _order(conn, box_office, gateway.checkout)
    assert await _flush(gateway, clock) == 1
    [hit] = receiver.received
    assert verify(secret, hit.headers, hit.body)
    payload = orjson.loads(hit.body)
    assert payload["type"] == "order.placed" and payload["livemode"] is True
    assert payload["id"] == hit.headers["webhook-id"]
    assert payload["data"]["id"] == f"ord_{order['id']}" and payload["data"]["livemode"] is True
    assert abs(int(hit.headers["webhook-timestamp"]) - clock.now().timestamp()) < 5
    assert signing_key(secret)  # the secret is Standard Webhooks base64


async def test_failures_retry_with_the_same_id_then_succeed(gateway, conn, box_office, clock, receiver):
    receiver.script[:] = [500, 503, 200]
    sub_id, secret = await _subscribe(conn, box_office, receiver.url)
    await _order(conn, box_office, gateway.checkout)
    assert await _flush(gateway, clock) == 1
    assert await _flush(gateway, clock) == 0  # not due before its 5 s delay
    clock.advance(seconds=6)
    assert await _flush(gateway, clock) == 1
    clock.advance(minutes=6)
    assert await _flush(gateway, clock) == 1
    ids = {r.headers["webhook-id"] for r in receiver.received}
    assert len(receiver.received) == 3 and len(ids) == 1
    assert all(verify(secret, r.headers, r.body) for r in receiver.received)
    history = await conn.fetch(
        "SELECT a.status_code, a.error FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id"
        " WHERE d.subscription_id = $1 ORDER BY a.id", sub_id)
    assert [h["status_code"] for h in history] == [500, 503, 200]
    assert history[0]["error"] == "HTTP 500" and history[2]["error"] is None
    status = await conn.fetchval("SELECT status FROM webhook_deliveries WHERE subscription_id = $1", sub_id)
    assert status == "succeeded"


async def test_gives_up_after_the_schedule(gateway, conn, box_office, clock, receiver):
    receiver.script[:] = [500]
    sub_id, _ = await _subscribe(conn, box_office, receiver.url)
    await _order(conn, box_office, gateway.checkout)
    for _ in range(MAX_ATTEMPTS + 2):
        await _flush(gateway, clock)
        clock.advance(hours=25)
    assert len(receiver.received) == MAX_ATTEMPTS
    row = await conn.fetchrow("SELECT status, attempts FROM webhook_deliveries WHERE subscription_id = $1", sub_id)
    assert (row["status"], row["attempts"]) == ("failed", MAX_ATTEMPTS)


async def _answered(status: int, gateway, conn, office, clock, receiver) -> int:
    """One order's delivery, answered with ``status``; the subscription's id."""
    receiver.script[:] = [status]
    sub_id, _ = await _subscribe(conn, office, receiver.url)
    await _order(conn, office, gateway.checkout)
    await _flush(gateway, clock)
    return sub_id


async def test_410_disables_the_subscription(gateway, conn, box_office, clock, receiver):
    sub_id = await _answered(410, gateway, conn, box_office, clock, receiver)
    sub = await conn.fetchrow("SELECT enabled, disabled_reason FROM webhook_subscriptions WHERE id = $1", sub_id)
    assert sub["enabled"] is False and "410" in sub["disabled_reason"]
    await _order(conn, box_office, gateway.checkout)  # a disabled subscription gets nothing new
    assert await conn.fetchval("SELECT count(*) FROM webhook_deliveries WHERE subscription_id = $1", sub_id) == 1


async def test_redirects_count_as_failures(gateway, conn, box_office, clock, receiver):
    sub_id = await _answered(302, gateway, conn, box_office, clock, receiver)
    row = await conn.fetchrow("SELECT status, last_error FROM webhook_deliveries WHERE subscription_id = $1", sub_id)
    assert row["status"] == "pending" and "redirect" in row["last_error"]


async def test_two_workers_never_send_the_same_attempt(gateway, conn, box_office, clock, receiver):
    await _subscribe(conn, box_office, receiver.url)
    for _ in range(30):
        await _order(conn, box_office, gateway.checkout)
    first, second = engine(gateway, clock, batch=5), engine(gateway, clock, batch=5)

    async def drain(e: DeliveryEngine) -> int:
        total = 0
        while sent := await e.run_once():
            total += sent
        return total

    counts = await asyncio.gather(drain(first), drain(second))
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert sum(counts) == 30 and len(ids) == 30 and len(set(ids)) == 30


async def test_rolled_back_order_sends_nothing(gateway, conn, box_office, clock, receiver):
    sub_id, _ = await _subscribe(conn, box_office, receiver.url)

    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        async with conn.transaction():
            await _order(conn, box_office, gateway.checkout)
            raise Abort
    assert await conn.fetchval("SELECT count(*) FROM webhook_deliveries WHERE subscription_id = $1", sub_id) == 0
    assert await _flush(gateway, clock) == 0 and receiver.received == []


async def test_committed_events_survive_a_missing_worker(gateway, conn, box_office, clock, receiver):
    """The change commits with its outbox rows; a worker started later still delivers them."""
    await _subscribe(conn, box_office, receiver.url, types=["order.placed", "event.sold_out"])
    await _order(conn, box_office, gateway.checkout, quantity=2, stock=2)  # takes the last seats
    assert receiver.received == []
    assert await _flush(gateway, clock) == 2
    assert sorted(orjson.loads(r.body)["type"] for r in receiver.received) == ["event.sold_out", "order.placed"]


async def test_test_mode_subscriptions_receive_only_test_events(gateway, conn, box_office, clock, receiver):
    await _subscribe(conn, box_office, receiver.url, livemode=False)
    await _order(conn, box_office, gateway.checkout, livemode=True)
    assert await _flush(gateway, clock) == 0
    await _order(conn, box_office, gateway.checkout, livemode=False)
    assert await _flush(gateway, clock) == 1
    assert orjson.loads(receiver.received[0].body)["livemode"] is False


async def test_refund_and_scan_events(gateway, conn, box_office, clock, receiver):
    await _subscribe(conn, box_office, receiver.url, types=["order.refunded", "ticket.scanned"])
    order = await _order(conn, box_office, gateway.checkout)
    scope = Scope(box_office["id"], True)
    ticket = await conn.fetchval("SELECT id FROM issued_tickets WHERE order_id = $1", order["id"])
    await gateway.checkout.check_in(conn, scope, ticket, "door")
    await gateway.checkout.refund(conn, scope, order["id"])
    await _flush(gateway, clock)
    kinds = [orjson.loads(r.body)["type"] for r in receiver.received]
    assert sorted(kinds) == ["order.refunded", "ticket.scanned"]


@respx.mock
async def test_sender_error_paths():
    # hooks.test "resolves" to a documentation address, let through by the allowlist; respx
    # answers for it, so nothing is sent anywhere
    respx.post("https://192.0.2.10/timeout").mock(side_effect=httpx.ConnectTimeout("slow"))
    respx.post("https://192.0.2.10/refused").mock(side_effect=httpx.ConnectError("refused"))
    respx.post("https://192.0.2.10/moved").mock(return_value=httpx.Response(301, headers={"location": "/x"}))
    respx.post("https://192.0.2.10/ok").mock(return_value=httpx.Response(204))
    policy = AddressPolicy.of(development=False, allow=["192.0.2.0/24"])
    sender = HttpxSender(policy, FakeResolver({"hooks.test": ["192.0.2.10"]}))
    timeout = await sender.send("https://hooks.test/timeout", {}, b"{}", 10)
    refused = await sender.send("https://hooks.test/refused", {}, b"{}", 10)
    moved = await sender.send("https://hooks.test/moved", {}, b"{}", 10)
    ok = await sender.send("https://hooks.test/ok", {}, b"{}", 10)
    assert (timeout.status_code, timeout.ok, "timed out" in (timeout.error or "")) == (None, False, True)
    assert refused.status_code is None and "ConnectError" in (refused.error or "")
    assert moved.status_code == 301 and not moved.ok and "redirect" in (moved.error or "")
    assert ok.ok and ok.error is None
    assert isinstance(ok, SendResult)
    await sender.close()


async def test_the_serve_worker_delivers_on_notify(gateway, conn, box_office, clock, receiver):
    """The worker every serve process runs: woken by the outbox's NOTIFY, not by polling."""
    from gateway.webhook_worker import Worker

    worker = Worker(gateway.pool, gateway.dsn, clock, GUARD, poll_interval=3600)  # only NOTIFY can wake it in time
    await worker.start()
    try:
        await asyncio.sleep(0.2)  # the worker's first pass finds nothing and goes to sleep
        await _subscribe(conn, box_office, receiver.url)
        await _order(conn, box_office, gateway.checkout)
        for _ in range(100):
            if receiver.received:
                break
            await asyncio.sleep(0.05)
        assert len(receiver.received) == 1
    finally:
        await worker.stop()


async def test_operators_list_and_resend_deliveries(gateway, conn, box_office, clock, checkout, receiver):
    from core.errors import NotFound
    from gateway import operator
    from gateway.operations import ListDeliveries, ResendDelivery

    receiver.script[:] = [410, 200]
    sub_id, _ = await _subscribe(conn, box_office, receiver.url)
    await _order(conn, box_office, gateway.checkout)
    await _flush(gateway, clock)
    failed = ListDeliveries(box_office=box_office["slug"], status="failed")
    [listed] = await operator.list_deliveries(conn, checkout, failed)
    assert listed["last_status_code"] == 410 and listed["id"].startswith("whdel_")
    await conn.execute("UPDATE webhook_subscriptions SET enabled = true WHERE id = $1", sub_id)
    resent = await operator.resend_delivery(conn, checkout, ResendDelivery(delivery=listed["id"]))
    assert resent["status"] == "pending"
    with pytest.raises(NotFound):  # already queued: a second re-send must not double an attempt
        await operator.resend_delivery(conn, checkout, ResendDelivery(delivery=listed["id"]))
    assert await _flush(gateway, clock) == 1
    assert [r.headers["webhook-id"] for r in receiver.received][0] == receiver.received[1].headers["webhook-id"]
    latest = await operator.list_deliveries(conn, checkout, ListDeliveries(box_office=box_office["slug"]))
    assert latest[0]["status"] == "succeeded"


# a subscription secret the worker cannot use, its delivery's status after one attempt, the reason
UNUSABLE = {
    "not base64": ("whsec_abcde", "failed", "not a Standard Webhooks key"),
    "empty key": ("whsec_", "failed", "not a Standard Webhooks key"),
    "another key's seal": (Vault([Vault.generate_key()]).seal(subscriptions.new_secret()), "pending",
                           "cannot decrypt the subscription's signing secret"),
}


async def _unusable_subscription(conn, office, url: str, secret: str) -> int:
    """A subscription stored with ``secret`` as it is (create_subscription would seal a good one)."""
    return await conn.fetchval(
        "INSERT INTO webhook_subscriptions (box_office_id, livemode, url, event_types, secret)"
        " VALUES ($1, true, $2, '{order.placed}', $3) RETURNING id", office["id"], url, secret)


@pytest.mark.parametrize(("secret", "status", "reason"), UNUSABLE.values(), ids=UNUSABLE.keys())
async def test_an_unusable_secret_fails_its_delivery_not_the_batch(gateway, conn, box_office, clock, receiver,
                                                                  caplog, secret, status, reason):
    bad = await _unusable_subscription(conn, box_office, receiver.url, secret)
    _, good_secret = await _subscribe(conn, box_office, receiver.url)
    await _order(conn, box_office, gateway.checkout)  # one delivery for each subscription
    with caplog.at_level(logging.WARNING, logger="ticketgate.webhooks"):
        assert await _flush(gateway, clock) == 2
    [hit] = receiver.received
    assert verify(good_secret, hit.headers, hit.body)
    row = await conn.fetchrow("SELECT id, status, attempts, last_error FROM webhook_deliveries"
                              " WHERE subscription_id = $1", bad)
    assert (row["status"], row["attempts"]) == (status, 1) and reason in row["last_error"]
    attempt = await conn.fetchrow("SELECT status_code, error FROM webhook_attempts WHERE delivery_id = $1", row["id"])
    assert attempt["status_code"] is None and attempt["error"] == row["last_error"]
    [logged] = [r for r in caplog.records if f"delivery {row['id']} " in r.getMessage()]
    assert reason in logged.getMessage()
    if hidden := secret.removeprefix("whsec_"):
        assert hidden not in caplog.text


async def test_the_worker_goes_on_after_an_unusable_delivery(gateway, conn, box_office, clock, receiver):
    """The serve worker's loop survives a delivery it cannot sign and keeps delivering the others."""
    from gateway.webhook_worker import Worker

    bad = await _unusable_subscription(conn, box_office, receiver.url, "sealed")  # plaintext, and no base64
    await _subscribe(conn, box_office, receiver.url)
    worker = Worker(gateway.pool, gateway.dsn, clock, GUARD, poll_interval=3600)  # only NOTIFY wakes it in time
    await worker.start()
    try:
        for expected in (1, 2):  # the second order comes after the unusable delivery was met
            await _order(conn, box_office, gateway.checkout)
            for _ in range(100):
                if len(receiver.received) == expected:
                    break
                await asyncio.sleep(0.05)
            assert len(receiver.received) == expected
    finally:
        await worker.stop()
    statuses = await conn.fetch("SELECT status, last_error FROM webhook_deliveries WHERE subscription_id = $1", bad)
    assert [s["status"] for s in statuses] == ["failed", "failed"]
    assert all("not a Standard Webhooks key" in s["last_error"] for s in statuses)


async def test_an_attempt_that_cannot_be_recorded_leaves_the_others_recorded(gateway, conn, box_office, clock,
                                                                            receiver, monkeypatch):
    """One attempt raising (its record not written) neither raises out of the batch nor cuts the
    others short; its delivery stays leased, so it is retried when the lease ends."""
    first, _ = await _subscribe(conn, box_office, receiver.url)
    second, _ = await _subscribe(conn, box_office, receiver.url)
    await _order(conn, box_office, gateway.checkout)
    e = engine(gateway, clock)
    record = e.record

    async def record_but_the_first(due, result) -> None:
        if due.subscription_id == first:
            raise RuntimeError("the record was lost")
        await record(due, result)

    monkeypatch.setattr(e, "record", record_but_the_first)
    assert await e.run_once() == 2
    rows = {r["subscription_id"]: r["status"] for r in await conn.fetch(
        "SELECT subscription_id, status FROM webhook_deliveries WHERE subscription_id = ANY($1::bigint[])",
        [first, second])}
    assert rows == {first: "pending", second: "succeeded"} and len(receiver.received) == 2
    assert await e.run_once() == 0  # still leased
