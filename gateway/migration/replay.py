"""Replay a capture against a target, in the same dialect or translated to another, and compare.

For each recorded exchange: describe it with the source dialect's client, translate it (ids
through the import id map, paging through list offsets), send it to the target, then map both
responses to neutral objects, normalise them by the declared rules and compare field by field.
Writes are replayed only against a test-mode key (writes.py); otherwise they, and every request
that has no equivalent in the target dialect, are reported with the reason.
"""

from __future__ import annotations

import functools
import importlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

import httpx

from gateway.migration import beyond
from gateway.migration.normalise import Difference, Normaliser, diff
from gateway.migration.translate import NoEquivalent, Translator, list_key

if TYPE_CHECKING:
    from gateway.migration.writes import WriteReplay

WRITES = ("POST", "PUT", "PATCH", "DELETE")
MAX_WALK = 100  # pages walked to find a position in the target before giving up


@dataclass
class Outcome:
    seq: int
    endpoint: str
    source_status: int | None
    source_latency_ms: float | None
    target_request: str | None = None
    target_status: int | None = None
    target_latency_ms: float | None = None
    no_equivalent: str | None = None
    failure: str | None = None  # the target did not answer
    differences: list[Difference] = field(default_factory=list)
    compared: int = 0  # leaf fields compared
    # a write translated into another dialect whose answer means what the capture's did: vendors give
    # the same success or refusal different codes (TicketSmart's PATCH adding a ticket type is 200,
    # Equaticket's POST .../ticket-types 201; a sold type's removal 422 there, 409 here)
    equivalent_status: bool = False

    @property
    def replayed(self) -> bool:
        return self.target_status is not None

    @property
    def status_mismatch(self) -> bool:
        if self.equivalent_status:
            return False
        return self.replayed and self.source_status != self.target_status

    @property
    def match(self) -> bool:
        return self.replayed and not self.status_mismatch and not self.differences


def template(pattern: str) -> str:
    """A client's route regex as a readable path template: (?P<id>[^/]+) -> {id}."""
    return re.sub(r"\(\?P<(\w+)>\[\^/\]\+\)", r"{\1}", pattern).replace("(?:", "(")


def _path_pattern(path: str) -> str:
    """A route table's path as a regex; the first parameter is ``id``, as in the clients' patterns."""
    return re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", re.sub(r"\{\w+\}", "(?P<id>[^/]+)", path, count=1))


@functools.cache
def write_routes(dialect: str) -> tuple[tuple[str, str], ...]:
    """(method, path pattern) of the dialect's writes, read off its route table (the clients'
    tables hold only the reads they translate)."""
    table = importlib.import_module(f"dialects.{dialect}.routes").ROUTES
    return tuple((r.method, _path_pattern(r.path)) for r in table if r.method != "GET")


def endpoint_label(module: ModuleType, method: str, path: str) -> str:
    rows = [(verb, pattern) for verb, pattern, _resource, _op in module.ROUTES]
    for verb, pattern in (*rows, *write_routes(module.DIALECT)):
        if verb == method and re.fullmatch(pattern, path):
            return f"{method} {template(pattern)}"
    return f"{method} {path} (unknown to {module.DIALECT})"


def json_body(reply: httpx.Response) -> Any:
    try:
        return reply.json()
    except ValueError:
        return reply.text or None


def is_success(status: int | None) -> bool:
    return status is not None and 200 <= status < 300


