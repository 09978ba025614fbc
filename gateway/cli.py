"""The ``ticketgate`` command line.

Every command that changes data validates first and exits non-zero with a one-line
reason when the input is bad, having written nothing. ``--json`` prints exactly one
JSON object on stdout.
"""

from __future__ import annotations

import asyncio
import secrets
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar, get_args

import asyncpg
import click
import orjson

from core.checkout import Checkout
from core.clock import SystemClock
from core.db import init_connection, migrate
from core.errors import CoreError
from core.models import Input, Mode, Plan, parse
from dialects import registry
from gateway import demo, operator
from gateway import operations as ops
from gateway import operator_series as series_ops
from gateway.config import ConfigError, Settings, load_settings
from gateway.keyring import data_dir_key
from gateway.runtime import DatabaseUnavailable, build_checkout, resolve_dsn

T = TypeVar("T")
R = TypeVar("R", bound=Input)
DIALECT_CHOICE = click.Choice(registry.NAMES)
MODE_CHOICE = click.Choice(get_args(Mode))
PLAN_CHOICE = click.Choice(get_args(Plan))
box_office_option = click.option("--box-office", required=True, help="Box office slug.")
mode_option = click.option("--mode", type=MODE_CHOICE, default="live")


class Context:
    def __init__(self, config: Path | None, as_json: bool, data_dir: Path | None) -> None:
        self.config = config
        self.as_json = as_json
        self.data_dir = data_dir

    def settings(self, **overrides: Any) -> Settings:
        try:
            return load_settings(self.config, data_dir=self.data_dir, **overrides)
        except ConfigError as exc:
            fail(str(exc))

    def run(self, op: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        """Run one operation on a connection to the configured database."""
        settings = self.settings()
        dsn = resolve_dsn(settings)

        async def main() -> T:
            conn = await asyncpg.connect(dsn)
            try:
                await migrate(conn)
                await init_connection(conn)
                return await op(conn)
            finally:
                await conn.close()

        try:
            return asyncio.run(main())
        except CoreError as exc:
            fail(exc.message)
        except (OSError, asyncpg.PostgresError) as exc:
            fail(f"database error: {exc}")

    def call(self, operation: ops.Operation[R], model: type[R], options: dict[str, Any]) -> None:
        """Validate the options into the operation's request (left-out ones: its defaults), run it, print."""
        try:
            request = parse(model, {k: v for k, v in options.items() if v is not None and v != ()})
        except CoreError as exc:
            fail(exc.message)
        self.emit(self.run(lambda conn: operation(conn, self.checkout(), request)))

    def checkout(self) -> Checkout:
        """This command's checkout: its order changes write webhook events, as the server's do."""
        return build_checkout(self.settings(), SystemClock())

    def emit(self, result: Any, human: Callable[[Any], str] | None = None) -> None:
        if self.as_json:
            payload = result if isinstance(result, dict) else {"data": result}
            click.echo(orjson.dumps(payload, default=str).decode())
        else:
            click.echo(human(result) if human else _human(result))


def fail(message: str) -> NoReturn:
    click.echo(f"error: {message.splitlines()[0] if message else 'failed'}", err=True)
    sys.exit(2)


def _human(result: Any) -> str:
    if isinstance(result, list):
        return "\n".join(_human(item) for item in result) or "(none)"
    if isinstance(result, dict):
        return "  ".join(f"{k}={v}" for k, v in result.items() if not isinstance(v, list | dict))
    return str(result)


pass_ctx = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False), help="TOML config file.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
@click.option("--data-dir", type=click.Path(path_type=Path, file_okay=False),
              help="Folder of the embedded PostgreSQL (default .ticketgate/, env TICKETGATE_DATA_DIR).")
@click.pass_context
def main(ctx: click.Context, config: Path | None, as_json: bool, data_dir: Path | None) -> None:
    """ticketgate: one ticketing core served as TicketSmart, Ticket Tailor and Equaticket.

    Without DATABASE_URL every command uses the embedded PostgreSQL in the data folder.
    """
    ctx.obj = Context(config, as_json, data_dir)


