"""deploy/Dockerfile and .dockerignore, read without a container engine (none runs here).

Its steps are replayed in a venv by tests/deploy/test_wheel.py (the ``install`` fixture).
"""

from __future__ import annotations

import shlex
from pathlib import Path

from tests.deploy.files import ROOT, build_context, dockerfile_stages, dockerignore, health_paths, healthcheck, ignored

SOURCE = ("core", "dialects", "gateway", "schema.sql", "pyproject.toml")


def test_two_stages_the_final_one_installs_only_the_built_wheel() -> None:
    builder, final = dockerfile_stages()
    assert builder.name == "builder" and final.base == builder.base
    assert any(shlex.split(r.args)[:3] == ["python", "-m", "build"] for r in builder.all("RUN"))
    copies = [c.args.split() for c in final.all("COPY")]
    assert copies == [["--from=builder", "/dist/*.whl", "/tmp/dist/"]], "no source tree in the final image"
    installs = [r.args for r in final.all("RUN") if "pip install" in r.args]
    assert len(installs) == 1 and "/tmp/dist/*.whl" in installs[0]
    assert " -e " not in f" {installs[0]} " and "--editable" not in installs[0]
    assert not final.all("ADD"), "nothing fetched or unpacked into the final image"


def test_runs_as_a_non_root_numeric_user_owning_the_data_folder() -> None:
    final = dockerfile_stages()[-1]
    user = final.last("USER")
    assert user is not None
    uid = user.args.split(":")[0]
    assert uid.isdigit() and int(uid) != 0, "numeric, so Kubernetes can check runAsNonRoot"
    setup = " ".join(r.args for r in final.all("RUN"))
    assert f"--uid {uid}" in setup
    data = final.env()["TICKETGATE_DATA_DIR"]
    assert f"-o ticketgate -g ticketgate -m 0750 {data}" in setup, "the embedded PostgreSQL's folder"
    assert final.instructions.index(user) > max(final.instructions.index(r) for r in final.all("RUN"))


def test_exec_form_entrypoint_and_a_healthcheck_on_readyz() -> None:
    final = dockerfile_stages()[-1]
    entry, cmd = final.last("ENTRYPOINT"), final.last("CMD")
    assert entry is not None and cmd is not None
    assert entry.exec_form() == ["tini", "--", "ticketgate"], "exec form: SIGTERM reaches the process"
    assert cmd.exec_form() == ["serve"]
    check = final.last("HEALTHCHECK")
    assert check is not None
    options, argv = healthcheck(check)
    assert set(options) == {"interval", "timeout", "start-period", "retries"}
    assert argv[:2] == ["python", "-c"]
    assert "/readyz'" in argv[2] and "/readyz" in health_paths()
    assert final.env()["TICKETGATE_PORT"] in argv[2] and "TICKETGATE_PORT" in argv[2]
    assert final.env()["TICKETGATE_HOST"] == "0.0.0.0"


def test_dockerignore_keeps_local_state_out_of_the_context(tmp_path: Path) -> None:
    patterns = dockerignore()
    for path in (".git", ".venv/bin/python", ".ticketgate/pgdata/PG_VERSION", ".ticketgate-test/x",
                 "core/__pycache__/db.cpython-311.pyc", ".pytest_cache/v", ".mypy_cache/3.11",
                 ".ruff_cache/x", "ticketgate.egg-info/PKG-INFO", "build/lib/core/db.py", "dist/x.whl"):
        assert ignored(path, patterns), path
    for path in (*SOURCE, "README.md", "LICENSE", "setup.py", "MANIFEST.in", "core/db.py"):
        assert not ignored(path, patterns), path
    context = build_context(tmp_path / "context")
    assert all((context / name).exists() for name in SOURCE)
    assert not (context / ".git").exists() and not any(context.rglob("__pycache__"))


def test_the_builder_has_what_the_sdist_lists() -> None:
    # MANIFEST.in's files are in the context (else the sdist, and so the image's wheel, lacks them)
    patterns = dockerignore()
    for line in (ROOT / "MANIFEST.in").read_text().splitlines():
        if line.startswith("include "):
            for name in line.split()[1:]:
                assert (ROOT / name).exists() and not ignored(name, patterns), name
