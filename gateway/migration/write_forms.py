"""A captured write as a neutral description, and that description as another dialect's requests.

Parsing goes through the capture dialect's own ``inputs.py`` parsers, so a body is read (and
validated) by the same code the server runs: the result is a list of ``Write``s holding core
input models (``EventCreate``, ``EventUpdate``, ``TicketTypeCreate``...) and the capture's own
id texts. Rendering turns each ``Write`` into the target dialect's documented input format,
field by field through the target's wire tables (the same tables its projection and OpenAPI
schema come from), with the ids already mapped by the caller. One capture request may become
several target requests (a TicketSmart PATCH that renames, adds a ticket type and removes one
is three Equaticket requests); a write the target cannot express raises ``NoEquivalent`` with
the reason. This module may import every dialect: no dialect imports it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from core.errors import CoreError
from core.models import EventCreate, Input, TicketTypeCreate, TicketTypeUpdate, parse
from dialects.client_base import NoEquivalent
from dialects.equaticket import inputs as eq_inputs
from dialects.equaticket import serializers as eq_wire
from dialects.refusals import DialectError
from dialects.spec import WireObject
from dialects.ticketsmart import inputs as ts_inputs
from dialects.ticketsmart import serializers as ts_wire

VENDORS = {"ticketsmart": "TicketSmart", "equaticket": "Equaticket", "tickettailor": "Ticket Tailor"}
Ref = Callable[[str, str], str]  # (kind, the capture's id text) -> the target's id text

# what the answer to each action is about: compared against the capture's answer
ANSWERS = {"create_event": "event", "update_event": "event", "publish_event": "event", "cancel_event": "event",
           "add_ticket_type": "ticket_type", "update_ticket_type": "ticket_type", "remove_ticket_type": "deleted"}


@dataclass(frozen=True)
class Write:
    """One neutral write: an action on the capture's event (and ticket type), with core input."""

    action: str
    event: str | None = None  # the capture's event reference as recorded (an id, or a TicketSmart slug)
    ticket_type: str | None = None  # the capture's ticket type id
    data: Input | None = None


@dataclass(frozen=True)
class Step:
    """One target request; ``answers`` says what its answer holds (event, ticket_type, deleted)."""

    method: str
    path: str
    body: dict[str, Any] | None
    answers: str


# --- the capture's request -> neutral writes ----------------------------------------------------------

def _ts_writes(method: str, path: str, body: Any) -> list[Write]:
    if (method, path) == ("POST", "/api/v1/events"):
        return [Write("create_event", data=ts_inputs.event_create(body))]
    found = re.fullmatch(r"/api/v1/events/([^/]+)", path)
    if method != "PATCH" or found is None:
        raise NoEquivalent(f"{method} {path} is not a TicketSmart write endpoint")
    ref, patch = found.group(1), ts_inputs.event_patch(body)
    writes = [Write("update_event", ref, data=patch.update)] if patch.update.provided() else []
    if patch.add is not None:
        writes.append(Write("add_ticket_type", ref, data=patch.add))
    if patch.remove is not None:
        writes.append(Write("remove_ticket_type", ref, f"{ts_wire.TICKET_TYPE_PREFIX}{patch.remove}"))
    return writes or [Write("update_event", ref, data=patch.update)]  # an empty PATCH: the event as it is


EQ_EVENT = r"/api/v1/events/(?P<event>[^/]+)"
EQ_TYPE = rf"{EQ_EVENT}/ticket-types/(?P<type>[^/]+)"
EQ_ONLY = {
    r"/api/v1/webhooks/.*": "webhook subscriptions exist only in Equaticket (TicketSmart v1 has no webhooks)",
    r"/api/settings/api-keys/reset-test-data": "resetting test data is Equaticket's own (TicketSmart has no "
                                               "test-data reset endpoint)",
}


def _eq_ticket_type(body: Any) -> TicketTypeCreate:
    fields, _currency = eq_inputs.ticket_type_fields(body, None)
    return parse(TicketTypeCreate, fields)


def _eq_ticket_type_update(body: Any) -> TicketTypeUpdate:
    fields, _currency = eq_inputs.ticket_type_fields(body, None)
    return parse(TicketTypeUpdate, fields)


