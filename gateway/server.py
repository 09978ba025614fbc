"""Running the app under uvicorn, with one or many worker processes."""

from __future__ import annotations

import uvicorn

from gateway.config import SETTINGS_ENV, Settings


def serve(settings: Settings) -> None:
    """Serve until interrupted. Workers get the same settings through the environment."""
    common = {"host": settings.host, "port": settings.port, "log_level": settings.log_level,
              "proxy_headers": True}
    if settings.workers == 1:
        from gateway.app import create_app

        uvicorn.run(create_app(settings), **common)  # type: ignore[arg-type]
        return
    import os

    os.environ[SETTINGS_ENV] = settings.model_dump_json()
    uvicorn.run("gateway.app:create_app", factory=True, workers=settings.workers, **common)  # type: ignore[arg-type]
