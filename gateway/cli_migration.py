"""``ticketgate record``, ``import``, ``replay`` and ``shadow``: the migration toolkit's commands.

``register(main)`` adds them to the ``ticketgate`` group. The commands use the group's
context object (``ctx.obj``: settings, database, ``--json`` output) without importing the
CLI module, so this module can be registered from anywhere in it.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import asyncpg
import click
import httpx

from dialects import registry
from gateway.migration.importer import ImportFailed
from gateway.migration.record import check_url
from gateway.migration.run import id_map, import_box_office, replay_capture
from gateway.migration.writes import check_test_key

DIALECT = click.Choice(registry.NAMES)
MODE = click.Choice(["live", "test"])
SECRET_HELP = ("Secret for the HMAC pseudonyms of personal data. Give replay the same one to compare personal "
               "fields; without it replay compares only their presence. Default: random, never stored.")


def fail(message: str) -> None:
    click.echo(f"error: {message.splitlines()[0] if message else 'failed'}", err=True)
    sys.exit(2)


def listen_address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise click.BadParameter("expected HOST:PORT, for example 127.0.0.1:8100", param_hint="--listen")
    return host or "127.0.0.1", int(port)


@click.command("record")
@click.option("--upstream", required=True, help="Base URL of the API to record (the vendor, or a ticketgate).")
@click.option("--dialect", type=DIALECT, required=True, help="The upstream's API dialect.")
@click.option("--listen", default="127.0.0.1:8100", show_default=True, help="HOST:PORT the proxy listens on.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True, help="JSON Lines capture.")
@click.option("--redact-secret", help=SECRET_HELP)
def record_command(upstream: str, dialect: str, listen: str, out: Path, redact_secret: str | None) -> None:
    """Proxy clients to UPSTREAM unchanged and append redacted request/response pairs to OUT."""
    import uvicorn

    from gateway.migration.record import recording_app
    from gateway.migration.redact import Redactor

    host, port = listen_address(listen)
    try:
        check_url(upstream, "--upstream")
        app = recording_app(upstream, dialect, out, Redactor(redact_secret))
    except (ValueError, OSError) as exc:
        fail(str(exc))
        return
    click.echo(f"recording {dialect} traffic for {upstream} on http://{host}:{port} into {out}", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


@click.command("import")
@click.option("--from", "source", type=DIALECT, required=True, help="The vendor's API dialect.")
@click.option("--base-url", required=True, help="The vendor API's base URL.")
@click.option("--key", required=True, help="An API key of the vendor's box office.")
@click.option("--box-office", required=True, help="Slug of the ticketgate box office to import into.")
@click.option("--mode", type=MODE, default="live", show_default=True, help="Import as live or test data.")
@click.option("--restart", is_flag=True, help="Ignore the checkpoints of an interrupted import.")
@click.option("--no-progress", is_flag=True, help="No progress bars.")
@click.option("--follow", is_flag=True, help="After the first pass, keep importing what changes (Ctrl-C stops; "
                                            "the next --follow resumes from its checkpoint).")
@click.option("--interval", type=click.FloatRange(0.1), default=30.0, show_default=True,
              help="Seconds between follow passes.")
@click.pass_obj
def import_command(obj: Any, source: str, base_url: str, key: str, box_office: str, mode: str, restart: bool,
                   no_progress: bool, follow: bool, interval: float) -> None:
    """Pull events, ticket types, orders and issued tickets from a vendor into a box office.

    Re-running updates what was imported before; an interrupted run resumes where it stopped.
    """
    try:
        check_url(base_url, "--base-url")
    except ValueError as exc:
        fail(str(exc))
    if follow:
        _follow(obj, source, base_url, key, box_office, mode == "live", interval, not no_progress)
        return

    async def op(conn: asyncpg.Connection) -> dict[str, Any]:
        return await _vendor_errors(source, import_box_office(conn, source, base_url, key, box_office,
                                                             livemode=mode == "live", restart=restart,
                                                             progress=not no_progress))

    result = obj.run(op)
    if "error" in result:
        fail(result["error"])
    obj.emit(result)


async def _vendor_errors(source: str, work: Awaitable[dict[str, Any]]) -> dict[str, Any]:
    """The import's result, or ``{"error": ...}`` saying what went wrong with the vendor in plain words."""
    try:
        return await work
    except ImportFailed as exc:
        return {"error": str(exc)}
    except httpx.HTTPStatusError as exc:
        return {"error": f"the vendor answered {exc.response.status_code} for {exc.request.url.path}; "
                         "run the same command again to resume"}
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return {"error": f"cannot reach the vendor ({type(exc).__name__}); run the same command again to resume"}
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return {"error": f"the vendor's answer is not a {source} list ({type(exc).__name__}: {exc}); "
                         "check --from and --base-url"}