def _eq_writes(method: str, path: str, body: Any) -> list[Write]:
    data = body if isinstance(body, dict) else {}
    if (method, path) == ("POST", "/api/v1/events"):
        return [Write("create_event", data=eq_inputs.event_create(data))]
    for pattern, reason in EQ_ONLY.items():
        if re.fullmatch(pattern, path):
            raise NoEquivalent(reason)
    event = re.fullmatch(EQ_EVENT, path)
    if event is not None:
        ref = event["event"]
        if method == "PATCH":
            return [Write("update_event", ref, data=eq_inputs.event_update(data))]
    elif (moved := re.fullmatch(rf"{EQ_EVENT}/(?P<change>publish|cancel)", path)) and method == "POST":
        return [Write(f"{moved['change']}_event", moved["event"])]
    elif (types := re.fullmatch(rf"{EQ_EVENT}/ticket-types", path)) and method == "POST":
        return [Write("add_ticket_type", types["event"], data=_eq_ticket_type(body))]
    elif (one := re.fullmatch(EQ_TYPE, path)) and method in ("PATCH", "DELETE"):
        if method == "DELETE":
            return [Write("remove_ticket_type", one["event"], one["type"])]
        return [Write("update_ticket_type", one["event"], one["type"], _eq_ticket_type_update(data))]
    raise NoEquivalent(f"{method} {path} is not an Equaticket write endpoint")


# Ticket Tailor's live-API writes (form-encoded, beyond the reference page): what the other dialects lack
TT_WRITES = {
    r"/v1/event_series": "a Ticket Tailor event series has no date of its own (its occurrences carry them): "
                         "{target} has no series, only events that each start at one time",
    r"/v1/event_series/[^/]+/ticket_types": "a series' ticket types apply to every occurrence: {target}'s "
                                            "ticket types belong to one event",
    r"/v1/event_series/[^/]+/events": "an occurrence is created inside a Ticket Tailor series, which {target} "
                                      "does not have",
    r"/v1/check_ins": "{target} has no check-in write (Equaticket only reports checked_in on its attendees; "
                      "TicketSmart has no tickets)",
}


def _tt_writes(method: str, path: str, target: str) -> list[Write]:
    for pattern, reason in TT_WRITES.items():
        if re.fullmatch(pattern, path):
            vendor = VENDORS.get(target, target)
            raise NoEquivalent(f"Ticket Tailor {method} {path.split('/')[2]}: {reason.format(target=vendor)}")
    raise NoEquivalent(f"{method} {path} is not a Ticket Tailor write endpoint")


def parse_writes(dialect: str, method: str, path: str, body: Any, target: str) -> list[Write]:
    """The capture's write as neutral writes, parsed by ``dialect``'s own inputs; NoEquivalent when
    it has no counterpart or is invalid (the parser's message says why)."""
    try:
        if dialect == "ticketsmart":
            return _ts_writes(method, path, body)
        if dialect == "equaticket":
            return _eq_writes(method, path, body)
        return _tt_writes(method, path, target)
    except (CoreError, DialectError) as exc:
        vendor = VENDORS.get(dialect, dialect)
        raise NoEquivalent(f"the recorded write is one {vendor} refuses ({_message(exc)}): a refused write is "
                           "not translated") from None


