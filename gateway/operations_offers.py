"""The operator's requests for products, discounts, vouchers and waitlist signups.

Each is the core input (core.offers) with the box office and mode, and with the ids it links
to as text in any dialect's form (``es_12``, ``tt_3``, ``12``); ``gateway.operator_offers``
turns them into core ids and runs the use case.
"""

from __future__ import annotations

from pydantic import Field

from core.offers import DiscountCreate, ProductCreate, VoucherCodesCreate, VoucherCreate, WaitlistSignupCreate
from gateway.operations import ModeRequest

IdList = list[str]


class CreateProduct(ModeRequest, ProductCreate):  # type: ignore[misc]
    series_ids: IdList = Field(default_factory=list)  # type: ignore[assignment]


class CreateDiscount(ModeRequest, DiscountCreate):  # type: ignore[misc]
    ticket_type_ids: IdList = Field(default_factory=list)  # type: ignore[assignment]
    product_ids: IdList = Field(default_factory=list)  # type: ignore[assignment]


class CreateVoucher(ModeRequest, VoucherCreate):  # type: ignore[misc]
    series_ids: IdList = Field(default_factory=list)  # type: ignore[assignment]


class AddVoucherCodes(ModeRequest, VoucherCodesCreate):  # type: ignore[misc]
    voucher: str


class CreateWaitlistSignup(ModeRequest, WaitlistSignupCreate):  # type: ignore[misc]
    event_id: str  # type: ignore[assignment]


class ListProducts(ModeRequest):
    pass


class ListDiscounts(ModeRequest):
    pass


class ListVouchers(ModeRequest):
    pass


class ListVoucherCodes(ModeRequest):
    voucher: str


class ListWaitlistSignups(ModeRequest):
    series: str