@main.command()
@click.option("--host", help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, help="Port (default 8000).")
@click.option("--workers", type=int, help="Worker processes (default 1).")
@click.option("--demo", "with_demo", is_flag=True, help="Seed the demo box office and print keys first.")
@pass_ctx
def serve(ctx: Context, host: str | None, port: int | None, workers: int | None, with_demo: bool) -> None:
    """Start the gateway (every enabled dialect, /healthz, /readyz, the admin API)."""
    from gateway.server import PortInUse, check_port
    from gateway.server import serve as run_server

    settings = ctx.settings(host=host, port=port, workers=workers)
    try:
        check_port(settings.host, settings.port)  # before --demo revokes the running server's keys
    except PortInUse as exc:
        fail(str(exc))
    if not settings.database_url:  # start the embedded server once, here, and share it
        settings = embedded(settings, resolve_dsn)
    if with_demo:
        _print_demo(ctx, settings)
    try:
        run_server(settings)
    except DatabaseUnavailable as exc:
        fail(str(exc))


def embedded(settings: Settings, resolve: Callable[[Settings], str]) -> Settings:
    """The settings of a server on the embedded database, started once (``resolve``) and named
    by its URL for the workers; its secrets are sealed with the data folder's key (gateway.keyring),
    named here too, since the workers only see a database_url."""
    keys = settings.encryption_keys or [data_dir_key(settings.data_dir)]
    return settings.model_copy(update={"database_url": resolve(settings), "encryption_keys": keys})


@main.command("demo")
@pass_ctx
def demo_command(ctx: Context) -> None:
    """Seed the demo box office (when missing) and print a fresh key and curl line per dialect."""
    _print_demo(ctx, ctx.settings())


def _print_demo(ctx: Context, settings: Settings) -> None:
    async def op(conn: asyncpg.Connection) -> dict[str, Any]:
        office, created = await demo.seed(conn, ctx.checkout())
        secrets = await demo.fresh_keys(conn, office["id"])
        return {"box_office": office["slug"], "seeded": created, "keys": secrets}

    result = ctx.run(op)
    base = f"http://{settings.host}:{settings.port}"
    prefixes = {n: settings.dialect(n).prefix for n in result["keys"] if settings.dialect(n).enabled}
    result["curl"] = demo.curl_lines(base, prefixes, result["keys"])
    result["examples"] = demo.examples(base, prefixes, result["keys"])
    if ctx.as_json:
        ctx.emit(result)
        return
    click.echo(f"Demo box office '{result['box_office']}'" + (" seeded." if result["seeded"] else "."))
    for name, lines in result["examples"].items():
        click.echo(f"\n{name} key: {result['keys'][name]}" + "".join(f"\n  {line}" for line in lines))
    click.echo("")


@main.command("migrate")
@pass_ctx
def migrate_command(ctx: Context) -> None:
    """Apply schema.sql migrations to the configured database."""

    async def op(conn: asyncpg.Connection) -> dict[str, Any]:
        return {"schema_version": await migrate(conn)}

    ctx.emit(ctx.run(op))


# --- box offices ---------------------------------------------------------------------------

@main.group()
def boxoffice() -> None:
    """Create and list box offices."""


def operation(group: click.Group, name: str, run: ops.Operation[R], model: type[R], doc: str | None,
              *params: Callable[[Any], Any]) -> None:
    """Add the command ``group name`` running ``run``: its options and arguments (``params``, in
    the order of ``--help``) are named after ``model``'s fields, which they validate into."""

    def command(ctx: Context, **options: Any) -> None:
        ctx.call(run, model, options)

    decorated = pass_ctx(command)
    for param in reversed(params):
        decorated = param(decorated)
    group.command(name, help=doc)(decorated)


operation(boxoffice, "create", operator.create_box_office, ops.CreateBoxOffice, None,
          click.option("--name", required=True), click.option("--slug"),
          click.option("--plan", type=PLAN_CHOICE, default="free"), click.option("--currency", default="USD"),
          click.option("--accept-api-terms", "api_terms_accepted", is_flag=True,
                       help="Record that the API terms are accepted."),
          click.option("--payments-connected", is_flag=True, help="Mark payments as connected."))
