"""At delivery: the host resolved once (a fake resolver), every address checked, the checked one
used, TLS still verified for the host name. Only loopback is ever connected to."""

from __future__ import annotations

import datetime
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from core import subscriptions
from core.addresses import AddressPolicy
from core.models import Scope, parse
from core.vault import Vault
from core.webhooks import DeliveryEngine
from gateway.webhook_worker import HttpxSender
from tests.webhooks.receiver import Receiver
from tests.webhooks.resolver import FakeResolver
from tests.webhooks.test_delivery import _order

PRODUCTION = AddressPolicy(development=False)
DEVELOPMENT = AddressPolicy(development=True)


def recording_client(seen: list[httpx.Request]) -> httpx.AsyncClient:
    """A client whose transport records requests instead of connecting anywhere."""
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    return httpx.AsyncClient(transport=httpx.MockTransport(answer))


@pytest.mark.parametrize(("answers", "error"), [
    (["10.0.0.5"], "refused: webhook.example resolves to 10.0.0.5 (private)"),
    (["93.184.215.14", "169.254.169.254"], "refused: webhook.example resolves to 169.254.169.254 (link-local)"),
    (["::ffff:127.0.0.1"], "refused: webhook.example resolves to ::ffff:7f00:1 (loopback, IPv4 in IPv6)"),
    ([], "refused: webhook.example resolves to no address"),
])
async def test_a_name_resolving_inside_is_refused_without_connecting(answers, error):
    seen: list[httpx.Request] = []
    sender = HttpxSender(PRODUCTION, FakeResolver({"webhook.example": answers}), recording_client(seen))
    result = await sender.send("https://webhook.example/in", {}, b"{}", 5)
    assert (result.status_code, result.error, seen) == (None, error, [])


async def test_literal_addresses_and_internal_names_are_refused_without_a_lookup():
    seen: list[httpx.Request] = []
    resolver = FakeResolver()
    sender = HttpxSender(PRODUCTION, resolver, recording_client(seen))
    literal = await sender.send("https://0x7f.1/in", {}, b"{}", 5)
    name = await sender.send("https://metadata.google.internal/in", {}, b"{}", 5)
    assert literal.error == "refused: 0x7f.1 is a loopback address"
    assert name.error == "refused: metadata.google.internal is an internal-only name"
    assert (seen, resolver.asked) == ([], [])


async def test_an_unresolvable_name_fails_the_attempt():
    sender = HttpxSender(PRODUCTION, FakeResolver(), recording_client([]))
    result = await sender.send("https://nowhere.example/in", {}, b"{}", 5)
    assert result.status_code is None and (result.error or "").startswith("cannot resolve the host")


async def test_the_checked_address_is_the_one_connected_to():
    """receiver.test exists only in the fake resolver: the request reaching the loopback receiver
    proves httpx connected to the address given, never looking the name up itself."""
    receiver = Receiver()
    try:
        port = receiver.server.server_address[1]
        resolver = FakeResolver({"receiver.test": ["127.0.0.1"]})
        sender = HttpxSender(DEVELOPMENT, resolver)
        result = await sender.send(f"http://receiver.test:{port}/hooks", {"webhook-id": "msg_1"}, b"{}", 5)
        await sender.close()
    finally:
        receiver.close()
    assert result.ok and resolver.asked == ["receiver.test"]
    [hit] = receiver.received
    assert hit.headers["host"] == f"receiver.test:{port}" and hit.headers["webhook-id"] == "msg_1"


async def test_a_delivery_to_a_rebound_name_fails_with_a_clear_last_error(gateway, conn, box_office, clock):
    """Accepted at creation (a public-looking name), refused at delivery once it resolves inside."""
    await conn.execute("UPDATE webhook_deliveries SET status = 'failed' WHERE status = 'pending'")
    vault = Vault([Vault.generate_key()])
    data = parse(subscriptions.SubscriptionCreate,
                 {"url": "https://webhook.example/in", "event_types": ["order.placed"]})
    sub = await subscriptions.create_subscription(conn, Scope(box_office["id"], True), "pro", data,
                                                  subscriptions.Guard(PRODUCTION, vault))
    await _order(conn, box_office, gateway.checkout)
    seen: list[httpx.Request] = []
    sender = HttpxSender(PRODUCTION, FakeResolver({"webhook.example": ["10.0.0.5"]}), recording_client(seen))
    assert await DeliveryEngine(gateway.pool, sender, clock, vault).run_once() == 1
    row = await conn.fetchrow("SELECT status, last_error FROM webhook_deliveries WHERE subscription_id = $1",
                              sub["id"])
    assert dict(row) == {"status": "pending", "last_error": "refused: webhook.example resolves to 10.0.0.5 (private)"}
    assert seen == []


# --- TLS: the server name and the certificate stay the host's -------------------------------------

@pytest.fixture(scope="module")
def tls_receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, ssl.SSLContext]]:
    """An HTTPS receiver on loopback whose certificate names receiver.test only; the client
    context trusts that certificate."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = _self_signed(folder, "receiver.test")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
            self.rfile.read(int(self.headers.get("content-length", 0)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = server_ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], ssl.create_default_context(cafile=str(cert))
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(("host", "ok"), [("receiver.test", True), ("impostor.test", False)])
async def test_tls_is_verified_for_the_host_name_not_the_address(tls_receiver, host, ok):
    port, client_ctx = tls_receiver
    resolver = FakeResolver({host: ["127.0.0.1"]})
    sender = HttpxSender(DEVELOPMENT, resolver, httpx.AsyncClient(verify=client_ctx))
    result = await sender.send(f"https://{host}:{port}/hooks", {}, b"{}", 5)
    await sender.close()
    assert result.ok is ok
    if not ok:
        assert "CERTIFICATE_VERIFY_FAILED" in (result.error or "") or "certificate" in (result.error or "").lower()


def _self_signed(folder: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path
