"""Key revocation takes effect at once in every process, including ones that cached the key."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from core.keys import create_key
from dialects import registry

CHILD = textwrap.dedent("""
    import asyncio, sys
    from core.db import create_pool
    from core.keys import KeyStore

    async def main(dsn, secret):
        pool = await create_pool(dsn, min_size=1, max_size=2)
        store = KeyStore(pool, dsn)
        await store.start()
        first = await store.authenticate(secret, "equaticket")
        print("ok" if first else "refused", store.caching, len(store._cache), flush=True)
        loop = asyncio.get_running_loop()
        while (line := (await loop.run_in_executor(None, sys.stdin.readline)).strip()) == "check":
            again = await store.authenticate(secret, "equaticket")
            print("ok" if again else "refused", flush=True)
        await store.close()
        await pool.close()

    asyncio.run(main(sys.argv[1], sys.argv[2]))
""")


def _env(dsn: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": dsn, "PYTHONPATH": os.getcwd()}


async def test_revocation_reaches_a_process_that_cached_the_key(conn, box_office, database_dsn):
    row, secret = await create_key(conn, box_office["id"], registry.key_rules("equaticket"))
    child = subprocess.Popen([sys.executable, "-c", CHILD, database_dsn, secret], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, env=_env(database_dsn))
    try:
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline().split() == ["ok", "True", "1"]  # authenticated and cached
        child.stdin.write("check\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "ok"  # served from its cache
        cli = os.path.join(os.path.dirname(sys.executable), "ticketgate")
        revoked = subprocess.run([cli, "--json", "keys", "revoke", f"key_{row['id']}"], capture_output=True,
                                 text=True, env=_env(database_dsn), timeout=60)
        assert revoked.returncode == 0, revoked.stderr
        child.stdin.write("check\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "refused"
        child.stdin.write("stop\n")
        child.stdin.flush()
        assert child.wait(timeout=30) == 0
    finally:
        if child.poll() is None:
            child.kill()