operation(boxoffice, "update", operator.update_box_office, ops.UpdateBoxOffice, None,
          click.argument("box_office", metavar="SLUG"), click.option("--name"),
          click.option("--plan", type=PLAN_CHOICE), click.option("--currency"),
          click.option("--accept-api-terms/--no-accept-api-terms", "api_terms_accepted", default=None),
          click.option("--payments-connected/--no-payments-connected", default=None))
operation(boxoffice, "reset-test-data", operator.reset_test_data, ops.ResetTestData,
          "Delete the box office's test-mode data (events, orders, tickets, webhooks); live data stays.",
          click.argument("box_office", metavar="SLUG"))
operation(boxoffice, "list", operator.list_box_offices, ops.ListBoxOffices, None)


# --- keys -------------------------------------------------------------------------------------

@main.group()
def keys() -> None:
    """Issue, list and revoke API keys."""


operation(keys, "create", operator.create_key, ops.CreateKey,
          "Create a key. The secret is printed once and never stored.",
          box_office_option, click.option("--dialect", type=DIALECT_CHOICE, required=True),
          click.option("--scope", "scopes", multiple=True, help="A scope; repeat for several (default: all)."),
          mode_option, click.option("--name", default=""))
operation(keys, "list", operator.list_keys, ops.ListKeys, None, box_office_option)
operation(keys, "revoke", operator.revoke_key, ops.RevokeKey,
          "Revoke a key; every running process refuses it from its next request.", click.argument("key_id"))


# --- orders and tickets -------------------------------------------------------------------------

@main.group()
def orders() -> None:
    """Place and refund orders."""


operation(orders, "create", operator.create_order, ops.PlaceOrder,
          "Place an order through checkout (sale window, limits, stock) and issue its tickets.",
          box_office_option, click.option("--event", required=True, help="Event id (any dialect's form) or slug."),
          click.option("--ticket-type", "tickets", multiple=True, required=True, help="TYPE or TYPE:QTY; repeat."),
          click.option("--email", required=True), click.option("--name", default=""), mode_option,
          click.option("--access-code"),
          click.option("--product", "products", multiple=True, help="PRODUCT or PRODUCT:QTY; repeat."),
          click.option("--discount-code"), click.option("--voucher-code"))
operation(orders, "refund", operator.refund_order, ops.Refund,
          "Refund an order in full (voids its tickets) or in part.",
          box_office_option, click.argument("order", metavar="ORDER_ID"),
          click.option("--amount", type=click.IntRange(min=0), help="Minor units; default: all that is left."),
          mode_option)


@main.group()
def tickets() -> None:
    """Void and check in issued tickets."""


operation(tickets, "void", operator.void_ticket, ops.VoidTicket,
          "Void a ticket (id in any form, or barcode) and return its seat to stock.",
          box_office_option, click.argument("ticket"), mode_option)
operation(tickets, "checkin", operator.check_in, ops.CheckIn, "Check a ticket in (id in any form, or barcode).",
          box_office_option, click.argument("ticket"),
          click.option("--nonce", default=lambda: secrets.token_hex(8),  # drawn afresh for each check-in
                       help="Scanner-supplied id; the same nonce twice is one check-in."),
          mode_option)


# --- event series (gateway/operator_series.py) ---------------------------------------------------

@main.group()
def series() -> None:
    """Create event series, give them ticket types and occurrences, publish them."""


series_argument = click.argument("series", metavar="SERIES_ID")
operation(series, "create", series_ops.create_series, series_ops.CreateSeries,
          "Create a draft series (add ticket types and occurrences, then publish it).",
          box_office_option, click.option("--name", required=True), click.option("--description"),
          click.option("--currency", help="Default: the box office's."), click.option("--timezone"),
          click.option("--venue", "venue_name"), click.option("--postal-code"), click.option("--country"),
          click.option("--online", is_flag=True, default=None),
          click.option("--max-tickets-sold-per-occurrence", type=int, help="Cap over all ticket types of a date."),
          click.option("--tickets-available-at", help="ISO-8601; no order before it."),
          click.option("--tickets-available-at-message"),
          click.option("--tickets-unavailable-at", help="ISO-8601; no order from it on."),
          click.option("--tickets-unavailable-at-message"), mode_option)
