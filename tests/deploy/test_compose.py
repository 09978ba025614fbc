"""deploy/compose.yaml, parsed and its references resolved (no container engine runs here)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from gateway.config import load_settings
from tests.deploy.files import DEPLOY, check_command, compose, dockerfile_stages, health_paths, healthcheck

REQUIRED = {"TICKETGATE_ADMIN_TOKEN": "compose-test-token-0123456789"}
CONDITIONS = {"service_healthy", "service_completed_successfully", "service_started"}


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    found: dict[str, Any] = compose(REQUIRED)["services"]
    return found


def ticketgate_services(services: dict[str, Any]) -> dict[str, Any]:
    return {name: s for name, s in services.items() if "build" in s}


def one_shots(services: dict[str, Any]) -> set[str]:
    return {dep for s in services.values() for dep, how in s.get("depends_on", {}).items()
            if how["condition"] == "service_completed_successfully"}


def test_required_variables_are_required() -> None:
    with pytest.raises(KeyError, match="TICKETGATE_ADMIN_TOKEN"):
        compose({})


def test_the_services_the_issue_asks_for(services: dict[str, Any]) -> None:
    assert {"postgres", "redis", "migrate", "gateway", "worker"} <= set(services)
    assert services["gateway"]["deploy"]["replicas"] == 2
    commands = {name: check_command(s["command"]) for name, s in ticketgate_services(services).items()}
    assert commands == {"migrate": "migrate", "gateway": "serve", "worker": "worker"}
    assert services["migrate"]["restart"] == "no"


def test_depends_on_names_services_and_waits_for_health(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for dependency, how in service.get("depends_on", {}).items():
            assert dependency in services and dependency != name, (name, dependency)
            assert how["condition"] in CONDITIONS - {"service_started"}, (name, dependency)
            wanted = "service_completed_successfully" if dependency in one_shots(services) else "service_healthy"
            assert how["condition"] == wanted, (name, dependency)
    for name in ("gateway", "worker"):
        assert set(services[name]["depends_on"]) == {"postgres", "redis", "migrate"}
    assert one_shots(services) == {"migrate"}


def test_healthchecks_everywhere_but_the_one_shot(services: dict[str, Any]) -> None:
    for name, service in services.items():
        check = service["healthcheck"]
        if name in one_shots(services):
            assert check == {"disable": True}, "the image's /readyz check must not apply to it"
            continue
        assert check["test"][0] in ("CMD", "CMD-SHELL") and len(check["test"]) > 1, name
        assert {"interval", "timeout", "start_period", "retries"} <= set(check), name
        for key in ("interval", "timeout", "start_period"):
            assert re.fullmatch(r"\d+(ms|s|m)", check[key]), (name, key)


def test_the_gateway_healthcheck_is_the_image_one_on_a_route_the_app_serves(services: dict[str, Any]) -> None:
    test = services["gateway"]["healthcheck"]["test"]
    final = dockerfile_stages()[-1]
    check = final.last("HEALTHCHECK")
    assert check is not None and healthcheck(check)[1] == test[1:]
    assert "/readyz" in health_paths() and "/readyz'" in test[-1]
    host_range, container = services["gateway"]["ports"][0].split(":")
    first, last = (int(p) for p in host_range.split("-"))
    assert last - first + 1 == services["gateway"]["deploy"]["replicas"]
    assert container == final.env()["TICKETGATE_PORT"]


def test_environment_is_settings_the_app_reads(services: dict[str, Any], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./ticketgate.toml
    image_env = dockerfile_stages()[-1].env()
    for name, service in ticketgate_services(services).items():
        env = {**image_env, **{k: str(v) for k, v in service["environment"].items()}}
        settings = load_settings(environ=env)  # refuses unknown TICKETGATE_* names and bad values
        assert settings.admin_token == REQUIRED["TICKETGATE_ADMIN_TOKEN"], name
        assert settings.database_url is not None
        for url in (settings.database_url, settings.rate_limit_storage):
            assert urlsplit(url).hostname in services, (name, url)
    gateway = load_settings(environ={**image_env, **services["gateway"]["environment"]})
    assert gateway.workers == 2 and gateway.webhook_worker is False  # the worker service delivers


def test_build_points_at_the_dockerfile(services: dict[str, Any]) -> None:
    for service in ticketgate_services(services).values():
        context = (DEPLOY / service["build"]["context"]).resolve()
        assert (context / service["build"]["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
        assert (context / ".dockerignore").exists()
