"""Translate a recorded request of dialect A into the equivalent request of dialect B.

Resource, filters and ids come from the clients' ``describe``/``render`` (neutral requests).
Paging cannot be translated token for token (a Ticket Tailor id, a page number and a signed
Equaticket cursor are different things), so positions are translated as *offsets* into the
same list: the source side learns offsets from the recorded responses it has seen, the target
side learns its tokens from the responses the replay has received. A position neither side
can place is reported as having no equivalent, never guessed.
"""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

from core.ids import parse_id
from dialects.client_base import NoEquivalent
from gateway.migration.normalise import IdLookup

FILTER_KINDS = {"event_id": "event", "order_id": "order"}
# the kind of object a request's path id names, per resource
ID_KINDS = {"events": "event", "availability": "event", "orders": "order", "tickets": "issued_ticket",
            "webhook_subscriptions": "webhook_subscription"}


def list_key(request: dict[str, Any]) -> str:
    return json.dumps([request["resource"], request.get("filters"), request.get("limit")], sort_keys=True)


class Positions:
    """Offsets of one side's list pages, learned from the responses seen so far."""

    def __init__(self, module: ModuleType) -> None:
        self.module = module
        self.index: dict[str, dict[str, int]] = {}  # list -> object id -> offset
        self.tokens: dict[str, dict[int, dict[str, Any]]] = {}  # list -> offset -> this side's position

    def offset_of(self, key: str, limit: int, position: dict[str, Any] | None) -> int | None:
        if not position:
            return 0
        if "page" in position:
            return (int(position["page"]) - 1) * limit
        if "after" in position:
            found = self.index.get(key, {}).get(position["after"])
            return None if found is None else found + 1
        if "before" in position:
            found = self.index.get(key, {}).get(position["before"])
            return None if found is None else max(found - limit, 0)
        known = self.tokens.get(key, {})
        return next((offset for offset, token in known.items() if token == position), None)

    def position_at(self, key: str, offset: int) -> dict[str, Any] | None:
        """This side's position for ``offset``; raises NoEquivalent when it is not known yet."""
        if offset == 0:
            return None
        if self.module.PAGING == "page":
            return {"offset": offset}
        token = self.tokens.get(key, {}).get(offset)
        if token is None:
            raise NoEquivalent(f"no {self.module.DIALECT} page is known to start at item {offset} of this list")
        return token

    def observe(self, key: str, offset: int, items: list[dict[str, Any]], body: Any) -> None:
        index, tokens = self.index.setdefault(key, {}), self.tokens.setdefault(key, {})
        for i, item in enumerate(items):
            if isinstance(item.get("source_id"), str):
                index[item["source_id"]] = offset + i
                if self.module.PAGING == "id":
                    tokens[offset + i + 1] = {"after": item["source_id"]}
        following = self.module.next_position(body)
        if following is not None:
            tokens[offset + len(items)] = following


class Translator:
    def __init__(self, source: ModuleType, target: ModuleType, id_lookup: IdLookup | None = None) -> None:
        self.source, self.target = source, target
        self.id_lookup = id_lookup
        self.source_positions, self.target_positions = Positions(source), Positions(target)

    def target_id(self, kind: str | None, text: Any) -> str:
        if not isinstance(text, str) or kind is None:
            raise NoEquivalent("the request names an object of a kind ticketgate does not migrate")
        number = self.id_lookup(kind, text) if self.id_lookup else parse_id(kind, text)
        if number is None and self.source is self.target and parse_id(kind, text) is None:
            return text  # same dialect: a slug (kept by the import) is passed on as recorded
        if number is None:
            raise NoEquivalent(f"{kind} {text!r} has no known counterpart in the target (not imported?)")
        return f"{self.target.ID_PREFIX.get(kind, '')}{number}"

    def request(self, described: dict[str, Any]) -> tuple[dict[str, Any], int | None]:
        """The neutral request with target ids, and its offset (lists) in the source's list."""
        if described["unsupported"]:
            raise NoEquivalent(f"query parameter(s) {', '.join(sorted(described['unsupported']))} have no "
                               f"counterpart in {self.target.DIALECT}")
        request = {**described, "filters": dict(described["filters"])}
        if request.get("id") is not None:
            request["id"] = self.target_id(ID_KINDS.get(request["resource"]), request["id"])
        for name, kind in FILTER_KINDS.items():
            if name in request["filters"]:
                request["filters"][name] = self.target_id(kind, request["filters"][name])
        if request["op"] != "list" or "limit" not in request:
            return request, None
        position = described.get("position") or {}
        offset = self.source_positions.offset_of(list_key(described), request["limit"], position)
        if offset is None and "after" in position:
            # "the page after object X" never seen in a listing: X's counterpart anchors it in the target
            request["anchor"] = self.target_id(ID_KINDS.get(request["resource"]), position["after"])
        elif offset is None:
            raise NoEquivalent("the recorded page position cannot be placed: its previous page is not in the capture")
        return request, offset

    def anchored(self, described: dict[str, Any], offset: int) -> None:
        """Record where the anchor put the source's page, so the pages after it chain on."""
        key = list_key(described)
        self.source_positions.index.setdefault(key, {})[described["position"]["after"]] = offset - 1

    def check(self, request: dict[str, Any]) -> None:
        """Refuse a resource or filter the target lacks (before any position is looked for)."""
        self._render(request, None)

    def render(self, request: dict[str, Any], key: str, offset: int | None) -> tuple[str, str, list]:
        self.check(request)
        position = None if offset is None else self.target_positions.position_at(key, offset)
        return self._render(request, position)

    def _render(self, request: dict[str, Any], position: Any) -> tuple[str, str, list]:
        try:
            return self.target.render(request, position)
        except NoEquivalent:
            raise
        except LookupError as exc:  # a malformed capture: a field the request needs is missing
            raise NoEquivalent(f"malformed request ({exc})") from None