operation(series, "add-ticket-type", series_ops.add_ticket_type, series_ops.AddSeriesTicketType,
          "Add a default ticket type (copied into every occurrence that still sells).",
          box_office_option, series_argument, click.option("--name", required=True),
          click.option("--price", type=int, default=0, help="Minor units."),
          click.option("--quantity", type=int, required=True, help="Stock of each occurrence."),
          click.option("--booking-fee", type=int), click.option("--max-per-order", type=int), mode_option)
operation(series, "add-occurrence", series_ops.add_occurrence, series_ops.AddOccurrence,
          "Add an occurrence (an event with the series' ticket types) starting at --starts-at (ISO-8601).",
          box_office_option, series_argument, click.option("--starts-at", required=True),
          click.option("--ends-at"), click.option("--hidden", is_flag=True, default=None),
          click.option("--unavailable", is_flag=True, default=None), mode_option)
operation(series, "publish", series_ops.publish_series, series_ops.PublishSeries,
          "Publish the series and its draft occurrences.", box_office_option, series_argument, mode_option)


# --- webhooks ----------------------------------------------------------------------------------

@main.command("worker")
@pass_ctx
def worker_command(ctx: Context) -> None:
    """Deliver webhooks only (for deployments that run workers apart from the API)."""
    from gateway import logs
    from gateway.runtime import run_worker

    settings = ctx.settings()
    logs.configure(settings.log_level, settings.log_format)
    dsn = resolve_dsn(settings)
    try:
        asyncio.run(run_worker(settings, dsn))
    except DatabaseUnavailable as exc:
        fail(str(exc))


@main.group()
def webhooks() -> None:
    """Inspect and re-send webhook deliveries."""


operation(webhooks, "deliveries", operator.list_deliveries, ops.ListDeliveries, "List recent deliveries, newest first.",
          box_office_option, click.option("--status", type=click.Choice(["pending", "succeeded", "failed"])),
          click.option("--limit", type=click.IntRange(1, 1000), default=50))
operation(webhooks, "resend", operator.resend_delivery, ops.ResendDelivery,
          "Queue a failed or delivered delivery for one more attempt now.",
          click.argument("delivery", metavar="DELIVERY_ID"))


# --- migration: record, import, replay (gateway/cli_migration.py) -----------------------------

from gateway.cli_migration import register as _register_migration  # noqa: E402  (after the group exists)

_register_migration(main)

from gateway.cli_offers import register as _register_offers  # noqa: E402

_register_offers(main)


# --- the global options, after any subcommand too -------------------------------------------

def _set_global(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    if value is None or value is False:
        return
    target = ctx.find_object(Context)
    if target is not None:
        setattr(target, str(param.name), value)


def _global_options() -> list[click.Option]:
    """``--config``, ``--json`` and ``--data-dir`` for a subcommand, where they mean what they mean
    before it (``ticketgate serve --config F`` = ``ticketgate --config F serve``)."""
    return [
        click.Option(["--config"], type=click.Path(path_type=Path, dir_okay=False), expose_value=False,
                     callback=_set_global, help="TOML config file."),
        click.Option(["--json", "as_json"], is_flag=True, default=None, expose_value=False,
                     callback=_set_global, help="Print one JSON object on stdout."),
        click.Option(["--data-dir", "data_dir"], type=click.Path(path_type=Path, file_okay=False),
                     expose_value=False, callback=_set_global, help="Folder of the embedded PostgreSQL."),
    ]


def _accept_global_options(group: click.Group) -> None:
    for command in group.commands.values():
        if isinstance(command, click.Group):
            _accept_global_options(command)
        else:
            command.params.extend(_global_options())


_accept_global_options(main)
