"""Inputs of what a box office sells beside tickets and what takes money off an order:
products, discounts, vouchers and their codes, and waitlist signups.

Ids inside them are core integers (the surfaces parse their own id forms first). Codes are
matched without regard to case, as buyers type them; they are stored as given.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from core.models import MAX_INT, Currency, Input, Instant, LongText, Money, Name, ShortText

ProductStatus = Literal["on_sale", "off_sale"]
FulfilmentType = Literal["none", "delivery", "collection", "digital"]
DiscountType = Literal["fixed_amount"]
VoucherType = Literal["gift_card", "credit"]
Code = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]
Ids = Annotated[list[int], Field(max_length=500)]
MAX_CODES = 1000  # codes made by one request


class ProductCreate(Input):
    name: Name
    description: LongText | None = None
    price: Money = 0
    currency: Currency | None = None  # the box office's when not given
    status: ProductStatus = "on_sale"
    fulfilment_type: FulfilmentType = "none"
    quantity: Annotated[int, Field(ge=0, le=MAX_INT)] | None = None  # None: not limited
    series_ids: Ids = Field(default_factory=list)  # none: sold with every series


class DiscountCreate(Input):
    name: Name
    code: Code
    type: DiscountType = "fixed_amount"
    face_value_amount: Money = 0
    booking_fee_amount: Money = 0
    ticket_type_ids: Ids = Field(default_factory=list)
    product_ids: Ids = Field(default_factory=list)
    max_uses: Annotated[int, Field(ge=1, le=MAX_INT)] | None = None
    expires_at: Instant | None = None

    @model_validator(mode="after")
    def _takes_something(self) -> DiscountCreate:
        if not self.face_value_amount and not self.booking_fee_amount:
            raise ValueError("face_value_amount or booking_fee_amount must be above 0")
        if not self.ticket_type_ids and not self.product_ids:
            raise ValueError("a discount applies to at least one ticket type or product")
        return self


class VoucherCreate(Input):
    name: Name
    type: VoucherType = "gift_card"
    value: Annotated[int, Field(ge=1, le=MAX_INT)]
    currency: Currency | None = None
    partial_redemption: bool = True
    series_ids: Ids = Field(default_factory=list)  # none: usable on any event
    expires_at: Instant | None = None
    codes: Annotated[list[Code], Field(max_length=MAX_CODES)] = Field(default_factory=list)
    generate: Annotated[int, Field(ge=0, le=MAX_CODES)] = 0  # more codes, made up

    @model_validator(mode="after")
    def _has_codes(self) -> VoucherCreate:
        if len({c.lower() for c in self.codes}) != len(self.codes):
            raise ValueError("codes must be distinct")
        if len(self.codes) + self.generate > MAX_CODES:
            raise ValueError(f"at most {MAX_CODES} codes per request")
        return self


class VoucherCodesCreate(Input):
    codes: Annotated[list[Code], Field(max_length=MAX_CODES)] = Field(default_factory=list)
    generate: Annotated[int, Field(ge=0, le=MAX_CODES)] = 0


class WaitlistSignupCreate(Input):
    event_id: int
    email: Annotated[str, Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    first_name: ShortText | None = None
    last_name: ShortText | None = None
