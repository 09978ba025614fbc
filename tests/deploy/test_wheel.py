"""A non-editable install starts: the wheel carries schema.sql, `migrate` and `serve` run from it.

The install is the image's (deploy/Dockerfile replayed by the ``install`` fixture); the commands
run from an empty directory with the Dockerfile's ENV, its ENTRYPOINT's `ticketgate` and its
HEALTHCHECK command, against a fresh database on the suite's server.
"""

from __future__ import annotations

import json
import signal
import subprocess
import tarfile
import time
import zipfile
from pathlib import Path

import httpx

from core.db import parse_migrations
from tests.deploy.conftest import Install, clean_env
from tests.deploy.files import ROOT, compose, dockerfile_stages, healthcheck
from tests.ops.procs import free_port

START_TIMEOUT = 60.0


def _image_env(dsn: str, port: int, data: Path) -> dict[str, str]:
    """The final stage's ENV, on loopback and a free port, with the suite's database."""
    env = dockerfile_stages()[-1].env()
    env.update(TICKETGATE_HOST="127.0.0.1", TICKETGATE_PORT=str(port), TICKETGATE_DATA_DIR=str(data))
    return clean_env(**env, DATABASE_URL=dsn)


def _entrypoint(install: Install) -> list[str]:
    """ENTRYPOINT + CMD, with `ticketgate` from the venv (tini, PID 1 in the image, is left out)."""
    final = dockerfile_stages()[-1]
    entry = final.last("ENTRYPOINT").exec_form()  # type: ignore[union-attr]
    cmd = final.last("CMD").exec_form()  # type: ignore[union-attr]
    assert entry is not None and cmd is not None, "ENTRYPOINT and CMD in exec form"
    command = entry[entry.index("ticketgate"):] + cmd
    return [str(install.bin(command[0])), *command[1:]]


def test_wheel_and_sdist_carry_the_schema(install: Install) -> None:
    schema = (ROOT / "schema.sql").read_bytes()
    with zipfile.ZipFile(install.wheel) as z:
        names = z.namelist()
        assert z.read("core/schema.sql") == schema
        assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
        metadata = z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        assert "License-Expression: MIT" in metadata
        dist_info = "-".join(install.wheel.name.split("-")[:2]) + ".dist-info"
        assert {n.split("/")[0] for n in names} == {"core", "dialects", "gateway", dist_info}
    with tarfile.open(install.sdist) as t:
        member = t.extractfile(f"{install.sdist.name.removesuffix('.tar.gz')}/schema.sql")
        assert member is not None and member.read() == schema


def test_the_venv_runs_the_installed_package_only(install: Install, tmp_path: Path) -> None:
    where = subprocess.run([str(install.bin("python")), "-c", "import core, gateway; print(core.__file__)"],
                           cwd=tmp_path, env=clean_env(), capture_output=True, text=True, check=True)
    assert Path(where.stdout.strip()).is_relative_to(install.venv), where.stdout
    print(f"install times (s): {install.seconds}")  # shown with -s; the brief asks for them


def test_migrate_then_serve_from_an_empty_directory(install: Install, fresh_dsn: str, tmp_path: Path) -> None:
    work = tmp_path / "empty"
    work.mkdir()
    port = free_port()
    env = _image_env(fresh_dsn, port, tmp_path / "data")
    migrate = subprocess.run([str(install.bin("ticketgate")), "--json", "migrate"], cwd=work, env=env,
                             capture_output=True, text=True, timeout=120)
    assert migrate.returncode == 0, migrate.stderr
    versions = len(parse_migrations((ROOT / "schema.sql").read_text()))
    assert json.loads(migrate.stdout) == {"schema_version": versions}
    _compose_healthcheck_passes(install, "worker", env, work)

    server = subprocess.Popen(_entrypoint(install), cwd=work, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(server, base)
        assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
        ready = httpx.get(f"{base}/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
        _image_healthcheck_passes(install, env, work)
        _compose_healthcheck_passes(install, "gateway", env, work)
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            server.kill()
        output = server.communicate()[0]
        print(output)
    assert "Traceback" not in output, output
    assert list(work.iterdir()) == [], "serve wrote into its working directory"


def _wait_until_up(server: subprocess.Popen[str], base: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert server.poll() is None, f"serve exited with {server.returncode}"
        try:
            httpx.get(f"{base}/healthz", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"serve did not answer within {START_TIMEOUT} s")


def _image_healthcheck_passes(install: Install, env: dict[str, str], cwd: Path) -> None:
    """The image's HEALTHCHECK command, with the venv's python, exits 0 against the server."""
    check = dockerfile_stages()[-1].last("HEALTHCHECK")
    assert check is not None
    _, argv = healthcheck(check)
    result = subprocess.run([str(install.bin(argv[0])), *argv[1:]], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=10)
    assert result.returncode == 0, result.stderr


def _compose_healthcheck_passes(install: Install, service: str, env: dict[str, str], cwd: Path) -> None:
    """deploy/compose.yaml's healthcheck of ``service``, run with the venv's python."""
    test = compose({"TICKETGATE_ADMIN_TOKEN": "t" * 24})["services"][service]["healthcheck"]["test"]
    assert test[0] == "CMD" and test[1] == "python", test
    result = subprocess.run([str(install.bin("python")), *test[2:]], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=10)
    assert result.returncode == 0, (service, result.stderr)
