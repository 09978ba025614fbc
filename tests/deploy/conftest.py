"""Fixtures for the install tests: the image's steps replayed on this machine.

The builder stage's command builds the wheel from what `docker build` would send (the tree
less .dockerignore); the final stage's `pip install` puts it in a fresh venv, dependencies
from the package index included (measured: about 16 s here, warm or cold pip cache). The
venv sees nothing of the checkout: no PYTHONPATH, no editable install, an empty directory.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import shlex
import subprocess
import sys
import time
import uuid
import venv
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from core.db import dsn_for_database
from tests.conftest import _server_dsn
from tests.deploy.files import build_context, dockerfile_stages

BUILD_TIMEOUT = 300  # seconds: a cold pip cache downloads setuptools and every dependency


@dataclass(frozen=True)
class Install:
    wheel: Path  # built as the image's builder stage builds it: from the sdist
    sdist: Path
    venv: Path
    seconds: dict[str, float]

    def bin(self, name: str) -> Path:
        return self.venv / "bin" / name

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"wheel": str(self.wheel), "sdist": str(self.sdist),
                                    "venv": str(self.venv), "seconds": self.seconds}))

    @classmethod
    def load(cls, path: Path) -> Install:
        data = json.loads(path.read_text())
        return cls(Path(data["wheel"]), Path(data["sdist"]), Path(data["venv"]), data["seconds"])


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a process that knows nothing of the checkout or the test run."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "DATABASE_URL", "PYTHONHOME")
           and not k.startswith(("TICKETGATE_", "PYTEST_"))}
    return {**env, **extra}


def _run(argv: list[str], cwd: Path) -> None:
    result = subprocess.run(argv, cwd=cwd, env=clean_env(), capture_output=True, text=True,
                            timeout=BUILD_TIMEOUT)
    assert result.returncode == 0, f"{shlex.join(argv)}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"


def _builder_command(out: Path) -> list[str]:
    """The builder stage's `python -m build` RUN line, its output folder moved to ``out``."""
    builder = dockerfile_stages()[0]
    runs = [shlex.split(i.args) for i in builder.all("RUN")]
    build = [argv for argv in runs if argv[:3] == ["python", "-m", "build"]]
    assert len(build) == 1, runs
    argv = build[0]
    argv[argv.index("--outdir") + 1] = str(out)
    return [sys.executable, *argv[1:]]


@pytest.fixture(scope="session")
def install(tmp_path_factory: pytest.TempPathFactory) -> Install:
    """Built and installed once per run: xdist workers share it (their temp folders' parent is
    the run's), the first one builds under a file lock while the others wait for it."""
    shared = tmp_path_factory.getbasetemp()
    if "PYTEST_XDIST_WORKER" in os.environ:
        shared = shared.parent
    with open(shared / "deploy-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = shared / "deploy-install.json"
        if done.exists():
            return Install.load(done)
        built = _build_and_install(shared / "deploy-install")
        built.save(done)
        return built


def _build_and_install(base: Path) -> Install:
    context = build_context(base / "context")
    seconds: dict[str, float] = {}
    start = time.monotonic()
    _run(_builder_command(base / "dist"), cwd=context)
    seconds["build"] = time.monotonic() - start
    (wheel,) = (base / "dist").glob("*.whl")
    (sdist,) = (base / "dist").glob("*.tar.gz")
    start = time.monotonic()
    venv.create(base / "venv", with_pip=True, clear=True)
    _run([str(base / "venv" / "bin" / "pip"), "install", "--disable-pip-version-check", "-q", str(wheel)],
         cwd=base)
    seconds["install"] = time.monotonic() - start
    return Install(wheel, sdist, base / "venv", seconds)


@pytest.fixture
def fresh_dsn() -> Iterator[str]:
    """A new, empty database on the suite's server (TEST_DATABASE_URL's, else the embedded one)."""
    server = _server_dsn()
    name = f"tg_deploy_{uuid.uuid4().hex[:12]}"

    async def execute(sql: str) -> None:
        conn = await asyncpg.connect(server)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    def run(sql: str) -> None:  # in a thread of its own: the suite's event loop stays untouched
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, execute(sql)).result()

    run(f'CREATE DATABASE "{name}"')
    yield dsn_for_database(server, name)
    run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
