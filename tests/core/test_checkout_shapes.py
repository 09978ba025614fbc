"""The shapes of checkout's parts: statements whose arguments are named, the scoped fetch, the
gateway's one checkout with the webhook outbox as its observer."""

from __future__ import annotations

import re

import pytest
from starlette.routing import Mount

from core import scoped
from core.checkout import Checkout, GroupCommit
from core.checkout.sql import BATCH_SQL, ORDER_SQL, Batch, Order, Params, insert
from core.clock import SystemClock
from core.errors import NotFound
from core.models import Scope
from core.webhooks import Outbox
from tests.factories import event_with_type


@pytest.mark.parametrize(("sql", "fields"), [(ORDER_SQL, Order._fields), (BATCH_SQL, Batch._fields)],
                         ids=["order", "batch"])
def test_every_argument_of_a_statement_is_used_and_nothing_else(sql, fields):
    used = {int(n) for n in re.findall(r"\$(\d+)", sql)}
    assert used == set(range(1, len(fields) + 1))


def test_params_name_the_placeholders_of_a_tuple_and_insert_pairs_columns_with_values():
    p = Params(("a", "b", "c"))
    assert (p.a, p.c, p.arrays([("b", "int[]")])) == ("$1", "$3", "$2::int[]")
    assert insert("t", {"x": p.a, "y": "now()"}) == " INSERT INTO t (x, y) VALUES ($1, now())"
    assert insert("t", {"x": "s.x"}, "s") == " INSERT INTO t (x) SELECT s.x FROM s"


async def test_a_scoped_fetch_finds_only_the_scopes_own_object(conn, box_office, make_box_office):
    scope = Scope(box_office["id"], True)
    event_id, _ = await event_with_type(conn, scope)
    assert (await scoped.fetch_one(conn, "events", "id", scope, event_id, "event"))["id"] == event_id
    other = await make_box_office()
    for elsewhere in (Scope(other["id"], True), Scope(box_office["id"], False)):
        assert await scoped.find_one(conn, "events e", "e.id", elsewhere, event_id, alias="e") is None
        with pytest.raises(NotFound, match="^Event not found$"):
            await scoped.fetch_one(conn, "events", "id", elsewhere, event_id, "event")
    with pytest.raises(NotFound, match="^Issued ticket not found$"):
        await scoped.fetch_one(conn, "issued_tickets", "id", scope, 0, "issued_ticket")


def test_the_gateway_owns_one_checkout_whose_observer_is_the_outbox(gateway):
    assert isinstance(gateway.checkout, Checkout) and gateway.services().checkout is gateway.checkout
    assert [type(o) for o in gateway.checkout.observers] == [Outbox]


def test_each_checkout_has_its_own_group_commit_and_an_idle_one_holds_nothing():
    first, second = Checkout(SystemClock()), Checkout(SystemClock())
    assert first.batches is not second.batches and isinstance(first.batches, GroupCommit)
    assert not first.batches.writing(1) and first.batches.queued(1) == 0


def test_app_with_mounts_only_the_dialects_named(app_with):
    mounted = {route.path for route in app_with("ticketsmart").routes if isinstance(route, Mount)}
    assert "/ticketsmart" in mounted and not {"/tickettailor", "/equaticket"} & mounted
