"""The one typed settings object: a TOML file, then environment overrides.

Nothing else in ticketgate reads ``os.environ``. Overrides:

- ``DATABASE_URL``: use that PostgreSQL server instead of the embedded one
- ``TICKETGATE_CONFIG``: the TOML file (default ``ticketgate.toml`` when it exists)
- ``TICKETGATE_<FIELD>`` for any top-level field, e.g. ``TICKETGATE_DATA_DIR``,
  ``TICKETGATE_ADMIN_TOKEN``, ``TICKETGATE_RATE_LIMIT_STORAGE``
- ``TICKETGATE_<SECTION>__<FIELD>`` for nested ones, e.g.
  ``TICKETGATE_DIALECTS__TICKETTAILOR__ENABLED=false``

Each ``[dialects.<name>]`` section is that dialect's own ``Settings`` class
(``dialects/<name>/settings.py``), one per name in ``dialects.registry``.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator

from core.vault import Vault
from dialects import registry
from dialects.settings import DialectSettings

ENV_PREFIX = "TICKETGATE_"
URL_FORBIDDEN = frozenset("\\'\" \t\r\n")
ADMIN_TOKEN_MIN_LENGTH = 24
SETTINGS_ENV = "TICKETGATE_SETTINGS_JSON"  # complete settings handed to worker processes


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


if TYPE_CHECKING:  # the fields are the registry's names, so they exist only at run time
    Dialects = Section
else:
    # ``[dialects.<name>]``: one field per registered dialect, of the dialect's own settings class
    Dialects = create_model(
        "Dialects", __base__=Section,
        **{name: (registry.settings_class(name), registry.settings_class(name)()) for name in registry.NAMES},
    )


class Settings(Section):
    database_url: str | None = None
    data_dir: Path = Path(".ticketgate")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    workers: int = Field(1, ge=1, le=64)
    admin_token: str | None = None  # at least ADMIN_TOKEN_MIN_LENGTH characters ("": no operator API)
    rate_limit_storage: str = "memory://"
    rate_limits_enabled: bool = True
    # a shared rate-limit storage (redis://) that fails or does not answer within
    # rate_limit_storage_timeout seconds: "open" serves the request uncounted (a log line, a
    # metric), "closed" answers each dialect's 503 (and /readyz checks the storage)
    rate_limit_on_storage_error: Literal["open", "closed"] = "open"
    rate_limit_storage_timeout: float = Field(0.5, gt=0)
    # failed authentications per client address in a rolling minute, every dialect and /admin/v1
    # together, on rate_limit_storage; then 429 for that address (0: not throttled)
    auth_failures_per_minute: int = Field(30, ge=0)
    public_base_url: str = "http://localhost:8000"
    development: bool = False  # allows http:// webhook URLs on loopback
    webhook_worker: bool = True  # deliver webhooks from every serve process
    # seconds between a worker's looks at the outbox when nothing woke it: NOTIFY wakes it at
    # once, so this only bounds how late a delivery can be while its LISTEN connection is down
    webhook_poll_interval: float = Field(1.0, gt=0)
    pool_min_size: int = Field(2, ge=1)
    pool_max_size: int = Field(10, ge=1)
    statement_timeout: float = Field(60.0, ge=0)  # seconds a statement may run (0: no limit)
    log_level: str = "info"
    log_format: Literal["text", "json"] = "text"
    # Prometheus metrics: "main" serves /metrics on the main port behind the admin token,
    # "port" on metrics_port (no token: keep that port private), "off" not at all
    metrics: Literal["main", "port", "off"] = "main"
    metrics_port: int = Field(9464, ge=1, le=65535)
    metrics_dir: Path | None = None  # set by `serve --workers N`: the workers' shared metric files
    tracing: bool = False  # OpenTelemetry (the `tracing` extra), configured by the OTEL_* variables
    shutdown_timeout: float = Field(20.0, ge=0)  # seconds in-flight requests get after SIGTERM
    database_wait: float = Field(30.0, ge=0)  # seconds start-up waits for the database to accept
    # seconds one request may take in all, its database waits included (client side, so a frozen
    # server cannot hold it either); past it: the dialect's 503 with Retry-After. 0: no limit
    request_timeout: float = Field(15.0, ge=0)
    # CIDRs of internal webhook receivers let through the address checks (core/addresses.py)
    webhook_allow_cidrs: list[str] = []
    # Fernet keys sealing secrets at rest, newest first (gateway/keyring.py for when it is empty)
    encryption_keys: list[str] = Field(default=[], repr=False)
    # bytes a request body may have, in every dialect and the operator API (gateway.limits):
    # a declared Content-Length over it is refused before the body is read, a streamed body
    # as soon as it goes over
    max_body_bytes: int = Field(1_000_000, ge=1)
    # seconds a client may leave its body unfinished without sending anything: then answered
    # and the connection dropped. 0: no limit of its own (request_timeout still bounds it)
    body_timeout: float = Field(10.0, ge=0)
    dialects: Dialects = Dialects()

    @field_validator("public_base_url")
    @classmethod
    def _public_base_url(cls, value: str) -> str:
        # it becomes part of SQL text (a quoted literal in projections: core.projection.sql_text)
        # and of every public URL, so only a plain http(s) URL is accepted
        if not value.startswith(("http://", "https://")) or any(c in value for c in URL_FORBIDDEN):
            raise ValueError("must be an http:// or https:// URL without quotes, backslashes or spaces")
        return value

    @field_validator("webhook_allow_cidrs", "encryption_keys", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value  # one value in the environment has no comma

    @field_validator("webhook_allow_cidrs")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        for cidr in value:
            ipaddress.ip_network(cidr, strict=False)  # ValueError names the bad one
        return value

    @field_validator("encryption_keys")
    @classmethod
    def _keys(cls, value: list[str]) -> list[str]:
        Vault(value)  # ValueError says what a key looks like
        return value

    @field_validator("admin_token")
    @classmethod
    def _admin_token(cls, value: str | None) -> str | None:
        # the operator API's one credential: long enough that guessing it is hopeless
        if value and len(value) < ADMIN_TOKEN_MIN_LENGTH:
            raise ValueError(f"must be at least {ADMIN_TOKEN_MIN_LENGTH} characters"
                             " (e.g. `openssl rand -hex 24`)")
        return value or None

    def dialect(self, name: str) -> DialectSettings:
        settings: DialectSettings = getattr(self.dialects, name)
        return settings


class ConfigError(Exception):
    pass


def _nest(flat: Mapping[str, str]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for key, value in flat.items():
        node = tree
        *parents, leaf = key.lower().split("__")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = _env_value(value)
    return tree


def _env_value(value: str) -> Any:
    if "," in value and not value.startswith(("postgres", "redis", "http")):
        return [v.strip() for v in value.split(",") if v.strip()]
    return value


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_settings(
    path: Path | None = None, environ: Mapping[str, str] | None = None, **overrides: Any
) -> Settings:
    """Build the settings from the TOML file, the environment, then explicit overrides."""
    env = os.environ if environ is None else environ
    if SETTINGS_ENV in env and path is None and not overrides:
        return Settings.model_validate_json(env[SETTINGS_ENV])
    path = path or (Path(env["TICKETGATE_CONFIG"]) if "TICKETGATE_CONFIG" in env else None)
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config {path}: {exc}") from exc
    elif Path("ticketgate.toml").exists():
        data = tomllib.loads(Path("ticketgate.toml").read_text())
    env_tree = _nest({k[len(ENV_PREFIX):]: v for k, v in env.items()
                      if k.startswith(ENV_PREFIX) and k not in ("TICKETGATE_CONFIG", SETTINGS_ENV)})
    if env.get("DATABASE_URL"):
        env_tree["database_url"] = env["DATABASE_URL"]
    data = _merge(_merge(data, env_tree), {k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"invalid setting {where}: {first['msg']}") from None
