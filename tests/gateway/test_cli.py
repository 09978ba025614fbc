"""The ticketgate command line, run as a real process against the test database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest

CLI = os.path.join(os.path.dirname(sys.executable), "ticketgate")


@pytest.fixture
def run(database_dsn):
    def call(*args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "DATABASE_URL": database_dsn}
        return subprocess.run([CLI, *args], capture_output=True, text=True, env=env, timeout=120)

    return call


def test_help_explains_every_command(run):
    out = run("--help").stdout
    for command in ("serve", "boxoffice", "keys", "orders", "tickets", "demo", "webhooks", "worker", "record",
                    "import", "replay"):
        assert command in out
    assert "--ticket-type" in run("orders", "create", "--help").stdout


def test_json_output_is_one_object(run):
    slug = f"cli-{uuid.uuid4().hex[:8]}"
    made = run("--json", "boxoffice", "create", "--name", "CLI Office", "--slug", slug, "--plan", "starter",
               "--accept-api-terms")
    assert made.returncode == 0, made.stderr
    office = json.loads(made.stdout)
    assert office["slug"] == slug and office["plan"] == "starter"
    key = json.loads(run("--json", "keys", "create", "--box-office", slug, "--dialect", "tickettailor").stdout)
    assert key["secret"].startswith(f"sk_{office['id']}_")
    listed = json.loads(run("--json", "keys", "list", "--box-office", slug).stdout)
    assert len(listed["data"]) == 1


def test_bad_input_exits_nonzero_with_one_line_and_writes_nothing(run, database_dsn):
    slug = f"cli-{uuid.uuid4().hex[:8]}"
    bad = run("boxoffice", "create", "--name", "X", "--slug", slug, "--currency", "DOLLARS")
    assert bad.returncode != 0
    assert len(bad.stderr.strip().splitlines()) == 1 and "currency" in bad.stderr
    assert slug not in run("boxoffice", "list").stdout
    assert run("keys", "create", "--box-office", "no-such-office", "--dialect", "equaticket").returncode != 0
    assert run("keys", "revoke", "not-a-key").returncode != 0


async def test_orders_through_the_cli(run, conn):
    demo = run("--json", "demo")
    assert demo.returncode == 0, demo.stderr
    seeded = json.loads(demo.stdout)
    assert set(seeded["keys"]) == {"ticketsmart", "tickettailor", "equaticket"}
    assert all("curl" in line for line in seeded["curl"].values())
    type_id = await conn.fetchval(
        "SELECT t.id FROM ticket_types t JOIN events e ON e.id = t.event_id JOIN box_offices b"
        " ON b.id = e.box_office_id WHERE b.slug = 'demo' AND e.slug = 'comedy-night' ORDER BY t.id LIMIT 1")
    order = run("--json", "orders", "create", "--box-office", "demo", "--event", "comedy-night",
                "--ticket-type", f"tt_{type_id}:2", "--email", "cli@example.com", "--name", "Cli User")
    assert order.returncode == 0, order.stderr
    placed = json.loads(order.stdout)
    assert len(placed["tickets"]) == 2
    barcode = placed["tickets"][0]["barcode"]
    checked = json.loads(run("--json", "tickets", "checkin", "--box-office", "demo", barcode,
                             "--nonce", "door-1").stdout)
    assert checked["new_check_in"] is True
    refund = json.loads(run("--json", "orders", "refund", "--box-office", "demo", f"or_{placed['id']}").stdout)
    assert refund["status"] == "refunded"
    assert run("orders", "refund", "--box-office", "demo", f"or_{placed['id']}").returncode != 0


async def test_every_operation_through_its_request_model(run, conn):
    slug = f"cli-{uuid.uuid4().hex[:8]}"
    assert run("boxoffice", "create", "--name", "Ops", "--slug", slug).returncode == 0
    updated = json.loads(run("--json", "boxoffice", "update", slug, "--plan", "pro", "--accept-api-terms").stdout)
    assert (updated["plan"], updated["api_terms_accepted"]) == ("pro", True)
    key = json.loads(run("--json", "keys", "create", "--box-office", slug, "--dialect", "equaticket",
                         "--scope", "events:read", "--mode", "test").stdout)
    assert key["scopes"] == ["events:read"] and key["mode"] == "test"
    assert json.loads(run("--json", "keys", "revoke", key["id"]).stdout)["revoked_at"] is not None
    assert json.loads(run("--json", "webhooks", "deliveries", "--box-office", slug).stdout) == {"data": []}
    reset = json.loads(run("--json", "boxoffice", "reset-test-data", slug).stdout)
    assert reset["box_office"] == slug
    bad = run("orders", "refund", "--box-office", slug, "or_1", "--mode", "test", "--amount", "-1")
    assert bad.returncode != 0 and "amount" in bad.stderr  # click's own range check, before the model


def test_global_options_work_after_the_subcommand_too(run, tmp_path):
    slug = f"cli-{uuid.uuid4().hex[:8]}"
    made = run("boxoffice", "create", "--name", "After", "--slug", slug, "--json")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["slug"] == slug  # --json after the subcommand: one JSON object
    listed = run("keys", "list", "--box-office", slug, "--json")
    assert json.loads(listed.stdout) == {"data": []}
    broken = tmp_path / "broken.toml"
    broken.write_text("port = 'not a number'\n")
    for args in (("--config", str(broken), "migrate"), ("migrate", "--config", str(broken))):
        refused = run(*args)  # the file is read wherever the option stands
        assert refused.returncode == 2 and "invalid setting port" in refused.stderr, args
    help_text = run("serve", "--help").stdout
    assert "--config" in help_text and "--json" in help_text and "--data-dir" in help_text


async def test_serve_refuses_a_busy_port_before_touching_any_key(run, conn):
    import socket

    keys_before = await conn.fetchval("SELECT count(*) FROM api_keys")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        refused = run("serve", "--demo", "--port", str(port))
    assert refused.returncode == 2
    assert f"127.0.0.1:{port} is already in use" in refused.stderr
    assert "ts_sk_" not in refused.stdout
    assert await conn.fetchval("SELECT count(*) FROM api_keys") == keys_before  # none made, none revoked


def test_serve_on_the_embedded_database_seals_with_the_data_folders_key(tmp_path):
    from gateway.cli import embedded
    from gateway.config import load_settings

    settings = load_settings(environ={}, data_dir=tmp_path / "data")
    served = embedded(settings, lambda s: "postgresql://embedded.example/db")
    key_file = tmp_path / "data" / "encryption.key"
    assert served.database_url == "postgresql://embedded.example/db"
    assert served.encryption_keys == [key_file.read_text().strip()]  # the workers get the folder's key
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert embedded(settings, lambda s: "x").encryption_keys == served.encryption_keys  # the same key again
    own = load_settings(environ={}, data_dir=tmp_path / "other", encryption_keys=served.encryption_keys)
    assert embedded(own, lambda s: "x").encryption_keys == served.encryption_keys
    assert not (tmp_path / "other" / "encryption.key").exists()  # configured keys win: no file made
