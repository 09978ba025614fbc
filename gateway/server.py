"""Running the app under uvicorn, with one or many worker processes.

Logging is set up here, once, in the chosen format (gateway.logs); uvicorn's access log is off,
since the app's outer layer writes one line per request itself. With several workers, or with
metrics on a port of their own, the workers write their metrics to files in a fresh folder
(prometheus-client's multiprocess mode), and this process serves the port from them.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import sys
import tempfile
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn

from gateway import logs
from gateway.config import SETTINGS_ENV, Settings
from gateway.metrics import MULTIPROC_ENV
from gateway.runtime import wait_for_database


class PortInUse(Exception):
    pass


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    sys.exit(0)


def check_port(host: str, port: int) -> None:
    """Refuse early when the port is taken (before ``--demo`` touches any key)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds it
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise PortInUse(f"{host}:{port} is already in use (is another ticketgate running?): {exc}") from None


def metrics_folder(settings: Settings) -> Settings:
    """Settings with a fresh multiprocess metrics folder, when the workers need to share one."""
    if settings.metrics == "off" or (settings.workers == 1 and settings.metrics == "main"):
        return settings
    folder = Path(tempfile.mkdtemp(prefix="ticketgate-metrics-"))
    os.environ[MULTIPROC_ENV] = str(folder)  # read by prometheus-client when the workers import it
    return settings.model_copy(update={"metrics_dir": folder})


def serve_metrics_port(settings: Settings) -> None:
    """``metrics = "port"``: this process serves the workers' summed metrics on their own port."""
    from prometheus_client import start_http_server

    from gateway.metrics import Metrics

    assert settings.metrics_dir is not None
    start_http_server(settings.metrics_port, settings.host, registry=Metrics.files_registry(settings.metrics_dir))


def serve(settings: Settings) -> None:
    """Serve until interrupted. Workers get the same settings through the environment.

    On SIGTERM uvicorn stops accepting, lets in-flight requests finish for up to
    ``shutdown_timeout`` seconds, then runs the app's shutdown (webhook worker, pool). It
    re-raises the signal that stopped it once it has shut down; a Python-level SIGTERM handler
    turns that into a normal exit, so atexit hooks run (the embedded PostgreSQL is stopped by
    the last process using it). It first waits for the database (``database_wait``), so a
    server started beside a PostgreSQL still starting comes up once that one accepts.
    """
    logs.configure(settings.log_level, settings.log_format)
    if settings.database_url:  # once, here, for every worker (raises DatabaseUnavailable)
        asyncio.run(wait_for_database(settings, settings.database_url))
    signal.signal(signal.SIGTERM, _exit_cleanly)
    settings = metrics_folder(settings)
    common: dict[str, Any] = {"host": settings.host, "port": settings.port, "log_level": settings.log_level,
              "proxy_headers": True, "access_log": False, "log_config": logs.uvicorn_log_config(),
              "timeout_graceful_shutdown": settings.shutdown_timeout}
    try:
        if settings.metrics == "port":
            serve_metrics_port(settings)
        if settings.workers == 1:
            from gateway.app import create_app

            uvicorn.run(create_app(settings), **common)
            return
        os.environ[SETTINGS_ENV] = settings.model_dump_json()
        uvicorn.run("gateway.app:create_app", factory=True, workers=settings.workers, **common)
    finally:
        if settings.metrics_dir is not None:
            shutil.rmtree(settings.metrics_dir, ignore_errors=True)
