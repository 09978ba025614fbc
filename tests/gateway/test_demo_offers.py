"""The demo box office sells a product, takes a discount code and a gift voucher, and its printed
examples include a Ticket Tailor request for them that answers with the demo's own rows."""

from __future__ import annotations

import json
import re

from tests import factories
from tests.gateway.test_cli import run  # noqa: F401  (the fixture)
from tests.tickettailor.conftest import basic

EXAMPLE = re.compile(r'^curl -s "http://[^/"]+(?P<path>/[^"]*)" -u "(?P<key>[^:"]+):"$')


async def test_the_demo_seeds_offers_and_prints_a_request_for_them(run, conn, client):  # noqa: F811
    done = run("--json", "demo")
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed["curl"] == {name: lines[0] for name, lines in printed["examples"].items()}
    matches = [EXAMPLE.match(line) for line in printed["examples"]["tickettailor"]]
    offers = [m for m in matches if m is not None and m["path"].endswith(("/v1/vouchers", "/v1/products"))]
    assert len(offers) == 1 and offers[0]["key"] == printed["keys"]["tickettailor"]
    office = await conn.fetchrow("SELECT * FROM box_offices WHERE slug = 'demo'")
    # a key of the test's own: another test's demo run may revoke the printed one meanwhile
    answer = await client.get(offers[0]["path"], headers=basic(await factories.key(conn, office, "tickettailor")))
    assert answer.status_code == 200, answer.text
    vouchers = {v["name"]: v for v in answer.json()["data"]}
    assert vouchers["Gift Card"]["total_codes"] == 3
    kinds = await conn.fetchrow(
        "SELECT (SELECT array_agg(name) FROM products WHERE box_office_id = $1) AS products,"
        " (SELECT array_agg(code) FROM discounts WHERE box_office_id = $1) AS discounts", office["id"])
    assert (kinds["products"], kinds["discounts"]) == (["Tote Bag"], ["EARLYBIRD"])


def test_the_demo_prints_every_example_under_its_key(run):  # noqa: F811
    out = run("demo").stdout
    assert re.search(r'tickettailor key: \S+\n  curl -s "[^"]+/v1/events" -u "[^"]+"\n'
                     r'  curl -s "[^"]+/v1/vouchers" -u "[^"]+"', out), out