def _message(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if errors:
        return "; ".join(f"{e.field}: {e.message}" for e in errors)
    return str(getattr(exc, "message", exc))


# --- neutral writes -> the target's requests ---------------------------------------------------------

def _wire_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value


def core_to_wire(obj: WireObject, model: type[BaseModel], accepted: frozenset[str] | None = None) -> dict[str, str]:
    """Core field -> wire name of the fields a client of ``obj``'s dialect may write (its table's rows)."""
    return {f.core: f.name for f in obj.fields if f.core is not None and f.core in model.model_fields
            and (accepted is None or f.name in accepted)}


def render_fields(data: Input, names: Mapping[str, str], what: str, enums: Mapping[str, Any] | None = None,
                  skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The fields the capture's client set, under the target's wire names; NoEquivalent for one it lacks."""
    body: dict[str, Any] = {}
    for name in type(data).model_fields:  # in the model's order: the same body on every run (idempotency)
        if name in skip or name not in data.model_fields_set:
            continue
        value = getattr(data, name)
        if name not in names:
            raise NoEquivalent(f"{what} have no {name} field")
        enum = (enums or {}).get(name)
        body[names[name]] = enum.to_wire.get(value, value) if enum is not None and value is not None \
            else _wire_value(value)
    return body


class TicketSmartForm:
    """TicketSmart v1 bodies: camelCase, uppercase enums; one PATCH adds or removes a ticket type."""

    EVENT = {core: wire for wire, core in ts_wire.EVENT_FIELDS.items()}
    TYPE = {core: wire for wire, core in ts_wire.TICKET_TYPE_FIELDS.items()}
    ONE = "/api/v1/events/{}"

    def ticket_type(self, data: Input) -> dict[str, Any]:
        return render_fields(data, self.TYPE, "TicketSmart ticket types")

    def event(self, data: Input) -> dict[str, Any]:
        body = render_fields(data, self.EVENT, "TicketSmart events", ts_inputs.ENUMS, frozenset({"ticket_types"}))
        if isinstance(data, EventCreate) and data.ticket_types:
            body["ticketTypes"] = [self.ticket_type(t) for t in data.ticket_types]
        return body

    def steps(self, write: Write, ref: Ref) -> list[Step]:
        if write.action == "create_event":
            assert write.data is not None
            return [Step("POST", "/api/v1/events", self.event(write.data), "event")]
        path = self.ONE.format(ref("event", write.event or ""))
        if write.action == "update_event":
            assert write.data is not None
            return [Step("PATCH", path, self.event(write.data), "event")]
        if write.action == "add_ticket_type":
            assert write.data is not None
            return [Step("PATCH", path, {"addTicketType": self.ticket_type(write.data)}, "event")]
        if write.action == "remove_ticket_type":
            return [Step("PATCH", path, {"removeTicketTypeId": ref("ticket_type", write.ticket_type or "")},
                         "event")]
        raise NoEquivalent(TS_MISSING[write.action])


TS_MISSING = {
    "publish_event": "Equaticket publish: TicketSmart has no publish endpoint (v1 exposes no status changes; "
                     "an event's status is set in the TicketSmart dashboard)",
    "cancel_event": "Equaticket cancel: TicketSmart has no cancel endpoint (v1 exposes no status changes; "
                    "an event's status is set in the TicketSmart dashboard)",
    "update_ticket_type": "Equaticket ticket type update: TicketSmart cannot change a ticket type (its PATCH "
                          "/events/{id} only adds one or removes an unsold one)",
}


class EquaticketForm:
    """Equaticket v1 bodies: core's own names for events, ``quantity_total`` for ticket types."""

    EVENT = {name: name for name in eq_inputs.EVENT_FIELDS}
    TYPE = core_to_wire(eq_wire.TICKET_TYPE, TicketTypeCreate, eq_inputs.TICKET_TYPE_FIELDS)

    def ticket_type(self, data: Input) -> dict[str, Any]:
        return render_fields(data, self.TYPE, "Equaticket ticket types")

    def event(self, data: Input) -> dict[str, Any]:
        body = render_fields(data, self.EVENT, "Equaticket events", skip=frozenset({"ticket_types"}))
        if isinstance(data, EventCreate) and data.ticket_types:
            body["ticket_types"] = [self.ticket_type(t) for t in data.ticket_types]
        return body

    def steps(self, write: Write, ref: Ref) -> list[Step]:
        if write.action == "create_event":
            assert write.data is not None
            return [Step("POST", "/api/v1/events", self.event(write.data), "event")]
        event = f"/api/v1/events/{ref('event', write.event or '')}"
        if write.action == "update_event":
            assert write.data is not None
            return [Step("PATCH", event, self.event(write.data), "event")]
        if write.action == "add_ticket_type":
            assert write.data is not None
            return [Step("POST", f"{event}/ticket-types", self.ticket_type(write.data), "ticket_type")]
        if write.action == "remove_ticket_type":
            return [Step("DELETE", f"{event}/ticket-types/{ref('ticket_type', write.ticket_type or '')}", None,
                         "deleted")]
        raise NoEquivalent(f"{write.action} is not an Equaticket write")


FORMS: dict[str, TicketSmartForm | EquaticketForm] = {"ticketsmart": TicketSmartForm(),
                                                      "equaticket": EquaticketForm()}


def render_writes(target: str, writes: list[Write], ref: Ref) -> list[Step]:
    """Every target request of the capture's writes, in order; NoEquivalent before any is sent."""
    form = FORMS.get(target)
    if form is None:
        raise NoEquivalent(f"{target} serves no writes")
    return [step for write in writes for step in form.steps(write, ref)]
