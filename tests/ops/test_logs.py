"""Structured logs of a real ``ticketgate serve`` (log_format = "json"): one JSON object per line,
one access line per request with the id the client got, errors with their traceback in the same
record, and not one secret or buyer email anywhere in a run that used all of them."""

from __future__ import annotations

import base64
import io
import json
import logging
import sys
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import httpx

from core.models import Scope
from gateway import logs
from tests import factories
from tests.ops.served import serving

ADMIN_TOKEN = "test-admin-token-0123456789"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
EMAILS = ("ada.lovelace@example.org", "grace.hopper@example.net")


class Run:
    """The client side of the run: every response, and every secret that must stay out of the logs."""

    def __init__(self, client: httpx.Client) -> None:
        self.client, self.secrets = client, [ADMIN_TOKEN, *EMAILS]
        self.responses: list[httpx.Response] = []

    def call(self, method: str, path: str, status: int, **kw: Any) -> httpx.Response:
        response = self.client.request(method, path, **kw)
        assert response.status_code == status, f"{method} {path}: {response.status_code} {response.text}"
        self.responses.append(response)
        return response

    def key(self, slug: str, dialect: str) -> tuple[str, int]:
        made = self.call("POST", f"/admin/v1/box-offices/{slug}/keys", 201, json={"dialect": dialect},
                         headers=ADMIN).json()["data"]
        self.secrets.append(made["secret"])
        return made["secret"], int(made["id"].removeprefix("key_"))


def _auth(dialect: str, secret: str) -> dict[str, str]:
    if dialect == "ticketsmart":
        return {"x-api-key": secret}
    if dialect == "tickettailor":
        basic = base64.b64encode(f"{secret}:".encode()).decode()
        return {"Authorization": f"Basic {basic}"}
    return {"Authorization": f"Bearer {secret}"}


async def _exercise(run: Run, conn: Any) -> dict[str, Any]:
    """Keys of each dialect, a webhook subscription, orders with emails, a 404, a 401."""
    slug = f"logs-{uuid.uuid4().hex[:8]}"
    office = run.call("POST", "/admin/v1/box-offices", 201, headers=ADMIN, json={
        "name": "Logs", "slug": slug, "plan": "pro", "api_terms_accepted": True}).json()["data"]
    event_id, type_id = await factories.event_with_type(conn, Scope(office["id"], True))
    keys = {dialect: run.key(slug, dialect) for dialect in ("ticketsmart", "tickettailor", "equaticket")}
    for email in EMAILS:
        run.call("POST", f"/admin/v1/box-offices/{slug}/orders", 201, headers=ADMIN,
                 json={"event": event_id, "tickets": [f"tt_{type_id}"], "email": email, "name": "Buyer"})
    eq = _auth("equaticket", keys["equaticket"][0])
    sub = run.call("POST", "/equaticket/api/v1/webhooks/subscriptions", 201, headers=eq,
                   json={"url": "https://hooks.example.com/logs", "event_types": ["order.placed"]}).json()
    run.secrets.append(sub["secret"])
    run.call("GET", "/equaticket/api/v1/attendees", 200, headers=eq, params={"email": EMAILS[0]})
    run.call("GET", "/ticketsmart/api/v1/events", 200, headers=_auth("ticketsmart", keys["ticketsmart"][0]))
    tt = _auth("tickettailor", keys["tickettailor"][0])
    run.call("GET", "/tickettailor/v1/orders", 200, headers=tt)
    run.call("GET", "/equaticket/api/v1/orders", 200, headers=eq, params={"buyer_email": EMAILS[1]})
    run.call("GET", "/tickettailor/v1/orders/or_999999999", 404, headers=tt)
    wrong = keys["tickettailor"][0][:-4] + "0000"
    run.call("GET", "/tickettailor/v1/events", 401, headers=_auth("tickettailor", wrong))
    run.secrets.append(wrong)
    return {"office": office["id"], "keys": keys}


