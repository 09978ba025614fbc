"""Webhook URLs aimed inside are refused at creation and update (development = false)."""

from __future__ import annotations

import pytest

from core.addresses import AddressPolicy, address_refusal, parse_address
from core.errors import ValidationFailed
from core.subscriptions import check_url
from tests.equaticket.helpers import API, bearer

SUBS = f"{API}/webhooks/subscriptions"
BODY = {"event_types": ["order.placed"]}
# every example of the issue, then the other ranges and spellings
REFUSED = [
    "https://169.254.169.254/latest/meta-data/", "https://10.0.0.1/", "https://192.168.0.1/",
    "https://127.0.0.1:5432/", "https://localhost/", "https://[::1]/", "https://[::ffff:127.0.0.1]/",
    "https://0.0.0.0/", "https://2130706433/", "https://0x7f.1/", "https://127.1/",
    "https://metadata.google.internal/", "https://xn--/a",
    "https://172.16.5.4/", "https://100.64.0.1/", "https://[fd00::1]/", "https://[fe80::1]/",
    "https://224.0.0.1/", "https://[ff02::1]/", "https://240.0.0.1/", "https://255.255.255.255/",
    "https://[::]/", "https://0177.0.0.1/", "https://0x7f000001/", "https://[::ffff:10.0.0.1]/",
    "https://[::ffff:7f00:1]/", "https://[64:ff9b::a00:1]/", "https://[2002:c0a8:1::]/",
    "https://printer.local/", "https://db.localdomain/", "https://app.localhost/", "https://LOCALHOST./",
    "https://192.0.2.1/", "https://1.2.3.999/", "https://under_score-.example.com/",
]


@pytest.mark.parametrize("url", REFUSED)
async def test_internal_urls_are_refused_with_equaticket_validation_error(production_client, production_key, url):
    response = await production_client.post(SUBS, json={**BODY, "url": url}, headers=bearer(production_key))
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["code"], error["param"]) == ("validation_error", "url")


async def test_update_refuses_an_internal_url(production_client, production_key):
    created = await production_client.post(SUBS, json={**BODY, "url": "https://hooks.example.com/in"},
                                           headers=bearer(production_key))
    assert created.status_code == 201
    patched = await production_client.patch(f"{SUBS}/{created.json()['id']}", json={"url": "https://10.1.2.3/"},
                                            headers=bearer(production_key))
    assert patched.status_code == 400 and patched.json()["error"]["param"] == "url"


@pytest.mark.parametrize("url", ["https://hooks.example.com/in", "https://93.184.215.14/in",
                                 "https://[2606:4700::1111]/in", "https://bücher.example/in",
                                 "https://10.20.3.4/in"])  # the last one: the operator's allowlist
async def test_public_and_allowlisted_urls_are_accepted(production_client, production_key, url):
    response = await production_client.post(SUBS, json={**BODY, "url": url}, headers=bearer(production_key))
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("url", ["http://localhost:9000/h", "http://127.0.0.1/h", "http://[::1]:8080/h",
                                 "https://127.0.0.1/h", "http://127.1/h"])
def test_development_keeps_allowing_loopback(url):
    check_url(url, AddressPolicy(development=True))


@pytest.mark.parametrize("url", ["https://10.0.0.1/", "https://169.254.169.254/", "http://hooks.example.com/",
                                 "https://metadata.google.internal/", "http://10.0.0.1/"])
def test_development_allows_only_loopback(url):
    with pytest.raises(ValidationFailed):
        check_url(url, AddressPolicy(development=True))


def test_odd_spellings_read_as_a_resolver_reads_them():
    for spelling in ("2130706433", "0x7f.1", "127.1", "0177.0.0.1", "0x7f000001", "127.0.0.1."):
        assert str(parse_address(spelling)) == "127.0.0.1"
    assert parse_address("hooks.example.com") is None
    assert parse_address("deadbeef.example") is None


@pytest.mark.parametrize(("address", "reason"), [
    ("10.0.0.5", "private"), ("127.0.0.1", "loopback"), ("169.254.169.254", "link-local"),
    ("100.64.1.1", "CGNAT"), ("fd12::1", "unique-local"), ("239.1.1.1", "multicast"), ("0.0.0.0", "unspecified"),
    ("::ffff:192.168.1.1", "private, IPv4 in IPv6"), ("198.18.0.1", "private"), ("240.0.0.1", "reserved"),
    ("93.184.215.14", None), ("2606:4700::1111", None),
])
def test_each_range_has_its_reason(address, reason):
    assert address_refusal(parse_address(address)) == reason  # type: ignore[arg-type]


def test_the_allowlist_lets_internal_receivers_through():
    policy = AddressPolicy.of(development=False, allow=["10.20.0.0/16", "fd00:1::/32"])
    assert policy.refusal(parse_address("10.20.9.9")) is None  # type: ignore[arg-type]
    assert policy.refusal(parse_address("fd00:1::5")) is None  # type: ignore[arg-type]
    assert policy.refusal(parse_address("10.21.0.1")) == "private"  # type: ignore[arg-type]
