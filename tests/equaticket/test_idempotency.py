"""Idempotency-Key: replay, reuse with other parameters, concurrency, expiry, released failures."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from tests.equaticket.helpers import API, EVENT, bearer


def _key() -> str:
    return str(uuid.uuid4())


async def _count(conn, office, title: str) -> int:
    return await conn.fetchval(
        "SELECT count(*) FROM events WHERE box_office_id = $1 AND title = $2", office["id"], title
    )


async def test_same_key_same_body_replays(client, live_key, box_office, conn):
    headers = bearer(live_key, **{"Idempotency-Key": _key()})
    first = await client.post(f"{API}/events", json={**EVENT, "title": "Once"}, headers=headers)
    again = await client.post(
        f"{API}/events", json=dict(reversed(list({**EVENT, "title": "Once"}.items()))), headers=headers
    )
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await _count(conn, box_office, "Once") == 1


async def test_same_key_other_parameters_is_422(client, live_key, box_office, conn):
    headers = bearer(live_key, **{"Idempotency-Key": _key()})
    await client.post(f"{API}/events", json={**EVENT, "title": "First"}, headers=headers)
    other = await client.post(f"{API}/events", json={**EVENT, "title": "Second", "slug": "x"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "unprocessable"
    assert await _count(conn, box_office, "Second") == 0
    other_path = await client.post(f"{API}/webhooks/subscriptions", json={**EVENT, "title": "First"}, headers=headers)
    assert other_path.status_code == 422


async def test_keys_are_scoped_to_mode_and_box_office(client, live_key, test_key, box_office, conn):
    key = _key()
    live = await client.post(f"{API}/events", json=EVENT, headers=bearer(live_key, **{"Idempotency-Key": key}))
    test = await client.post(f"{API}/events", json=EVENT, headers=bearer(test_key, **{"Idempotency-Key": key}))
    assert live.status_code == test.status_code == 201
    assert "idempotent-replayed" not in test.headers
    assert (live.json()["livemode"], test.json()["livemode"]) == (True, False)


async def test_error_responses_are_stored_and_replayed(client, live_key):
    headers = bearer(live_key, **{"Idempotency-Key": _key(), "X-Request-Id": "first-call"})
    first = await client.post(f"{API}/events", json={**EVENT, "title": ""}, headers=headers)
    headers["X-Request-Id"] = "second-call"
    again = await client.post(f"{API}/events", json={**EVENT, "title": ""}, headers=headers)
    assert first.status_code == again.status_code == 400
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["error"]["request_id"] == again.headers["x-request-id"] == "second-call"
    assert {**again.json()["error"], "request_id": "first-call"} == first.json()["error"]


async def test_twenty_concurrent_identical_requests_create_one_event(client, live_key, box_office, conn):
    headers = bearer(live_key, **{"Idempotency-Key": _key()})
    body = {**EVENT, "title": "Concurrent", "slug": "concurrent"}
    responses = await asyncio.gather(*(client.post(f"{API}/events", json=body, headers=headers) for _ in range(20)))
    statuses = [r.status_code for r in responses]
    # event creation is one statement: a request racing the first waits for its commit and replays it
    assert set(statuses) == {201}, statuses
    assert len([r for r in responses if "idempotent-replayed" not in r.headers]) == 1
    assert len({r.content for r in responses}) == 1
    assert await _count(conn, box_office, "Concurrent") == 1
    after = await client.post(f"{API}/events", json=body, headers=headers)
    assert after.status_code == 201 and after.headers["idempotent-replayed"] == "true"


async def test_running_same_request_is_409(client, live_key, box_office, conn, clock):
    from starlette.requests import Request

    from dialects.equaticket.idempotency import fingerprint  # the same hash the server computes

    key, body = _key(), b'{"title": "Busy", "starts_at": "2030-01-01T00:00:00Z"}'

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    request = Request(
        {
            "type": "http",
            "method": "POST",
            "path": "/equaticket/api/v1/events",
            "headers": [],
            "query_string": b"",
            "root_path": "",
        },
        receive,
    )
    await conn.execute(
        "INSERT INTO idempotency_keys (box_office_id, livemode, key, fingerprint, created_at, expires_at)"
        " VALUES ($1, true, $2, $3, $4, $4::timestamptz + interval '1 day')",
        box_office["id"],
        key,
        await fingerprint(request),
        clock.now(),
    )
    response = await client.post(f"{API}/events", content=body, headers=bearer(live_key, **{"Idempotency-Key": key}))
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"
    assert await _count(conn, box_office, "Busy") == 0


async def test_keys_expire_after_24_hours(client, live_key, box_office, conn, clock):
    headers = bearer(live_key, **{"Idempotency-Key": _key()})
    first = await client.post(f"{API}/events", json={**EVENT, "title": "Expiring", "slug": None}, headers=headers)
    clock.advance(hours=23)
    replay = await client.post(f"{API}/events", json={**EVENT, "title": "Expiring", "slug": None}, headers=headers)
    assert replay.headers.get("idempotent-replayed") == "true" and replay.json()["id"] == first.json()["id"]
    clock.advance(hours=2)
    fresh = await client.post(f"{API}/events", json={**EVENT, "title": "Expiring", "slug": None}, headers=headers)
    assert fresh.status_code == 201 and "idempotent-replayed" not in fresh.headers
    assert fresh.json()["id"] != first.json()["id"]
    assert await _count(conn, box_office, "Expiring") == 2


@pytest.mark.parametrize("failing", ["one statement", "general path"])
async def test_failed_requests_release_the_key(client, live_key, box_office, conn, monkeypatch, failing):
    from core import event_writes
    from dialects.equaticket.routes import events as routes_events

    async def boom(*args, **kwargs):
        raise RuntimeError("database on fire")

    async def not_answered(*args, **kwargs):  # as for a taken slug: the general path runs
        return None

    key = _key()
    headers = bearer(live_key, **{"Idempotency-Key": key})
    if failing == "one statement":
        monkeypatch.setattr(event_writes, "create_event_keyed", boom)
    else:
        monkeypatch.setattr(event_writes, "create_event_keyed", not_answered)
        monkeypatch.setattr(routes_events.core_events, "create_event", boom)
    failed = await client.post(f"{API}/events", json={**EVENT, "title": "Retry"}, headers=headers)
    assert failed.status_code == 500 and failed.json()["error"]["code"] == "internal_error"
    assert await conn.fetchval("SELECT count(*) FROM idempotency_keys WHERE key = $1", key) == 0
    assert await _count(conn, box_office, "Retry") == 0
    monkeypatch.undo()
    retried = await client.post(f"{API}/events", json={**EVENT, "title": "Retry"}, headers=headers)
    assert retried.status_code == 201 and "idempotent-replayed" not in retried.headers


async def test_key_longer_than_256_is_400(client, live_key):
    response = await client.post(
        f"{API}/events", json=EVENT, headers=bearer(live_key, **{"Idempotency-Key": "k" * 257})
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "Idempotency-Key"
    ok = await client.post(f"{API}/events", json=EVENT, headers=bearer(live_key, **{"Idempotency-Key": "k" * 256}))
    assert ok.status_code == 201


async def test_abandoned_running_claim_is_taken_over(client, live_key, box_office, conn, clock):
    key = _key()
    await conn.execute(
        "INSERT INTO idempotency_keys (box_office_id, livemode, key, fingerprint, created_at, expires_at)"
        " VALUES ($1, true, $2, $3, $4::timestamptz - interval '10 minutes', $4::timestamptz + interval '1 day')",
        box_office["id"],
        key,
        b"dead",
        clock.now(),
    )
    response = await client.post(
        f"{API}/events", json={**EVENT, "title": "Revived"}, headers=bearer(live_key, **{"Idempotency-Key": key})
    )
    assert response.status_code == 201 and await _count(conn, box_office, "Revived") == 1
