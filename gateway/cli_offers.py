"""``ticketgate products|discounts|vouchers|waitlist``: what a box office sells beside tickets
and what takes money off an order (gateway.operator_offers), registered on the main group."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, get_args

import click

from core.offers import DiscountType, FulfilmentType, ProductStatus, VoucherType
from gateway import operations_offers as ops
from gateway import operator_offers as offers

Option = Callable[[Any], Any]
box_office_option = click.option("--box-office", required=True, help="Box office slug.")
mode_option = click.option("--mode", type=click.Choice(["live", "test"]), default="live")
series_option = click.option("--series", "series_ids", multiple=True,
                             help="Event series id (es_12 or 12); repeat. Default: every series.")
expires_option = click.option("--expires-at", help="ISO-8601 time with offset, e.g. 2026-12-31T23:59:59Z.")


def register(main: click.Group) -> None:
    from gateway.cli import operation  # the main module's builder: one way to declare a command

    products = main.group("products", help="Create and list products (add-ons sold with tickets).")(_noop)
    operation(products, "create", offers.create_product, ops.CreateProduct, None, box_office_option,
              click.option("--name", required=True), click.option("--description"),
              click.option("--price", type=click.IntRange(min=0), default=0, help="Minor units."),
              click.option("--currency", help="Default: the box office's."),
              click.option("--status", type=click.Choice(get_args(ProductStatus)), default="on_sale"),
              click.option("--fulfilment-type", type=click.Choice(get_args(FulfilmentType)), default="none"),
              click.option("--quantity", type=click.IntRange(min=0), help="Stock; default: not limited."),
              series_option, mode_option)
    operation(products, "list", offers.list_products, ops.ListProducts, None, box_office_option, mode_option)

    discounts = main.group("discounts", help="Create and list discount codes.")(_noop)
    operation(discounts, "create", offers.create_discount, ops.CreateDiscount,
              "Create a code taking fixed amounts off each seat of ticket types and each product unit.",
              box_office_option, click.option("--name", required=True), click.option("--code", required=True),
              click.option("--type", type=click.Choice(get_args(DiscountType)), default="fixed_amount"),
              click.option("--face-value-amount", type=click.IntRange(min=0), default=0, help="Minor units."),
              click.option("--booking-fee-amount", type=click.IntRange(min=0), default=0, help="Minor units."),
              click.option("--ticket-type", "ticket_type_ids", multiple=True, help="Ticket type id; repeat."),
              click.option("--product", "product_ids", multiple=True, help="Product id; repeat."),
              click.option("--max-uses", type=click.IntRange(min=1)), expires_option, mode_option)
    operation(discounts, "list", offers.list_discounts, ops.ListDiscounts, None, box_office_option, mode_option)

    vouchers = main.group("vouchers", help="Create vouchers, their codes, and list them.")(_noop)
    operation(vouchers, "create", offers.create_voucher, ops.CreateVoucher,
              "Create a voucher of a value with codes (given with --code, or --generate N).",
              box_office_option, click.option("--name", required=True),
              click.option("--type", type=click.Choice(get_args(VoucherType)), default="gift_card"),
              click.option("--value", type=click.IntRange(min=1), required=True, help="Minor units per code."),
              click.option("--currency", help="Default: the box office's."),
              click.option("--partial-redemption/--no-partial-redemption", default=True),
              series_option, expires_option, click.option("--code", "codes", multiple=True, help="Repeat."),
              click.option("--generate", type=click.IntRange(0, 1000), default=0), mode_option)
    operation(vouchers, "add-codes", offers.add_voucher_codes, ops.AddVoucherCodes, None, box_office_option,
              click.argument("voucher", metavar="VOUCHER_ID"), click.option("--code", "codes", multiple=True),
              click.option("--generate", type=click.IntRange(0, 1000), default=0), mode_option)
    operation(vouchers, "list", offers.list_vouchers, ops.ListVouchers, None, box_office_option, mode_option)
    operation(vouchers, "codes", offers.list_voucher_codes, ops.ListVoucherCodes, None, box_office_option,
              click.argument("voucher", metavar="VOUCHER_ID"), mode_option)

    waitlist = main.group("waitlist", help="Waitlist signups for sold-out occurrences.")(_noop)
    operation(waitlist, "add", offers.create_waitlist_signup, ops.CreateWaitlistSignup,
              "Sign a buyer up for a sold-out event (refused while it still sells).", box_office_option,
              click.option("--event", "event_id", required=True, help="Event id (any form)."),
              click.option("--email", required=True), click.option("--first-name"), click.option("--last-name"),
              mode_option)
    operation(waitlist, "list", offers.list_waitlist_signups, ops.ListWaitlistSignups, None, box_office_option,
              click.argument("series", metavar="SERIES_ID"), mode_option)


def _noop() -> None:
    """A command group."""
