"""Profile one scenario on a one-worker gateway with py-spy while wrk loads it.

``python -m tests.bench.profile ts_event [--seconds 15]`` uses the seeded benchmark database
(run ``make bench`` once first), prints the functions with the largest inclusive share of
samples, and keeps the collapsed stacks (flamegraph input) in /tmp.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

from tests.bench import load as loadgen
from tests.bench.run import Options, prepare, server_dsn
from tests.bench.servers import BIN, running, start_gateway


def top(collapsed: Path, limit: int) -> list[tuple[float, str]]:
    inclusive: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        total += int(count)
        for frame in set(stack.split(";")):
            inclusive[frame] += int(count)
    return [(100 * n / total, frame) for frame, n in inclusive.most_common(limit)] if total else []


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("scenario")
    p.add_argument("--seconds", type=int, default=15)
    p.add_argument("--top", type=int, default=45)
    a = p.parse_args()
    opts = Options(server_dsn=server_dsn(), only=(a.scenario,))
    dsn, _, chosen, _ = asyncio.run(prepare(opts))
    out = Path(tempfile.gettempdir()) / f"tg-profile-{a.scenario}.txt"
    with tempfile.TemporaryDirectory() as tmp, running(start_gateway("gateway", dsn, 1, Path(tmp))) as (gw,):
        load = loadgen.Load()
        loadgen.run(load, gw.url + chosen[0].path, chosen[0], 2)  # warm
        spy = [str(BIN / "py-spy"), "record", "--pid", str(gw.proc.pid), "--duration", str(a.seconds),
               "--format", "raw", "--output", str(out), "--rate", "200", "--nonblocking"]
        thread = threading.Thread(target=subprocess.run, args=(spy,), kwargs={"capture_output": True})
        thread.start()
        result = loadgen.run(load, gw.url + chosen[0].path, chosen[0], a.seconds)
        thread.join()
    print(f"{a.scenario}: {result['rps']:.0f} req/s under py-spy; stacks in {out}")
    for share, frame in top(out, a.top):
        print(f"{share:6.1f}%  {frame}")


if __name__ == "__main__":
    sys.exit(main())