class Replayer:
    def __init__(self, source: ModuleType, target: ModuleType, client: Any, translator: Translator,
                 normalisers: tuple[Normaliser, Normaliser], writes: WriteReplay | None = None) -> None:
        self.source, self.target = source, target
        self.client = client  # the target dialect's Client, with the target key
        self.translator = translator
        self.normalisers = normalisers
        self.writes = writes  # None: writes are listed, not sent

    async def run(self, exchanges: list[dict[str, Any]]) -> list[Outcome]:
        return [await self.one(exchange) for exchange in exchanges]

    async def one(self, exchange: dict[str, Any]) -> Outcome:
        request, response = exchange.get("request"), exchange.get("response") or {}
        if not isinstance(request, dict) or not isinstance(request.get("method"), str) \
                or not isinstance(request.get("path"), str):
            return Outcome(exchange.get("seq", 0), "(malformed capture line)", None, None,
                           no_equivalent="the capture line has no method and path")
        method, path = request["method"], request["path"]
        outcome = Outcome(exchange.get("seq", 0), endpoint_label(self.source, method, path), response.get("status"),
                          exchange.get("latency_ms"))
        try:
            if method in WRITES and self.writes is not None:
                await self.writes.replay(self, outcome, request, response)
            else:
                await self._replay(outcome, method, path, [tuple(p) for p in request.get("query") or []], response)
        except NoEquivalent as exc:
            outcome.no_equivalent = str(exc)
        return outcome

    async def _replay(self, outcome: Outcome, method: str, path: str, query: list, response: dict) -> None:
        if method in WRITES:
            raise NoEquivalent("write request: not replayed, it would change the target (--replay-writes "
                               "sends writes to a test-mode key)")
        if method != "GET":
            raise NoEquivalent(f"{method} request: only GET requests are replayed")
        # a Ticket Tailor endpoint beyond the reference page: the reason names what the target lacks,
        # whether or not the source's client reads the endpoint
        beyond_page = beyond.no_equivalent(self.source.DIALECT, self.target.DIALECT, method, path)
        if beyond_page and self.source is not self.target:
            raise NoEquivalent(beyond_page)
        described = self.source.describe(method, path, query)
        if described is None:
            raise NoEquivalent(beyond_page or f"not a documented {self.source.DIALECT} endpoint")
        neutral, offset = self.translator.request(described)
        self.translator.check(neutral)
        key = list_key(described)
        if neutral.get("anchor"):
            offset = await self._locate(neutral, key)
            self.translator.anchored(described, offset)
        verb, target_path, params = await self._render(neutral, key, offset)
        outcome.target_request = f"{verb} {target_path}" + ("?" + "&".join(f"{k}={v}" for k, v in params)
                                                             if params else "")
        started = time.perf_counter()
        try:
            reply = await self.client.get(target_path, params)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            outcome.failure = f"the target did not answer ({type(exc).__name__})"
            return
        outcome.target_latency_ms = round((time.perf_counter() - started) * 1000, 3)
        outcome.target_status = reply.status_code
        self.compare_bodies(outcome, described, response, reply, offset, key)

    def compare_bodies(self, outcome: Outcome, described: dict, response: dict, reply: httpx.Response,
                       offset: int | None = None, key: str = "") -> None:
        """Both answers compared: 2xx bodies as normalised neutral objects, same-dialect errors as they are."""
        source_body, target_body = self._parse(described, response, reply, offset, key)
        if is_success(outcome.source_status) and is_success(outcome.target_status):
            self._compare(outcome, source_body, target_body)
        elif self.source is self.target and outcome.source_status == outcome.target_status:
            # same dialect: its error bodies must match too (request ids and waits normalised)
            self._compare(outcome, self.normalisers[0].value("error", response.get("body")),
                          self.normalisers[1].value("error", json_body(reply)))

    @staticmethod
    def _compare(outcome: Outcome, source: Any, target: Any) -> None:
        compared = [0]
        outcome.differences = diff(source, target, compared=compared)
        outcome.compared = compared[0]

    async def _render(self, request: dict[str, Any], key: str, offset: int | None) -> tuple[str, str, list]:
        """The target request; a page whose start is not known yet is found by walking the list."""
        positions = self.translator.target_positions
        if offset and self.target.PAGING != "page" and offset not in positions.tokens.get(key, {}):
            await self._walk(request, key, lambda: offset in positions.tokens.get(key, {}))
        return self.translator.render(request, key, offset)

    async def _locate(self, request: dict[str, Any], key: str) -> int:
        anchor, positions = request["anchor"], self.translator.target_positions
        await self._walk(request, key, lambda: anchor in positions.index.get(key, {}))
        if anchor not in positions.index.get(key, {}):
            raise NoEquivalent(f"{anchor} is not in the target's list, so the page after it cannot be placed")
        return positions.index[key][anchor] + 1

    async def _walk(self, request: dict[str, Any], key: str, done: Callable[[], bool]) -> None:
        """Page through the target's list from the start (not timed, not compared) until ``done``."""
        offset, position = 0, None
        for _ in range(MAX_WALK):
            if done():
                return
            _verb, path, params = self.target.render(request, position)
            reply = await self.client.get(path, params)
            if reply.status_code != 200:
                return
            body = reply.json()
            page = self.target.parse_body(request["resource"], "list", body)
            self.translator.target_positions.observe(key, offset, page["items"], body)
            offset += len(page["items"])
            if not page["has_more"] or not page["items"]:
                return
            position = self.translator.target_positions.position_at(key, offset)

    def neutral_pair(self, described: dict, response: dict, reply: httpx.Response) -> tuple[Any, Any]:
        """Both answers as neutral objects (None for an error, a note for an unparseable body)."""
        resource, op = described["resource"], described["op"]
        return (self._neutral(self.source, resource, op, response.get("body"), response.get("status")),
                self._neutral(self.target, resource, op, json_body(reply), reply.status_code))

    def _parse(self, described: dict, response: dict, reply: httpx.Response, offset: int | None,
               key: str) -> tuple[Any, Any]:
        resource = described["resource"]
        source, target = self.neutral_pair(described, response, reply)
        target_json = json_body(reply)
        if offset is not None:
            if isinstance(source, dict) and "items" in source:
                self.translator.source_positions.observe(key, offset, source["items"], response.get("body"))
            if isinstance(target, dict) and "items" in target:
                self.translator.target_positions.observe(key, offset, target["items"], target_json)
        return (self.normalisers[0].body(resource, source) if isinstance(source, dict) else source,
                self.normalisers[1].body(resource, target) if isinstance(target, dict) else target)

    @staticmethod
    def _neutral(module: ModuleType, resource: str, op: str, body: Any, status: int | None) -> Any:
        if not is_success(status):
            return None
        try:
            return module.parse_body(resource, op, body)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            return f"<unparseable {module.DIALECT} body: {type(exc).__name__}>"
