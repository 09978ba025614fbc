"""A small TCP proxy between the servers and PostgreSQL: a delay each way, and a round-trip count.

``Proxy(upstream_dsn, delay_s)`` listens on 127.0.0.1 and forwards every connection to the
database of the DSN (TCP, or the Unix socket an embedded server uses). Each chunk read from
either side is written to the other ``delay_s`` after it arrived, in arrival order, the way a
managed database across a network adds latency: a statement's round trip costs twice the
delay more. Threads, not asyncio: an event loop's timers on Linux round a 0.5 ms wait up to
1 ms (epoll's millisecond timeout), ``time.sleep`` does not.

It also counts round trips: a turn begins each time the client sends after the server last
spoke (or first) on a connection, so pipelined messages written together count once, and a
statement asyncpg must prepare first (Parse/Describe, then Bind/Execute) counts twice.

Bounded: it stops by itself after ``max_seconds``, and the command-line form (``python -m
tests.bench.proxy``, used by the benchmark) also when its parent process is gone.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import queue
import socket
import sys
import threading
import time
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

CHUNK = 65536


def upstream_address(dsn: str) -> tuple[int, str | tuple[str, int]]:
    """The socket family and address of the server a PostgreSQL DSN names."""
    parts = urlsplit(dsn)
    query = parse_qs(parts.query)
    host = query.get("host", [parts.hostname or "127.0.0.1"])[0]
    port = int(query.get("port", [parts.port or 5432])[0])
    if host.startswith("/"):
        return socket.AF_UNIX, f"{host}/.s.PGSQL.{port}"
    return socket.AF_INET, (host, port)


def via(dsn: str, port: int) -> str:
    """The same DSN through a proxy listening on 127.0.0.1:``port``."""
    parts = urlsplit(dsn)
    query = {k: v for k, v in parse_qs(parts.query).items() if k not in ("host", "port")}
    user = parts.netloc.rpartition("@")[0]
    netloc = f"{user}@127.0.0.1:{port}" if user else f"127.0.0.1:{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query, doseq=True), parts.fragment))


class Proxy:
    def __init__(self, upstream_dsn: str, delay_s: float = 0.0, port: int = 0, max_seconds: float = 3600) -> None:
        self.family, self.address = upstream_address(upstream_dsn)
        self.delay_s = delay_s
        self.turns = 0
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._stopped = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", port))
        self.port: int = self._listener.getsockname()[1]
        self._deadline = time.monotonic() + max_seconds
        threading.Thread(target=self._accept, daemon=True).start()
        threading.Thread(target=self._expire, daemon=True).start()

    def wait(self, timeout: float) -> bool:
        """True once stopped (within ``timeout`` seconds)."""
        return self._stopped.wait(timeout)

    def dsn(self, dsn: str) -> str:
        return via(dsn, self.port)

    def _expire(self) -> None:
        self._stopped.wait(max(0.0, self._deadline - time.monotonic()))
        self.stop()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:  # the listener was closed: stopped
                return
            server = socket.socket(self.family, socket.SOCK_STREAM)
            try:
                server.connect(self.address)
            except OSError:  # the database refused: so does the proxy, to this client only
                _close(server)
                _close(client)
                continue
            for sock in (client, server):
                if sock.family == socket.AF_INET:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._sockets += [client, server]
            last = [""]  # who spoke last on this connection: "client" or "server"
            self._pipe(client, server, last, "client")
            self._pipe(server, client, last, "server")

    def _pipe(self, src: socket.socket, dst: socket.socket, last: list[str], side: str) -> None:
        chunks: queue.SimpleQueue[tuple[float, bytes] | None] = queue.SimpleQueue()
        threading.Thread(target=self._read, args=(src, dst, chunks, last, side), daemon=True).start()
        if self.delay_s:
            threading.Thread(target=self._write, args=(dst, chunks), daemon=True).start()

    def _read(self, src: socket.socket, dst: socket.socket, chunks: queue.SimpleQueue[tuple[float, bytes] | None],
              last: list[str], side: str) -> None:
        while True:
            try:
                data = src.recv(CHUNK)
            except OSError:
                data = b""
            if not data:
                break
            if side == "client" and last[0] != "client":
                with self._lock:
                    self.turns += 1
            last[0] = side
            if self.delay_s:
                chunks.put((time.monotonic() + self.delay_s, data))
            elif not _send(dst, data):
                break
        if self.delay_s:
            chunks.put(None)
        else:
            _close(dst)

    @staticmethod
    def _write(dst: socket.socket, chunks: queue.SimpleQueue[tuple[float, bytes] | None]) -> None:
        while (item := chunks.get()) is not None:
            due, data = item
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            if not _send(dst, data):
                break
        _close(dst)

    def stop(self) -> None:
        self._stopped.set()
        _close(self._listener)
        with self._lock:
            for sock in self._sockets:
                _close(sock)

    def __enter__(self) -> Proxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _send(sock: socket.socket, data: bytes) -> bool:
    try:
        sock.sendall(data)
        return True
    except OSError:
        return False


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--upstream", required=True, help="the PostgreSQL DSN to forward to")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--delay-ms", type=float, default=0.5, help="added to each chunk, each way")
    p.add_argument("--max-seconds", type=float, default=3600)
    a = p.parse_args(argv)
    proxy = Proxy(a.upstream, a.delay_ms / 1000, a.port, a.max_seconds)
    print(f"proxy listening on 127.0.0.1:{proxy.port}", flush=True)
    parent = os.getppid()
    while not proxy.wait(1.0):
        if os.getppid() != parent:  # the benchmark is gone: so is the reason to run
            proxy.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