def _lines(stderr: str) -> list[dict[str, Any]]:
    records = []
    for line in stderr.splitlines():
        record = json.loads(line)  # every line is one JSON object
        assert isinstance(record, dict) and {"time", "level", "logger", "message"} <= record.keys(), line
        records.append(record)
    return records


async def test_a_json_run_logs_ids_and_never_a_secret(tmp_path: Path, database_dsn: str, conn: Any) -> None:
    with serving(tmp_path, database_dsn, LOG_FORMAT="json", LOG_LEVEL="info") as server:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            run = Run(client)
            made = await _exercise(run, conn)
            unknown = run.call("GET", "/events/%00/x", 404)  # a NUL in the page's slug: no such page
            kept = run.call("GET", "/healthz", 200, headers={"X-Request-Id": "client-trace-42.a:b"})
            replaced = run.call("GET", "/healthz", 200, headers={"X-Request-Id": "not sane!"})
        server.stop()
        stderr = server.stderr()
    records = _lines(stderr)
    access = [r for r in records if r["logger"] == logs.ACCESS]
    assert kept.headers["x-request-id"] == "client-trace-42.a:b"
    assert replaced.headers["x-request-id"].startswith("req_")
    by_id = {r["request_id"]: r for r in access}
    assert len(by_id) == len(access)  # one line per request: no id twice
    ours = {r.headers["x-request-id"] for r in run.responses}
    assert len(ours) == len(run.responses) and ours <= by_id.keys()
    assert {r["route"] for i, r in by_id.items() if i not in ours} == {"/healthz"}  # serving's readiness probes
    for response in run.responses:
        line = by_id[response.headers["x-request-id"]]
        assert line["status"] == response.status_code and line["method"] == response.request.method
        assert isinstance(line["duration_ms"], float) and line["level"] == "INFO"
        assert {"dialect", "route", "box_office_id", "key_id"} <= line.keys()
        assert "{" in line["route"] or "/" in line["route"] or line["route"] == "unmatched"
    for dialect, (_, key_id) in made["keys"].items():
        mine = [r for r in access if r["dialect"] == dialect and r["status"] == 200]
        assert mine and all((r["box_office_id"], r["key_id"]) == (made["office"], key_id) for r in mine), dialect
    assert by_id[unknown.headers["x-request-id"]]["route"] == "/events/{box_office}/{slug}"
    assert by_id[run.responses[-1].headers["x-request-id"]]["route"] == "/healthz"
    assert not [r for r in records if r["level"] == "ERROR"]  # the error record: the unit test below
    for secret in run.secrets:
        for form in {secret, quote(secret), quote_plus(secret)}:  # nor a URL of a request that carried it
            assert form not in stderr, f"{form[:6]}... is in the log"
    basic = _auth("tickettailor", made["keys"]["tickettailor"][0])["Authorization"].split()[1]
    assert basic not in stderr and "not sane!" not in stderr
    assert "\x1b" not in stderr  # uvicorn's coloured copies of its messages are left out


def test_a_dialects_error_record_carries_the_request_id_and_its_traceback() -> None:
    """What a dialect's error table logs for an unexpected exception, through the served handler."""
    handler = logs.handler("json")
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(io.StringIO())
    token = logs.REQUEST_ID.set("req_abc")
    try:
        try:
            raise ValueError("boom")
        except ValueError as exc:
            record = logging.getLogger("ticketgate.dialects").makeRecord(
                "ticketgate.dialects", logging.ERROR, __file__, 1, "unexpected error on %s", ("GET /x",),
                sys.exc_info())
            assert exc
        handler.handle(record)
    finally:
        logs.REQUEST_ID.reset(token)
    (line,) = handler.stream.getvalue().splitlines()
    parsed = json.loads(line)
    assert parsed["request_id"] == "req_abc" and parsed["level"] == "ERROR"
    assert "Traceback" in parsed["exc_info"] and "ValueError: boom" in parsed["exc_info"]
