"""Writes replayed against a target's test mode, with the ids they create mapped for what follows.

A recorded POST/PATCH/DELETE is sent again only when the target key is a test-mode key, so
live data is never touched. The capture's ids become the target's: an id the replay created
(the capture's ``evt_12`` came back from the target as ``evt_40``) is rewritten in the path and
body of every later request and read through the same map when the answers are compared; an
id the replay did not create goes through the import id map. The ``Idempotency-Key`` a client
sent is sent again, and the write's answer is compared like a read's.

A write's body is replayed in its own dialect only: translating write bodies between vendors'
input formats is not done, so a cross-dialect write is listed with that reason.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any

import httpx

from core.ids import parse_id
from gateway.migration.normalise import IdLookup
from gateway.migration.translate import ID_KINDS, NoEquivalent

if TYPE_CHECKING:
    from gateway.migration.replay import Outcome, Replayer

# The documented test-mode key prefixes (dialects/*/auth.py). A Ticket Tailor key does not show
# its mode (and the dialect serves no writes), so no Ticket Tailor key is taken as a test key.
TEST_KEY_PREFIXES = {"equaticket": "sk_test_", "ticketsmart": "ts_sk_test_"}
CARRIED_HEADERS = ("idempotency-key", "content-type")


def check_test_key(dialect: str, key: str) -> None:
    """ValueError unless ``key`` is a test-mode key of ``dialect``: writes never reach live data."""
    prefix = TEST_KEY_PREFIXES.get(dialect)
    if prefix is None:
        raise ValueError(f"{dialect} keys do not show a test mode: writes cannot be replayed against it")
    if not key.startswith(prefix):
        raise ValueError(f"writes are replayed only with a test-mode key ({prefix}...), never a live one")


class ReplayIds:
    """(kind, capture id) -> target core id: the objects this replay created, then the import map."""

    def __init__(self, fallback: IdLookup | None = None) -> None:
        self.fallback = fallback
        self.created: dict[tuple[str, str], int] = {}

    def __call__(self, kind: str, text: str) -> int | None:
        found = self.created.get((kind, text))
        if found is not None:
            return found
        return self.fallback(kind, text) if self.fallback is not None else parse_id(kind, text)

    def learn(self, kind: str, source: Any, target: Any) -> None:
        """Remember that the capture's ``source`` object is the target's ``target`` (neutral dicts)."""
        if not isinstance(source, Mapping) or not isinstance(target, Mapping):
            return
        made = parse_id(kind, str(target.get("source_id")))
        if isinstance(source.get("source_id"), str) and made is not None:
            self.created[(kind, source["source_id"])] = made
        for mine, theirs in zip(source.get("ticket_types") or [], target.get("ticket_types") or [], strict=False):
            self.learn("ticket_type", mine, theirs)


class WriteReplay:
    """Replays the writes of a capture in its own dialect; ``ids`` is the Replayer's id lookup."""

    def __init__(self, module: ModuleType, ids: ReplayIds) -> None:
        self.module = module
        self.ids = ids

    def rewrite(self, value: Any) -> Any:
        """``value`` with every id of this dialect's forms replaced by the target's counterpart."""
        if isinstance(value, dict):
            return {k: self.rewrite(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.rewrite(v) for v in value]
        if not isinstance(value, str):
            return value
        for kind, prefix in self.module.ID_PREFIX.items():
            if value.startswith(prefix) and parse_id(kind, value) is not None:
                mapped = self.ids(kind, value)
                return f"{prefix}{mapped}" if mapped is not None else value
        return value

    def path(self, path: str) -> str:
        return "/".join(self.rewrite(segment) for segment in path.split("/"))

    async def replay(self, replayer: Replayer, outcome: Outcome, request: dict[str, Any],
                     response: dict[str, Any]) -> None:
        if replayer.source is not replayer.target:
            raise NoEquivalent(f"a {replayer.source.DIALECT} write is not translated into {replayer.target.DIALECT}:"
                               " writes are replayed in their own dialect only")
        described = self.module.describe(request["method"], request["path"], [tuple(p) for p in
                                                                               request.get("query") or []])
        if described is None:
            raise NoEquivalent(f"not a {self.module.DIALECT} write the migration toolkit knows")
        path, body = self.path(request["path"]), self.rewrite(request.get("body"))
        outcome.target_request = f"{request['method']} {path}"
        reply = await self._send(replayer.client, outcome, request, path, body)
        if reply is None:
            return
        self._learn(replayer, described, response, reply)
        replayer.compare_bodies(outcome, described, response, reply)

    async def _send(self, client: Any, outcome: Outcome, request: dict[str, Any], path: str,
                    body: Any) -> httpx.Response | None:
        carried = {k: v for k, v in (request.get("headers") or {}).items() if k.lower() in CARRIED_HEADERS}
        content = None if body is None else body if isinstance(body, str) else None
        started = time.perf_counter()
        try:
            reply: httpx.Response = await client.http.request(
                request["method"], client.base_url + path, params=[tuple(p) for p in request.get("query") or []],
                headers={**carried, **client.headers}, content=content,
                json=body if body is not None and content is None else None)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            outcome.failure = f"the target did not answer ({type(exc).__name__})"
            return None
        outcome.target_latency_ms = round((time.perf_counter() - started) * 1000, 3)
        outcome.target_status = reply.status_code
        return reply

    def _learn(self, replayer: Replayer, described: dict[str, Any], response: dict[str, Any],
               reply: httpx.Response) -> None:
        kind = ID_KINDS.get(described["resource"])
        if described["op"] != "create" or kind is None:
            return
        source, target = replayer.neutral_pair(described, response, reply)
        if isinstance(source, dict) and isinstance(target, dict):
            self.ids.learn(kind, source.get("item"), target.get("item"))
