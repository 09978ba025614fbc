"""Running the app under uvicorn, with one or many worker processes."""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

import uvicorn

from gateway.config import SETTINGS_ENV, Settings


def _exit_cleanly(signum: int, frame: FrameType | None) -> None:
    sys.exit(0)


def serve(settings: Settings) -> None:
    """Serve until interrupted. Workers get the same settings through the environment.

    uvicorn re-raises the signal that stopped it once it has shut down; a Python-level
    SIGTERM handler turns that into a normal exit, so atexit hooks run (the embedded
    PostgreSQL is stopped by the last process using it).
    """
    signal.signal(signal.SIGTERM, _exit_cleanly)
    # the access log is written at INFO: above that level uvicorn would still call it per request
    access_log = settings.log_level.lower() in ("trace", "debug", "info")
    common = {"host": settings.host, "port": settings.port, "log_level": settings.log_level,
              "proxy_headers": True, "access_log": access_log}
    if settings.workers == 1:
        from gateway.app import create_app

        uvicorn.run(create_app(settings), **common)  # type: ignore[arg-type]
        return
    os.environ[SETTINGS_ENV] = settings.model_dump_json()
    uvicorn.run("gateway.app:create_app", factory=True, workers=settings.workers, **common)  # type: ignore[arg-type]
