"""Idempotency-Key on every POST: run once, replay the stored response, refuse reuse.

Outcomes for a request carrying a key (scoped to the API key's box office and mode):
first use runs and stores its response (except 429 and 5xx, which release the key);
same key and same request replays with ``Idempotent-Replayed: true``; same key with
another method, path or body is 422 ``unprocessable``; same key while the first request
still runs is 409 ``conflict``. Records live in PostgreSQL (core.idempotency). Creating an event
or a ticket type answers all of this in one statement (dialects.equaticket.writes): there a
request racing another with the same key waits for the first's commit and replays it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import orjson
from starlette.requests import Request
from starlette.responses import Response

from core import idempotency as records
from core.errors import Conflict, Unprocessable
from core.keys import Principal
from dialects.base import BadRequest, Handler
from dialects.requestids import request_id_of

if TYPE_CHECKING:
    from dialects.equaticket.dialect import Equaticket
    from dialects.equaticket.writes import KeyedWrite

HEADER = "idempotency-key"
REPLAYED = "Idempotent-Replayed"
STALE_RUNNING = timedelta(minutes=5)  # a claim left running this long belongs to a dead request
KEPT_HEADERS = ("content-type", "location")


def idempotency_key(request: Request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= records.MAX_KEY_LENGTH or not key.isprintable():
        raise BadRequest("Idempotency-Key must be 1 to 256 printable characters", "Idempotency-Key")
    return key


async def fingerprint(request: Request) -> bytes:
    """What makes two requests "the same": method, path and the body's JSON value."""
    return records.fingerprint(request.method, request.url.path, await request.body())


def replay(request: Request, stored: records.StoredResponse) -> Response:
    body = stored.body
    if stored.status >= 400:  # the envelope's request_id must match this response's header
        data = orjson.loads(body)
        data["error"]["request_id"] = request_id_of(request.scope)
        body = orjson.dumps(data)
    return Response(body, stored.status, {**stored.headers, REPLAYED: "true"})


def stored_form(response: Response) -> records.StoredResponse:
    headers = {k: v for k, v in response.headers.items() if k in KEPT_HEADERS}
    return records.StoredResponse(response.status_code, headers, bytes(response.body))


def idempotent(handler: Handler, once: KeyedWrite | None = None) -> Handler:
    """``handler`` run at most once per Idempotency-Key (a request without one just runs).

    ``once`` (dialects.equaticket.writes) answers the ordinary request in one statement that also
    writes the key's record, or reads the key's live record in that statement (a Claim, judged
    here like one); when it returns None (nothing written), the key is claimed here."""

    async def run(dialect: Equaticket, request: Request, principal: Principal) -> Response:
        key = idempotency_key(request)
        if key is None:
            return await handler(dialect, request, principal)
        fp = await fingerprint(request)
        answer = None if once is None else await once(dialect, request, principal, key, fp)
        if isinstance(answer, Response):
            return answer
        claim = answer or await _claim(dialect, principal, key, fp)
        if claim.outcome == "mismatch":
            raise Unprocessable("This Idempotency-Key was already used with different request parameters")
        if claim.outcome == "running":
            raise Conflict("A request with this Idempotency-Key is still being processed; retry later")
        if claim.response is not None:
            if dialect.services.stats is not None:
                dialect.services.stats.replayed(dialect.name)
            return replay(request, claim.response)
        return await _run_once(dialect, handler, request, principal, key)

    run.__name__ = handler.__name__
    return run


async def _claim(dialect: Equaticket, principal: Principal, key: str, fp: bytes) -> records.Claim:
    ttl = timedelta(hours=dialect.settings.idempotency_ttl_hours)
    now = dialect.services.clock.now()
    async with dialect.services.pool.acquire() as conn:
        return await records.claim(conn, principal.scope, key, fp, now, ttl, STALE_RUNNING)


async def _run_once(
    dialect: Equaticket, handler: Handler, request: Request, principal: Principal, key: str
) -> Response:
    try:
        response = await handler(dialect, request, principal)
    except Exception as exc:  # stored in the vendor's format like any other outcome
        response = dialect.error_response(request, exc)
    except BaseException:
        await _settle(dialect, principal, key, None)
        raise
    await _settle(dialect, principal, key, response)
    return response


async def _settle(dialect: Equaticket, principal: Principal, key: str, response: Response | None) -> None:
    async with dialect.services.pool.acquire() as conn:
        if response is None or response.status_code == 429 or response.status_code >= 500:
            await records.release(conn, principal.scope, key)
        else:
            await records.store(conn, principal.scope, key, stored_form(response))
