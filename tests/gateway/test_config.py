"""Settings: TOML file, environment overrides, validation."""

from __future__ import annotations

import pytest

from gateway.config import SETTINGS_ENV, ConfigError, load_settings


def test_defaults():
    settings = load_settings(environ={})
    assert settings.database_url is None and str(settings.data_dir) == ".ticketgate"
    assert [settings.dialect(n).prefix for n in ("ticketsmart", "tickettailor", "equaticket")] == [
        "/ticketsmart", "/tickettailor", "/equaticket"]
    assert settings.dialects.tickettailor.requests_per_hour == 2000
    assert settings.dialects.equaticket.plan_requests_per_minute["growth"] == 300


def test_toml_then_environment(tmp_path):
    config = tmp_path / "ticketgate.toml"
    config.write_text('admin_token = "from-file-0123456789abcdef"\nport = 9000\n'
                      '[dialects.tickettailor]\nenabled = true\nhosts = ["tt.localhost"]\nlinks = "host"\n')
    env = {"TICKETGATE_PORT": "9100", "TICKETGATE_DIALECTS__TICKETTAILOR__ENABLED": "false",
           "DATABASE_URL": "postgresql://u@h/db", "TICKETGATE_DATA_DIR": "/var/lib/tg"}
    settings = load_settings(config, environ=env)
    assert settings.admin_token == "from-file-0123456789abcdef" and settings.port == 9100
    assert settings.dialects.tickettailor.enabled is False
    assert settings.dialects.tickettailor.hosts == ("tt.localhost",)
    assert settings.dialects.tickettailor.links == "host"
    assert settings.database_url == "postgresql://u@h/db" and str(settings.data_dir) == "/var/lib/tg"


def test_worker_processes_receive_the_whole_settings():
    settings = load_settings(environ={}, port=8123, admin_token="t" * 24)
    again = load_settings(environ={SETTINGS_ENV: settings.model_dump_json()})
    assert again == settings


@pytest.mark.parametrize(("env", "message"), [
    ({"TICKETGATE_PORT": "eighty"}, "port"),
    ({"TICKETGATE_DIALECTS__TICKETSMART__PREFIX": "ticketsmart/"}, "prefix"),
    ({"TICKETGATE_DIALECTS__TICKETSMART__PREFIX": "/admin"}, "belongs to the gateway"),
    ({"TICKETGATE_STATEMENT_TIMEOUT": "-1"}, "statement_timeout"),
    ({"TICKETGATE_PUBLIC_BASE_URL": "https://x.example/it's"}, "public_base_url"),
    ({"TICKETGATE_PUBLIC_BASE_URL": "ftp://x.example"}, "public_base_url"),
    ({"TICKETGATE_PUBLIC_BASE_URL": "https://x.example\\tickets"}, "public_base_url"),
    ({"TICKETGATE_NO_SUCH_SETTING": "1"}, "no_such_setting"),
    ({"TICKETGATE_DIALECTS__TICKETTAILOR__LINKS": "absolute"}, "links"),
])
def test_bad_settings_are_one_clear_error(env, message):
    with pytest.raises(ConfigError, match=message):
        load_settings(environ=env)


def test_unreadable_file(tmp_path):
    broken = tmp_path / "bad.toml"
    broken.write_text("port = [")
    with pytest.raises(ConfigError, match="cannot read config"):
        load_settings(broken, environ={})


def test_each_registered_dialect_has_its_own_section():
    from dialects import registry
    from dialects.settings import DialectSettings
    from gateway.config import Dialects

    assert tuple(Dialects.model_fields) == registry.NAMES
    settings = load_settings(environ={})
    for name in registry.NAMES:
        cls = registry.settings_class(name)
        assert cls.__module__ == f"dialects.{name}.settings" and issubclass(cls, DialectSettings)
        assert type(settings.dialect(name)) is cls and Dialects.model_fields[name].annotation is cls
