"""Start-up waits for the database: `serve` pointed at a port where nothing accepts yet logs one line
per attempt, and comes up once a PostgreSQL answers there; with no database it gives up after
``database_wait`` with one clear line.

The "PostgreSQL that starts later" is a TCP proxy of the test's own on a free loopback port,
opened when the test says so and forwarding to the suite's server (never the machine's server
restarted: that one is shared).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pytest

from tests.ops.procs import free_port, process_env, running, until_ready

ATTEMPT = re.compile(r"database not ready \(attempt (\d+): ")


class Proxy:
    """Listens on ``port`` once ``open()`` is called, and pipes every connection to the server."""

    def __init__(self, dsn: str, port: int) -> None:
        parts = urlsplit(dsn)
        host = parse_qs(parts.query).get("host", [parts.hostname or "localhost"])[0]
        server_port = parts.port or 5432
        self.target = (f"{host}/.s.PGSQL.{server_port}", None) if host.startswith("/") else (host, server_port)
        self.port = port
        self.server: asyncio.Server | None = None
        self.pipes: set[asyncio.Task[None]] = set()
        # the DSN a client uses to reach the server through the proxy
        netloc = f"{parts.username or ''}{':' + parts.password if parts.password else ''}@127.0.0.1:{port}"
        self.dsn = urlunsplit((parts.scheme, netloc, parts.path, "", ""))

    async def open(self) -> None:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        path, port = self.target
        if port is None:
            up_reader, up_writer = await asyncio.open_unix_connection(path)
        else:
            up_reader, up_writer = await asyncio.open_connection(path, port)
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.get_running_loop().create_task(self._pipe(source, sink))
            self.pipes.add(task)
            task.add_done_callback(self.pipes.discard)

    @staticmethod
    async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        except OSError:
            pass
        finally:
            sink.close()

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for task in list(self.pipes):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


@pytest.fixture
async def proxy(fresh_dsn: str) -> AsyncIterator[Proxy]:
    p = Proxy(fresh_dsn, free_port())
    yield p
    await p.close()


def attempts(lines: list[str]) -> list[int]:
    return [int(m.group(1)) for line in lines if (m := ATTEMPT.search(line))]


async def test_serve_waits_for_the_database_then_comes_up(proxy: Proxy, tmp_path: Path) -> None:
    port = free_port()
    env = process_env(proxy.dsn, tmp_path / "data", port=port, database_wait=30, webhook_worker=False)
    with running(["serve"], env, tmp_path) as proc:
        while len(attempts(proc.lines)) < 3:  # refused three times (0.25 + 0.5 s of backoff)
            assert proc.popen.poll() is None, proc.output
            await asyncio.sleep(0.05)
        await proxy.open()  # the database now accepts
        await until_ready(proc, f"http://127.0.0.1:{port}")
        seen = attempts(proc.lines)
        proc.terminate()
        assert await proc.exit_code(10) == 0
    assert seen == list(range(1, len(seen) + 1)), "one line per attempt, numbered"
    assert 3 <= len(seen) <= 5, seen
    assert "Traceback" not in proc.output, proc.output


async def test_serve_gives_up_after_database_wait_with_one_clear_line(tmp_path: Path) -> None:
    dsn = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"  # nothing listens there
    env = process_env(dsn, tmp_path / "data", port=free_port(), database_wait=1)
    with running(["serve"], env, tmp_path) as proc:
        code = await proc.exit_code(15)
    assert code != 0
    assert "Traceback" not in proc.output, proc.output
    errors = [line for line in proc.lines if line.startswith("error:")]
    assert len(errors) == 1 and "did not accept connections within database_wait (1s" in errors[0], proc.output
    assert 2 <= len(attempts(proc.lines)) <= 4, proc.output
    assert len(proc.lines) == len(attempts(proc.lines)) + 1, proc.output  # nothing else: no storm
