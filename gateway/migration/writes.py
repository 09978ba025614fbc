"""Writes replayed against a target's test mode, with the ids they create mapped for what follows.

A recorded POST/PATCH/DELETE is sent again only when the target key is a test-mode key, so
live data is never touched. The capture's ids become the target's: an id the replay created
(the capture's ``evt_12`` came back from the target as ``evt_40``) is rewritten in the path and
body of every later request and read through the same map when the answers are compared; an
id the replay did not create goes through the import id map. The ``Idempotency-Key`` a client
sent is sent again, and the write's answer is compared like a read's.

A write recorded in another dialect than the target's is translated (write_translate.py): parsed
by its own dialect's inputs, rendered in the target's input format, its answer compared on
neutral objects.
"""

from __future__ import annotations

import time
from types import ModuleType
from typing import Any

import httpx

from core.ids import parse_id
from gateway.migration.normalise import IdLookup, diff
from gateway.migration.replay import Outcome, Replayer, is_success, json_body
from gateway.migration.write_translate import TranslatedWrites

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

    def __init__(self, module: ModuleType, fallback: IdLookup | None = None) -> None:
        self.module = module  # the capture's dialect: its id forms
        self.fallback = fallback
        self.created: dict[tuple[str, str], int] = {}

    def __call__(self, kind: str, text: str) -> int | None:
        found = self.created.get((kind, text))
        if found is not None:
            return found
        return self.fallback(kind, text) if self.fallback is not None else parse_id(kind, text)

    def kind_of(self, value: Any) -> str | None:
        """The kind of object ``value`` names in this dialect's id forms (``evt_12``: event), or None."""
        if isinstance(value, str):
            for kind, prefix in self.module.ID_PREFIX.items():
                if value.startswith(prefix) and parse_id(kind, value) is not None:
                    return kind
        return None

    def learn(self, source: Any, target: Any) -> None:
        """Pair the ids of two answers to the same write, field by field: the capture's new ids and the target's."""
        if isinstance(source, dict) and isinstance(target, dict):
            for key in source.keys() & target.keys():
                self.learn(source[key], target[key])
        elif isinstance(source, list) and isinstance(target, list):
            for mine, theirs in zip(source, target, strict=False):
                self.learn(mine, theirs)
        else:
            kind = self.kind_of(source)
            if kind is not None and kind == self.kind_of(target) and (kind, source) not in self.created:
                self.created[(kind, source)] = parse_id(kind, target) or 0

    def pair(self, kind: str, source: Any, target: Any) -> None:
        """Record that the capture's ``source`` (an id or slug) is the target's ``target`` id."""
        number = parse_id(kind, target) if isinstance(target, str) else None
        if isinstance(source, str) and source and number is not None:
            self.created[(kind, source)] = number

    def rewrite(self, value: Any) -> Any:
        """``value`` with every id in this dialect's forms replaced by the target's counterpart."""
        if isinstance(value, dict):
            return {k: self.rewrite(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.rewrite(v) for v in value]
        kind = self.kind_of(value)
        if kind is None:
            return value
        mapped = self(kind, value)
        return f"{self.module.ID_PREFIX[kind]}{mapped}" if mapped is not None else value


class WriteReplay:
    """Replays a capture's writes in its own dialect and compares their answers.

    Both answers are the same dialect's wire JSON: the recorded one has its ids rewritten into
    the target's (after this write's new ids are paired), then both go through the normalisation
    rules (times, request ids, URLs, personal fields) and are compared field by field.
    """

    def __init__(self, ids: ReplayIds, capture_id: str) -> None:
        self.ids = ids
        self.translated = TranslatedWrites(ids, capture_id)  # writes of another dialect than the target's

    async def replay(self, replayer: Replayer, outcome: Outcome, request: dict[str, Any],
                     response: dict[str, Any]) -> None:
        if replayer.source is not replayer.target:
            await self.translated.replay(replayer, outcome, request, response)
            return
        path = "/".join(self.ids.rewrite(segment) for segment in request["path"].split("/"))
        outcome.target_request = f"{request['method']} {path}"
        reply = await self._send(replayer.client, outcome, request, path, self.ids.rewrite(request.get("body")))
        if reply is None:
            return
        recorded, answered = response.get("body"), json_body(reply)
        ok = is_success(outcome.source_status) and is_success(outcome.target_status)
        if ok:
            self.ids.learn(recorded, answered)
        if ok or outcome.source_status == outcome.target_status:
            # the recorded answer already speaks in the target's ids, so both sides take the target's
            # rules (its pseudonyms are kept as they are: the capture's personal fields are pseudonyms)
            label, rules = "write" if ok else "error", replayer.normalisers[1]
            compared = [0]
            outcome.differences = diff(rules.value(label, self.ids.rewrite(recorded)), rules.value(label, answered),
                                       compared=compared)
            outcome.compared = compared[0]

    @staticmethod
    async def _send(client: Any, outcome: Outcome, request: dict[str, Any], path: str,
                    body: Any) -> httpx.Response | None:
        carried = {k: v for k, v in (request.get("headers") or {}).items() if k.lower() in CARRIED_HEADERS}
        started = time.perf_counter()
        try:
            reply: httpx.Response = await client.http.request(
                request["method"], client.base_url + path, params=[tuple(p) for p in request.get("query") or []],
                headers={**carried, **client.headers}, content=body if isinstance(body, str) else None,
                json=body if body is not None and not isinstance(body, str) else None)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            outcome.failure = f"the target did not answer ({type(exc).__name__})"
            return None
        outcome.target_latency_ms = round((time.perf_counter() - started) * 1000, 3)
        outcome.target_status = reply.status_code
        return reply