def _follow(obj: Any, source: str, base_url: str, key: str, box_office: str, livemode: bool, interval: float,
            progress: bool) -> None:
    """Import, then follow until Ctrl-C, with a live status line on stderr."""
    from gateway.migration.run import follow_box_office

    last: dict[str, Any] = {}
    tty = sys.stderr.isatty()

    def show(status: Any) -> None:
        last.update(status.as_dict())
        click.echo(("\r\x1b[K" if tty else "") + status.line(), err=True, nl=not tty)

    async def op(conn: asyncpg.Connection) -> dict[str, Any]:
        return await _vendor_errors(source, follow_box_office(conn, source, base_url, key, box_office,
                                                              interval=interval, livemode=livemode,
                                                              progress=progress, show=show))

    try:
        result = obj.run(op)
    except KeyboardInterrupt:
        click.echo(("\n" if tty else "") + "stopped; the next import --follow resumes from the checkpoint", err=True)
        obj.emit({"box_office": box_office, "source": source, "stopped": True, **last})
        return
    fail(result.get("error", "the follow stopped"))


@click.command("replay")
@click.argument("capture", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--target", required=True, help="Base URL of the API to replay against.")
@click.option("--as", "as_dialect", type=DIALECT, help="Translate every request into this dialect.")
@click.option("--key", required=True, help="An API key of the target (in the target's dialect).")
@click.option("--report", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="The HTML report; its JSON summary is written next to it (.json).")
@click.option("--box-office", help="Box office the capture's box office was imported into: its id map "
                                   "translates ids (read from this installation's database).")
@click.option("--mode", type=MODE, default="live", show_default=True)
@click.option("--redact-secret", help=SECRET_HELP)
@click.option("--replay-writes", is_flag=True, help="Send POST/PATCH/DELETE too (KEY must be a test-mode key); "
                                                    "ids they create are mapped for the requests after them.")
@click.option("--fail-on-difference", is_flag=True, help="Exit 1 unless every replayed request matched.")
@click.pass_obj
def replay_command(obj: Any, capture: Path, target: str, as_dialect: str | None, key: str, report: Path,
                   box_office: str | None, mode: str, redact_secret: str | None, replay_writes: bool,
                   fail_on_difference: bool) -> None:
    """Replay CAPTURE against TARGET (optionally as another dialect) and write a comparison report."""
    try:
        check_url(target, "--target")
    except ValueError as exc:
        fail(str(exc))
    lookup = obj.run(lambda conn: id_map(conn, box_office, _dialect_of(capture), mode == "live")) \
        if box_office else None
    try:
        summary = asyncio.run(replay_capture(capture, target, key, report, as_dialect=as_dialect,
                                             redact_secret=redact_secret, id_lookup=lookup, writes=replay_writes))
    except ValueError as exc:
        fail(str(exc))
        return
    obj.emit(_brief(summary), _human)
    totals = summary["totals"]
    if fail_on_difference and totals["matches"] != totals["replayed"]:
        sys.exit(1)


@click.command("shadow")
@click.option("--primary", required=True, help="Base URL of the API that answers (the old vendor).")
@click.option("--dialect", type=DIALECT, required=True, help="The primary's API dialect.")
@click.option("--candidate", required=True, help="Base URL of the API compared with it (ticketgate).")
@click.option("--as", "as_dialect", type=DIALECT, help="The candidate's dialect (default: the primary's).")
@click.option("--key", required=True, help="A key of the candidate, for the mirrored reads.")
@click.option("--box-office", required=True, help="Box office the primary's was imported into: its id map "
                                                  "translates ids (reloaded every --refresh-ids seconds).")
@click.option("--mode", type=MODE, default="live", show_default=True, help="Which import's id map to use.")
@click.option("--listen", default="127.0.0.1:8100", show_default=True, help="HOST:PORT the proxy listens on.")
@click.option("--report", type=click.Path(path_type=Path, dir_okay=False), default=Path("shadow-report.html"),
              show_default=True, help="The HTML report written on stop; its JSON summary next to it.")
@click.option("--mirror-writes", "test_key", help="A test-mode key of the candidate: writes are mirrored with it.")
@click.option("--redact-secret", help=SECRET_HELP)
@click.option("--queue-size", type=click.IntRange(1, 1_000_000), default=1000, show_default=True,
              help="Exchanges waiting for the candidate; past it, mirrors are dropped and counted.")
@click.option("--max-in-flight", type=click.IntRange(1, 1000), default=8, show_default=True,
              help="Mirrored reads at once (mirrored writes go one at a time, in order).")
@click.option("--refresh-ids", type=click.FloatRange(0.1), default=30.0, show_default=True)
@click.pass_obj
def shadow_command(obj: Any, primary: str, dialect: str, candidate: str, as_dialect: str | None, key: str,
                   box_office: str, mode: str, listen: str, report: Path, test_key: str | None,
                   redact_secret: str | None, queue_size: int, max_in_flight: int, refresh_ids: float) -> None:
    """Proxy integrations to PRIMARY unchanged and compare the candidate's answers, live (see /_shadow/)."""
    import uvicorn

    from gateway.migration.run import RefreshingIds, shadow_proxy
    from gateway.migration.shadow import Limits
    from gateway.runtime import resolve_dsn

    host, port = listen_address(listen)
    try:
        check_url(primary, "--primary")
        check_url(candidate, "--candidate")
        if test_key is not None:
            check_test_key(as_dialect or dialect, test_key)
    except ValueError as exc:
        fail(str(exc))
    livemode = mode == "live"

    async def first(conn: asyncpg.Connection) -> Any:
        if not await conn.fetchval("SELECT 1 FROM box_offices WHERE slug = $1", box_office):
            return None
        return await id_map(conn, box_office, dialect, livemode)

    lookup = obj.run(first)
    if lookup is None:
        fail(f"no box office with slug {box_office!r}")
    ids = RefreshingIds(lookup)
    dsn = resolve_dsn(obj.settings())

    async def load() -> Any:
        conn = await asyncpg.connect(dsn)
        try:
            return await id_map(conn, box_office, dialect, livemode)
        finally:
            await conn.close()

    ids.load = load
    try:
        app = shadow_proxy(primary, dialect, candidate, key, report, as_dialect=as_dialect, ids=ids,
                           refresh_ids=refresh_ids, test_key=test_key, redact_secret=redact_secret,
                           limits=Limits(queue=queue_size, in_flight=max_in_flight))
    except ValueError as exc:
        fail(str(exc))
        return
    click.echo(f"shadowing {dialect} at {primary} with {as_dialect or dialect} at {candidate} on "
               f"http://{host}:{port} (live results: /_shadow/)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _dialect_of(capture: Path) -> str:
    from gateway.migration.record import read_capture

    try:
        return str(read_capture(capture)[0]["dialect"])
    except (ValueError, KeyError) as exc:
        fail(str(exc))
        raise


def _brief(summary: dict[str, Any]) -> dict[str, Any]:
    keep = ("requests", "replayed", "matches", "with_differences", "no_equivalent")
    return {"report": summary["report"], "json_summary": summary["json_summary"], "totals": summary["totals"],
            "endpoints": {label: {k: e[k] for k in keep} for label, e in summary["endpoints"].items()}}


def _human(brief: dict[str, Any]) -> str:
    t = brief["totals"]
    lines = [f"{t['requests']} requests: {t['replayed']} replayed, {t['matches']} matched, "
             f"{t['with_differences']} with differences, {t['status_mismatches']} status mismatches, "
             f"{t['no_equivalent']} without equivalent, {t['target_failures']} target failures",
             f"report: {brief['report']}",
             f"summary: {brief['json_summary']}"]
    return "\n".join(lines)


def register(main: click.Group) -> None:
    for command in (record_command, import_command, replay_command, shadow_command):
        main.add_command(command)
