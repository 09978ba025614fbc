"""Writes of one dialect replayed as another's, in the target's test mode, and their answers compared.

A captured write is parsed by its own dialect's input parsers into neutral writes and rendered
as the target's requests (write_forms.py), with every id mapped: an id this replay created goes
through the pairs learned so far, any other through the import id map. The steps are sent in
order; the first that fails stops the rest and is the answer reported. A write that became
several requests, or whose target answer is about something else than the capture's (Equaticket
answers an added ticket type, TicketSmart the whole event), is compared on the object the
capture's answer is about: taken from the target's last answer, or read back with one GET when
that answer does not hold it (the report's target request says so).

Both answers are parsed into neutral objects by their own dialect's client, the new ids paired
from those objects (an event by its id and slug, its ticket types by position and name), then
normalised by the same rules as reads and compared field by field. Idempotency: a captured
``Idempotency-Key`` is sent again with the first POST; a POST that has none in the capture (a
TicketSmart capture: TicketSmart v1 takes no keys) gets one derived from the capture and the
entry (a UUID of capture id, entry number and step), so running the same replay twice answers
the second run from the target's idempotency records instead of creating duplicates.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import inspect
import time
import uuid
from types import ModuleType
from typing import TYPE_CHECKING, Any

import httpx

from core import errors as core_errors
from gateway.migration.normalise import Difference, diff
from gateway.migration.replay import Outcome, is_success, json_body
from gateway.migration.translate import NoEquivalent
from gateway.migration.write_forms import ANSWERS, VENDORS, Step, Write, parse_writes, render_writes

if TYPE_CHECKING:
    from gateway.migration.replay import Replayer
    from gateway.migration.writes import ReplayIds

IDEMPOTENT_TARGETS = frozenset({"equaticket"})  # the dialects whose POSTs take an Idempotency-Key
KEYS = uuid.UUID("6f1d2a52-4b1e-4c55-9a0e-0d5f3c7e2b10")  # namespace of the derived Idempotency-Keys
RESOURCES = {"event": "events", "ticket_type": "ticket_types", "deleted": "ticket_types"}


def _status(table: Any, error: type[BaseException]) -> int:
    return next(table[cls].status for cls in error.__mro__ if cls in table)


@functools.cache
def refusals(source: str, target: str) -> dict[int, frozenset[int]]:
    """Source status -> the target's statuses for the same core refusal, read off both dialects'
    error tables (a sold ticket type's removal: TicketSmart 422, Equaticket 409)."""
    tables = [importlib.import_module(f"dialects.{d}.errors").ERRORS for d in (source, target)]
    kinds = [c for _, c in inspect.getmembers(core_errors, inspect.isclass)
             if issubclass(c, core_errors.CoreError) and c is not core_errors.CoreError]  # the base: a bug, a 500
    pairs: dict[int, set[int]] = {}
    for error in kinds:
        pairs.setdefault(_status(tables[0], error), set()).add(_status(tables[1], error))
    return {status: frozenset(targets) for status, targets in pairs.items()}


def derived_key(capture_id: str, seq: int, step: int) -> str:
    """The Idempotency-Key of a capture entry's step: the same on every run of the same capture."""
    return str(uuid.uuid5(KEYS, f"{capture_id}:{seq}:{step}"))


@dataclasses.dataclass
class Sent:
    step: Step
    status: int
    body: Any


class TranslatedWrites:
    def __init__(self, ids: ReplayIds, capture_id: str) -> None:
        self.ids = ids
        self.capture_id = capture_id  # stable per capture: the derived keys are stable per entry
        self.keys_seen: set[str] = set()  # captured Idempotency-Keys already sent

    async def replay(self, replayer: Replayer, outcome: Outcome, request: dict[str, Any],
                     response: dict[str, Any]) -> None:
        source, target = replayer.source, replayer.target
        writes = parse_writes(source.DIALECT, request["method"], request["path"], request.get("body"),
                              target.DIALECT)
        recorded = _source_subject(source, writes, response) if is_success(outcome.source_status) else None
        steps = render_writes(target.DIALECT, fill_defaults(target, writes, recorded),
                              replayer.translator.target_id)
        self._refuse_retry(target, request)
        outcome.target_request = "; ".join(f"{s.method} {s.path}" for s in steps)
        sent = await self._send_all(replayer.client, target.DIALECT in IDEMPOTENT_TARGETS, outcome, steps, request)
        outcome.equivalent_status = equivalent_status(source.DIALECT, target.DIALECT, outcome)
        if sent and is_success(outcome.source_status) and is_success(outcome.target_status):
            answered = await self._target_subject(replayer, outcome, writes, sent, recorded)
            if is_success(outcome.target_status):
                self._compare(replayer, outcome, _answer_kind(source, writes), recorded, answered)

    def _compare(self, replayer: Replayer, outcome: Outcome, kind: str, recorded: dict[str, Any] | None,
                 answered: dict[str, Any] | None) -> None:
        """Both objects normalised and compared, after the new ids in them are paired."""
        if recorded is None or answered is None:  # never a vacuous match
            outcome.differences = [Difference("item", "<unparseable answer>" if recorded is None else "<the object>",
                                              "<unparseable answer>" if answered is None else "<the object>")]
            return
        self._learn(kind, recorded, answered)
        source_rules, target_rules = replayer.normalisers
        resource, compared = RESOURCES[kind], [0]
        outcome.differences = diff(source_rules.body(resource, {"item": recorded}),
                                   target_rules.body(resource, {"item": answered}), compared=compared)
        outcome.compared = compared[0]

    def _refuse_retry(self, target: ModuleType, request: dict[str, Any]) -> None:
        """A captured retry (a key sent before) is not sent to a target without idempotency keys: the
        vendor answered it from its record, the target would create the object a second time."""
        captured = _captured_key(request)
        if captured is None:
            return
        if captured in self.keys_seen and target.DIALECT not in IDEMPOTENT_TARGETS:
            raise NoEquivalent(f"a retry of an earlier request with the same Idempotency-Key: "
                               f"{VENDORS[target.DIALECT]} takes no idempotency keys, so sending it again would "
                               "create a duplicate")
        self.keys_seen.add(captured)

    async def _send_all(self, client: Any, keyed: bool, outcome: Outcome, steps: list[Step],
                        request: dict[str, Any]) -> list[Sent]:
        sent: list[Sent] = []
        spent = 0.0
        for index, step in enumerate(steps):
            headers = {**(self._key(outcome, request, index) if keyed and step.method == "POST" else {}),
                       **client.headers}
            started = time.perf_counter()
            try:
                reply = await client.http.request(step.method, client.base_url + step.path, headers=headers,
                                                  json=step.body)
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                outcome.failure = f"the target did not answer ({type(exc).__name__})"
                return []
            spent += time.perf_counter() - started
            outcome.target_status = reply.status_code
            outcome.target_latency_ms = round(spent * 1000, 3)
            sent.append(Sent(step, reply.status_code, json_body(reply)))
            if not is_success(reply.status_code):
                break  # the rest depend on it: the target keeps what the earlier steps did
        return sent

    def _key(self, outcome: Outcome, request: dict[str, Any], index: int) -> dict[str, str]:
        captured = _captured_key(request)
        if captured and index == 0:
            return {"Idempotency-Key": captured}
        return {"Idempotency-Key": derived_key(captured or self.capture_id, outcome.seq, index)}

    async def _target_subject(self, replayer: Replayer, outcome: Outcome, writes: list[Write], sent: list[Sent],
                              recorded: dict[str, Any] | None) -> dict[str, Any] | None:
        """The target's object the capture's answer is about, from its last answer or read back."""
        target, last = replayer.target, sent[-1]
        kind = _answer_kind(replayer.source, writes)
        if last.step.answers == kind:
            return _parsed(target, kind, last.body)
        event = _parsed(target, "event", last.body) if last.step.answers == "event" else None
        if event is None:
            path = f"/api/v1/events/{replayer.translator.target_id('event', writes[-1].event)}"
            reply = await replayer.client.get(path, [])
            outcome.target_request = f"{outcome.target_request}; then GET {path} (the answer compared)"
            if not is_success(reply.status_code):
                outcome.target_status = reply.status_code
                return None
            event = _parsed(target, "event", json_body(reply))
        if kind == "event" or event is None:
            return event
        types = event.get("ticket_types") or []
        if kind == "ticket_type":  # the type just added: the last one of that name
            return next((t for t in reversed(types) if t.get("name") == (recorded or {}).get("name")), None)
        removed = replayer.translator.target_id("ticket_type", writes[-1].ticket_type)
        return {"source_id": removed, "deleted": all(t.get("source_id") != removed for t in types)}

    def _learn(self, kind: str, recorded: dict[str, Any], answered: dict[str, Any]) -> None:
        """Pair the capture's new ids with the target's, from the two neutral objects."""
        if kind == "deleted":
            return
        self.ids.pair(kind, recorded.get("source_id"), answered.get("source_id"))
        if kind != "event":
            return
        self.ids.pair("event", recorded.get("slug"), answered.get("source_id"))
        for a, b in _same_types(recorded.get("ticket_types") or [], answered.get("ticket_types") or []):
            self.ids.pair("ticket_type", a.get("source_id"), b.get("source_id"))


def _same_types(mine: list[dict[str, Any]], theirs: list[dict[str, Any]]) -> list[tuple[dict, dict]]:
    """An event's ticket types on both sides, paired: in order when the lists agree name for name,
    else by the names each side holds once (the two answers may differ by a type added or removed)."""
    names = [t.get("name") for t in mine]
    if names == [t.get("name") for t in theirs]:
        return list(zip(mine, theirs, strict=True))
    once = [n for n in names if names.count(n) == 1 and [t.get("name") for t in theirs].count(n) == 1]
    return [(a, next(b for b in theirs if b.get("name") == a.get("name"))) for a in mine if a.get("name") in once]


def equivalent_status(source: str, target: str, outcome: Outcome) -> bool:
    """Both succeeded, or both refused the write for the same core reason (vendors differ in the code)."""
    if is_success(outcome.source_status) or is_success(outcome.target_status):
        return is_success(outcome.source_status) and is_success(outcome.target_status)
    return outcome.target_status in refusals(source, target).get(outcome.source_status or 0, frozenset())


def _captured_key(request: dict[str, Any]) -> str | None:
    return next((v for k, v in (request.get("headers") or {}).items() if k.lower() == "idempotency-key"), None)


def _answer_kind(source: ModuleType, writes: list[Write]) -> str:
    """What the capture's answer is about: TicketSmart answers every write with the event."""
    return "event" if source.DIALECT == "ticketsmart" else ANSWERS[writes[-1].action]


def _parsed(module: ModuleType, kind: str, body: Any) -> dict[str, Any] | None:
    try:
        if kind == "deleted":
            return {"source_id": body["id"], "deleted": body.get("deleted")}
        item: dict[str, Any] = module.parse_body(RESOURCES[kind], "get", body)["item"]
        return item
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _source_subject(source: ModuleType, writes: list[Write], response: dict[str, Any]) -> dict[str, Any] | None:
    return _parsed(source, _answer_kind(source, writes), response.get("body"))


def fill_defaults(target: ModuleType, writes: list[Write], recorded: dict[str, Any] | None) -> list[Write]:
    """A created event's currency, when the capture's client left it to the vendor: the one the
    capture's answer shows (TicketSmart would take USD, Equaticket the box office's currency)."""
    out = []
    for write in writes:
        data = write.data
        if write.action == "create_event" and data is not None and "currency" not in data.model_fields_set \
                and recorded and recorded.get("currency") and target.DIALECT != "equaticket":
            write = dataclasses.replace(write, data=data.model_copy(update={"currency": recorded["currency"]}))
        out.append(write)
    return out
