"""Noise normalisation, declared as data, and the field-by-field comparison of neutral objects.

Two installations never agree on ids, timestamps of their own writes or public URLs, and two
vendors spell some states differently. Each such field is named below by a path pattern
(``<resource>.<field>[.<field>]``, ``fnmatch`` syntax, list positions dropped) with what is
done to it on *both* sides before comparing, and why. Nothing is dropped: a masked field is
still compared for presence (set or null), and every other field is compared exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC
from fnmatch import fnmatchcase
from typing import Any

from core.ids import parse_id
from gateway.migration.redact import Redactor, is_pseudonym
from gateway.migration.values import when

IdLookup = Callable[[str, str], int | None]  # (kind, source id text) -> core id in the target


@dataclass(frozen=True, slots=True)
class Rule:
    pattern: str
    action: str  # id:<kind> | second | mask | map:<table> | personal:<kind>
    why: str


RESOURCE_KIND = {"events": "event", "ticket_types": "ticket_type", "orders": "order", "tickets": "issued_ticket",
                 "series": "event_series", "check_ins": "check_in",
                 "products": "product", "discounts": "discount", "vouchers": "voucher", "voucher_codes": "voucher_code",
                 "waitlist_signups": "waitlist_signup"}
RULES: tuple[Rule, ...] = (
    Rule("events.source_id", "id:event", "ids are assigned by each installation; compared through the id map"),
    Rule("*ticket_types.source_id", "id:ticket_type", "ids are assigned by each installation"),
    Rule("orders.source_id", "id:order", "ids are assigned by each installation"),
    Rule("tickets.source_id", "id:issued_ticket", "ids are assigned by each installation"),
    Rule("*.event_id", "id:event", "references by id"),
    Rule("*.order_id", "id:order", "references by id"),
    Rule("*.ticket_type_id", "id:ticket_type", "references by id"),
    Rule("*.group_id", "mask", "ticket groups are not imported; only presence is compared"),
    Rule("*.created_at", "second", "vendors print creation times to the second or the millisecond"),
    Rule("*.updated_at", "mask", "changes with every write (and with the import itself)"),
    Rule("*.url", "mask", "public URLs embed the installation's host and box office slug"),
    Rule("*.request_id", "mask", "a fresh id per request"),
    Rule("error*.retry*", "mask", "seconds left in a rate-limit window depend on when the request ran"),
    Rule("error*.retry_after", "mask", "seconds left in a rate-limit window depend on when the request ran"),
    Rule("events.status", "map:event_status", "vendors without sold_out or archived states fold them"),
    Rule("events.visibility", "map:visibility", "Ticket Tailor's private flag cannot tell unlisted from private"),
    Rule("*.buyer_email", "personal:email", "personal data: pseudonymised in the capture"),
    Rule("*.email", "personal:email", "personal data: pseudonymised in the capture"),
    Rule("*.buyer_phone", "personal:phone", "personal data: pseudonymised in the capture"),
    Rule("*.buyer_name", "personal:name", "personal data: pseudonymised in the capture"),
    Rule("*.first_name", "personal:name", "personal data: pseudonymised in the capture"),
    Rule("*.last_name", "personal:name", "personal data: pseudonymised in the capture"),
    Rule("*.buyer_address", "personal:address", "personal data: pseudonymised in the capture"),
)
# Ahead of RULES when writes are replayed: the objects they create are created at replay time, in test mode
WRITE_RULES: tuple[Rule, ...] = (
    Rule("*.created_at", "mask", "writes replayed now create their objects now (presence compared)"),
    Rule("*.livemode", "mask", "writes are replayed in the target's test mode"),
    Rule("*.is_test_data", "mask", "writes are replayed in the target's test mode"),
) + RULES
MAPS: dict[str, dict[Any, Any]] = {
    "event_status": {"sold_out": "published", "cancelled": "closed", "completed": "closed", "archived": "closed"},
    "visibility": {"unlisted": "not public", "private": "not public"},
}


def second(value: Any) -> Any:
    moment = when(value)
    if moment is None:
        return value
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class Normaliser:
    """Applies RULES to one side's neutral body; ``source`` ids go through the import id map."""

    def __init__(self, side: str, redactor: Redactor, id_lookup: IdLookup | None = None,
                 rules: tuple[Rule, ...] = RULES) -> None:
        self.side = side
        self.redactor = redactor
        self.id_lookup = id_lookup if side == "source" else None
        self.rules = rules

    def body(self, resource: str, body: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "items" in body:
            out["items"] = [self.value(resource, item) for item in body["items"]]
            out["has_more"] = body.get("has_more")
        if "item" in body:
            out["item"] = self.value(resource, body["item"])
        return out

    def value(self, path: str, data: Any) -> Any:
        rule = next((r for r in self.rules if fnmatchcase(path, r.pattern)), None)
        if rule is not None:
            return self.apply(rule.action, data)
        if isinstance(data, dict):
            return {k: self.value(f"{path}.{k}", v) for k, v in data.items()}
        if isinstance(data, list):
            return [self.value(path, v) for v in data]
        return data

    def apply(self, action: str, value: Any) -> Any:
        name, _, arg = action.partition(":")
        if value is None:
            return None
        if name == "id":
            return self.canonical_id(arg, value)
        if name == "second":
            return second(value)
        if name == "mask":
            return "<set>"
        if name == "map":
            return MAPS[arg].get(value, value)
        return self.personal(arg, value)

    def canonical_id(self, kind: str, value: Any) -> str:
        text = str(value)
        if self.id_lookup is not None:
            mapped = self.id_lookup(kind, text)
            return f"{kind}#{mapped}" if mapped is not None else f"{kind}#unmapped"
        number = parse_id(kind, text)
        return f"{kind}#{number}" if number is not None else f"{kind}#{text}"

    def personal(self, kind: str, value: Any) -> Any:
        """Both sides in the capture's pseudonyms when the secret is known, else only presence."""
        if not self.redactor.known_secret:
            return "<personal>" if value not in ("", {}, []) else value
        if self.side == "source" or is_pseudonym(value):
            return value
        return self.redactor.pseudonym(kind, value)


@dataclass(frozen=True, slots=True)
class Difference:
    field: str  # generalised path: list positions shown as []
    source: Any
    target: Any


def diff(source: Any, target: Any, path: str = "", compared: list[int] | None = None) -> list[Difference]:
    """Leaf differences between two normalised values; keys on one side only are not compared.

    ``compared`` (a one-item list) counts the leaves compared, so a match is never vacuous.
    """
    if isinstance(source, dict) and isinstance(target, dict):
        out: list[Difference] = []
        for key in sorted(source.keys() & target.keys()):
            out += diff(source[key], target[key], f"{path}.{key}" if path else key, compared)
        return out
    if isinstance(source, list) and isinstance(target, list):
        out = [Difference(f"{path}.length", len(source), len(target))] if len(source) != len(target) else []
        for a, b in zip(source, target, strict=False):
            out += diff(a, b, f"{path}[]", compared)
        return out
    if compared is not None:
        compared[0] += 1
    return [] if source == target else [Difference(path or "body", source, target)]


def rules_table(rules: tuple[Rule, ...] = RULES) -> list[dict[str, str]]:
    return [{"pattern": r.pattern, "action": r.action, "why": r.why} for r in rules]
