"""Reading the deployment files the way their tools would, without the tools.

No container engine or cluster runs on these machines, so the tests read deploy/Dockerfile,
.dockerignore, deploy/compose.yaml and deploy/kubernetes/ with these small parsers and check
every reference in them against the app itself (its CLI, its settings, its routes).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from gateway.app import health_routes
from gateway.cli import main as cli
from gateway.config import load_settings
from gateway.runtime import Gateway

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"


# --- Dockerfile ------------------------------------------------------------------------------

@dataclass
class Instruction:
    keyword: str
    args: str

    def exec_form(self) -> list[str] | None:
        """The JSON-array (exec) form's argv, or None for the shell form."""
        text = self.args.strip()
        if not text.startswith("["):
            return None
        value = json.loads(text)
        assert isinstance(value, list) and all(isinstance(v, str) for v in value)
        return value


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction | None:
        found = self.all(keyword)
        return found[-1] if found else None

    def env(self) -> dict[str, str]:
        env: dict[str, str] = {}
        for instruction in self.all("ENV"):
            for pair in shlex.split(instruction.args):
                key, _, value = pair.partition("=")
                env[key] = value
        return env


def dockerfile_instructions(text: str) -> Iterator[Instruction]:
    """Instructions with line continuations joined; comment lines dropped (also inside one)."""
    pending = ""
    for line in text.splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        keyword, _, args = (pending + line).strip().partition(" ")
        pending = ""
        yield Instruction(keyword.upper(), args.strip())


def dockerfile_stages(path: Path = DEPLOY / "Dockerfile") -> list[Stage]:
    stages: list[Stage] = []
    for instruction in dockerfile_instructions(path.read_text()):
        if instruction.keyword == "FROM":
            words = instruction.args.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(words[0], name))
        elif stages:
            stages[-1].instructions.append(instruction)
    return stages


def healthcheck(instruction: Instruction) -> tuple[dict[str, str], list[str]]:
    """HEALTHCHECK's --options and its CMD's exec-form argv."""
    options: dict[str, str] = {}
    rest = instruction.args
    while rest.startswith("--"):
        option, _, rest = rest.partition(" ")
        key, _, value = option[2:].partition("=")
        options[key] = value
        rest = rest.lstrip()
    keyword, _, command = rest.partition(" ")
    assert keyword.upper() == "CMD", instruction.args
    argv = Instruction("CMD", command).exec_form()
    assert argv is not None, "HEALTHCHECK CMD must be in exec form"
    return options, argv


# --- .dockerignore ---------------------------------------------------------------------------

def _pattern(pattern: str) -> re.Pattern[str]:
    out = ""
    for token in re.split(r"(\*\*/?|\*|\?)", pattern.strip("/")):
        if token.startswith("**"):
            out += "(.*/)?" if token.endswith("/") else ".*"
        elif token == "*":
            out += "[^/]*"
        elif token == "?":
            out += "[^/]"
        else:
            out += re.escape(token)
    return re.compile(out + "$")


def dockerignore(path: Path = ROOT / ".dockerignore") -> list[re.Pattern[str]]:
    lines = [line.strip() for line in path.read_text().splitlines()]
    assert not any(line.startswith("!") for line in lines), "exceptions are not modelled here"
    return [_pattern(line) for line in lines if line and not line.startswith("#")]


def ignored(relative: str, patterns: list[re.Pattern[str]]) -> bool:
    """Docker's rule: a path is out when it or one of its parent folders matches a pattern."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(p.match(prefix) for p in patterns for prefix in prefixes)


def build_context(destination: Path, source: Path = ROOT) -> Path:
    """Copy what `docker build` would send (the tree less .dockerignore) to ``destination``."""
    patterns = dockerignore(source / ".dockerignore")
    for folder, dirs, files in os.walk(source):
        relative = Path(folder).relative_to(source).as_posix()
        prefix = "" if relative == "." else relative + "/"
        dirs[:] = [d for d in dirs if not ignored(prefix + d, patterns)]  # never walk .venv
        for name in files:
            if not ignored(prefix + name, patterns):
                target = destination / prefix / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(Path(folder) / name, target)
    return destination


# --- compose ---------------------------------------------------------------------------------

_VARIABLE = re.compile(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}")


def interpolate(value: Any, environ: Mapping[str, str]) -> Any:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error} (required: taken from ``environ``)."""
    if isinstance(value, dict):
        return {k: interpolate(v, environ) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, environ) for v in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        name, kind, default = match[1], match[2] or "", match[3] or ""
        if name in environ:
            return environ[name]
        if "?" in kind:
            raise KeyError(f"compose requires {name}: {default}")
        return default

    return _VARIABLE.sub(one, value)


def compose(environ: Mapping[str, str], path: Path = DEPLOY / "compose.yaml") -> dict[str, Any]:
    document = interpolate(yaml.safe_load(path.read_text()), environ)
    assert isinstance(document, dict)
    return document


# --- Kubernetes ------------------------------------------------------------------------------

def manifests(folder: Path = KUBERNETES) -> dict[str, list[dict[str, Any]]]:
    """Every YAML file of the base but kustomization.yaml: file name -> its documents."""
    return {path.name: [d for d in yaml.safe_load_all(path.read_text()) if d]
            for path in sorted(folder.glob("*.yaml")) if path.name != "kustomization.yaml"}


def by_kind(kind: str, name: str | None = None) -> dict[str, Any]:
    found = [d for docs in manifests().values() for d in docs
             if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    assert len(found) == 1, (kind, name, len(found))
    return found[0]


# --- the app ---------------------------------------------------------------------------------

def health_paths() -> set[str]:
    """The paths gateway.app routes for health checks (the routes themselves, not a copy)."""
    return {route.path for route in health_routes(Gateway(load_settings(environ={})))}  # type: ignore[attr-defined]


def subcommands() -> set[str]:
    """The commands `ticketgate --help` lists."""
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0, result.output
    section = result.output.split("Commands:", 1)[1]
    return {line.split()[0] for line in section.splitlines() if line.startswith("  ") and line.split()}


def check_command(argv: list[str]) -> str:
    """The subcommand ``ticketgate ARGV`` runs, after checking the CLI accepts ARGV's options."""
    words = [a for a in argv if not a.startswith("-")]
    assert words and words[0] in subcommands(), f"{argv}: not a ticketgate command"
    result = CliRunner().invoke(cli, [*argv, "--help"])
    assert result.exit_code == 0, (argv, result.output)
    assert f" {words[0]} " in result.output.splitlines()[0], result.output
    return words[0]
