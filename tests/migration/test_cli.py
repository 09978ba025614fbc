"""The commands' wiring (in-process): registration, help, refusals before any work is done."""

from __future__ import annotations

import click
from click.testing import CliRunner

from gateway.cli_migration import register


def cli() -> click.Group:
    from gateway.cli import main

    group = click.Group(name="ticketgate", commands=dict(main.commands), params=list(main.params),
                        callback=main.callback)  # a copy: registering never touches the real group
    register(group)
    return group


def test_register_adds_the_four_commands():
    group = cli()
    assert {"record", "import", "replay", "shadow"} <= set(group.commands)
    result = CliRunner().invoke(group, ["replay", "--help"])
    assert result.exit_code == 0 and "--as" in result.output and "--report" in result.output


def test_replay_refuses_a_file_that_is_not_a_capture(tmp_path):
    bogus = tmp_path / "x.jsonl"
    bogus.write_text('{"hello": 1}\n')
    result = CliRunner().invoke(cli(), ["replay", str(bogus), "--target", "http://t.test", "--key", "k",
                                        "--report", str(tmp_path / "r.html")])
    assert result.exit_code == 2 and "not a ticketgate capture" in result.output
    assert not (tmp_path / "r.html").exists()


def test_record_refuses_a_bad_listen_address(tmp_path):
    result = CliRunner().invoke(cli(), ["record", "--upstream", "http://u.test", "--dialect", "equaticket",
                                        "--listen", "nowhere", "--out", str(tmp_path / "c.jsonl")])
    assert result.exit_code == 2 and "HOST:PORT" in result.output


def test_import_refuses_an_unknown_dialect():
    result = CliRunner().invoke(cli(), ["import", "--from", "eventbrite", "--base-url", "http://v.test",
                                        "--key", "k", "--box-office", "x"])
    assert result.exit_code == 2 and "eventbrite" in result.output


def test_record_will_not_mix_dialects_in_one_capture(tmp_path):
    capture = tmp_path / "c.jsonl"
    capture.write_text('{"type": "capture", "version": 1, "dialect": "ticketsmart"}\n')
    result = CliRunner().invoke(cli(), ["record", "--upstream", "http://u.test", "--dialect", "equaticket",
                                        "--listen", "127.0.0.1:1", "--out", str(capture)])
    assert result.exit_code == 2 and "capture of ticketsmart" in result.output


def test_replay_against_an_unreachable_target_reports_instead_of_crashing(tmp_path):
    capture = tmp_path / "c.jsonl"
    capture.write_text('{"type": "capture", "version": 1, "dialect": "ticketsmart"}\n'
                       '{"type": "exchange", "seq": 1, "request": {"method": "GET", "path": "/api/v1/events",'
                       ' "query": []}, "response": {"status": 200, "body": {}}, "latency_ms": 3}\n'
                       '{"type": "exchange", "seq": 2}\n{"torn line')
    bad = CliRunner().invoke(cli(), ["replay", str(capture), "--target", "http://[bad", "--key", "k",
                                     "--report", str(tmp_path / "r.html")])
    assert bad.exit_code == 2 and "--target must be an http" in bad.output and not (tmp_path / "r.html").exists()
    result = CliRunner().invoke(cli(), ["--json", "replay", str(capture), "--target", "http://127.0.0.1:1",
                                        "--key", "k", "--report", str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.output
    summary = (tmp_path / "r.json").read_text()
    assert "the target did not answer (ConnectError)" in summary and "malformed capture line" in summary
    assert '"target_failures": 1' in summary


def test_shadow_refuses_a_live_key_for_mirrored_writes_and_bad_urls():
    base = ["shadow", "--primary", "http://127.0.0.1:1/equaticket", "--dialect", "equaticket", "--key", "k",
            "--box-office", "acme"]
    result = CliRunner().invoke(cli(), [*base, "--candidate", "http://127.0.0.1:2/equaticket",
                                        "--mirror-writes", "sk_live_abcdefghijklmnopqrstuvwxyz"])
    assert result.exit_code == 2 and "test-mode key (sk_test_...)" in result.output
    assert "sk_live_abcdefghijklmnopqrstuvwxyz" not in result.output
    result = CliRunner().invoke(cli(), [*base, "--candidate", "ftp://elsewhere"])
    assert result.exit_code == 2 and "--candidate must be an http:// or https:// URL" in result.output


def test_import_follow_shows_its_options():
    result = CliRunner().invoke(cli(), ["import", "--help"])
    assert result.exit_code == 0 and "--follow" in result.output and "--interval" in result.output
