"""Typed inputs of the use cases, validated once here whatever dialect they came from.

Rows read back from PostgreSQL stay asyncpg records (mapping access, no copy):
the dialects' serializers read them directly on the hot path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, ValidationError, field_validator, model_validator
from sqlmodel import SQLModel

from core.errors import FieldError, ValidationFailed

MAX_INT = 2_000_000_000  # below PostgreSQL's integer limit, so no input can overflow a column
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")

Plan = Literal["free", "starter", "growth", "pro"]
Mode = Literal["live", "test"]
Visibility = Literal["public", "unlisted", "private"]
Category = Literal["comedy", "music", "conference", "workshop", "theater", "sports", "other"]
EventStatus = Literal["draft", "published", "sold_out", "cancelled", "completed", "archived"]
TicketTypeStatus = Literal["on_sale", "off_sale", "sold_out", "hidden", "admin_only", "locked"]
PaymentMethod = Literal["stripe", "paypal", "offline", "operator", "no_cost"]


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; refuse it here instead of failing in the driver
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


# The last instant stored: a day short of Python's (and the wire's) last one, so the instant
# shown in any time zone (offsets are under a day) is still a date every dialect can render;
# past it, 9999-12-31T23:59:59-14:00 overflowed in the driver and far-east zones in rendering.
LAST_INSTANT = datetime(9999, 12, 30, 23, 59, 59, tzinfo=UTC)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must include a time zone offset (for example 2026-09-01T19:00:00Z)")
    if not 1900 <= value.year <= 9999:
        raise ValueError("year out of range")
    try:
        in_range = value.astimezone(UTC) <= LAST_INSTANT
    except OverflowError:  # its offset moves it past year 9999
        in_range = False
    if not in_range:
        raise ValueError("out of range: the latest accepted instant is 9999-12-30T23:59:59Z")
    return value


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("must be an IANA time zone name such as Europe/London") from exc
    return value


def _currency(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z]{3}", value):
        raise ValueError("must be a three-letter ISO 4217 code")
    return value.upper()


def _slug(value: str) -> str:
    if not SLUG_RE.fullmatch(value):
        raise ValueError("must be lowercase letters, digits and hyphens (at most 100)")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_no_nul)]
ShortText = Annotated[str, Field(max_length=500), AfterValidator(_no_nul)]
LongText = Annotated[str, Field(max_length=20_000), AfterValidator(_no_nul)]
Instant = Annotated[datetime, AfterValidator(_aware)]
TimeZone = Annotated[str, AfterValidator(_timezone)]
Currency = Annotated[str, AfterValidator(_currency)]
Slug = Annotated[str, AfterValidator(_slug)]
Money = Annotated[int, Field(ge=0, le=MAX_INT)]
Count = Annotated[int, Field(ge=0, le=MAX_INT)]
PerOrder = Annotated[int, Field(ge=1, le=MAX_INT)]


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose data, and which copy of it: every tenant query is bounded by this."""

    box_office_id: int
    livemode: bool


class Input(SQLModel):
    model_config = {"extra": "forbid", "str_strip_whitespace": True}  # type: ignore[assignment]

    def provided(self) -> dict[str, Any]:
        """Only the fields the caller set: the shape of a partial update."""
        return {name: getattr(self, name) for name in self.model_fields_set}


M = TypeVar("M", bound=Input)


def parse(model: type[M], data: Any) -> M:
    """Validate ``data`` into ``model``, raising ValidationFailed with one entry per bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc)) from None


def field_errors(exc: ValidationError) -> list[FieldError]:
    errors = []
    for err in exc.errors():
        field = ".".join(str(part) for part in err["loc"]) or "body"
        message = err["msg"].removeprefix("Value error, ")
        errors.append(FieldError(field, message))
    return errors


class TicketTypeCreate(Input):
    name: Name
    description: LongText | None = None
    price: Money = 0
    booking_fee: Money = 0
    quantity: Count
    sale_starts_at: Instant | None = None
    sale_ends_at: Instant | None = None
    min_per_order: PerOrder = 1
    max_per_order: PerOrder = 100
    hidden: bool = False
    access_code: ShortText | None = None
    sort_order: Annotated[int, Field(ge=-MAX_INT, le=MAX_INT)] = 0
    status: TicketTypeStatus = "on_sale"
    group_id: int | None = None

    @model_validator(mode="after")
    def _consistent(self) -> TicketTypeCreate:
        if self.min_per_order > self.max_per_order:
            raise ValueError("min_per_order must not exceed max_per_order")
        if self.sale_starts_at and self.sale_ends_at and self.sale_ends_at < self.sale_starts_at:
            raise ValueError("sale_ends_at must not be before sale_starts_at")
        return self


def _required(value: Any) -> Any:
    """Partial updates may leave a field out, but may not set a required column to null."""
    if value is None:
        raise ValueError("must not be null")
    return value


class TicketTypeUpdate(Input):
    name: Name | None = None
    description: LongText | None = None
    price: Money | None = None
    booking_fee: Money | None = None
    quantity: Count | None = None
    sale_starts_at: Instant | None = None
    sale_ends_at: Instant | None = None
    min_per_order: PerOrder | None = None
    max_per_order: PerOrder | None = None
    hidden: bool | None = None
    access_code: ShortText | None = None
    sort_order: Annotated[int, Field(ge=-MAX_INT, le=MAX_INT)] | None = None
    status: TicketTypeStatus | None = None

    _not_null = field_validator(
        "name", "price", "booking_fee", "quantity", "min_per_order", "max_per_order", "hidden", "sort_order",
        "status",
    )(classmethod(lambda cls, value: _required(value)))


class EventFields(Input):
    description: LongText | None = None
    ends_at: Instant | None = None
    doors_open_at: Instant | None = None
    venue_name: ShortText | None = None
    address: ShortText | None = None
    postal_code: ShortText | None = None
    city: ShortText | None = None
    country: ShortText | None = None
    access_code: ShortText | None = None
    call_to_action: ShortText | None = None
    image_header: ShortText | None = None
    image_thumbnail: ShortText | None = None


class EventCreate(EventFields):
    title: Name
    slug: Slug | None = None
    starts_at: Instant
    timezone: TimeZone = "UTC"
    online: bool = False
    currency: Currency | None = None
    visibility: Visibility = "public"
    category: Category = "other"
    ticket_types: list[TicketTypeCreate] = Field(default_factory=list, max_length=100)

    @model_validator(mode="after")
    def _ordered(self) -> EventCreate:
        check_event_times(self.starts_at, self.ends_at, self.doors_open_at)
        return self


class EventUpdate(EventFields):
    title: Name | None = None
    slug: Slug | None = None
    starts_at: Instant | None = None
    timezone: TimeZone | None = None
    online: bool | None = None
    currency: Currency | None = None
    visibility: Visibility | None = None
    category: Category | None = None

    _not_null = field_validator(
        "title", "slug", "starts_at", "timezone", "online", "currency", "visibility", "category"
    )(classmethod(lambda cls, value: _required(value)))


def check_event_times(starts: datetime, ends: datetime | None, doors: datetime | None) -> None:
    if ends is not None and ends < starts:
        raise ValueError("ends_at must not be before starts_at")
    if doors is not None and doors > starts:
        raise ValueError("doors_open_at must not be after starts_at")


class Address(Input):
    address_1: ShortText | None = None
    address_2: ShortText | None = None
    address_3: ShortText | None = None
    postal_code: ShortText | None = None


class CustomAnswer(Input):
    question: ShortText
    answer: ShortText | None = None


class Buyer(Input):
    email: Annotated[str, Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    name: ShortText = ""
    phone: ShortText | None = None
    address: Address = Field(default_factory=Address)
    custom_questions: list[CustomAnswer] = Field(default_factory=list, max_length=50)


class OrderLine(Input):
    ticket_type_id: int
    quantity: Annotated[int, Field(ge=1, le=1000)] = 1
    access_code: ShortText | None = None


class ProductLine(Input):
    product_id: int
    quantity: Annotated[int, Field(ge=1, le=1000)] = 1


OfferCode = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_no_nul)]


class OrderCreate(Input):
    event_id: int
    lines: list[OrderLine] = Field(min_length=1, max_length=50)
    buyer: Buyer
    payment_method: PaymentMethod = "operator"
    txn_id: ShortText | None = None
    tax: Money = 0
    # sold with the tickets, and what takes money off them (core.checkout.offers)
    products: list[ProductLine] = Field(default_factory=list, max_length=50)
    discount_code: OfferCode | None = None
    voucher_code: OfferCode | None = None

    @field_validator("products")
    @classmethod
    def _distinct_products(cls, lines: list[ProductLine]) -> list[ProductLine]:
        if len({line.product_id for line in lines}) != len(lines):
            raise ValueError("each product may appear once")
        return lines

    @field_validator("lines")
    @classmethod
    def _distinct(cls, lines: list[OrderLine]) -> list[OrderLine]:
        if len({line.ticket_type_id for line in lines}) != len(lines):
            raise ValueError("each ticket type may appear once")
        return lines


class BoxOfficeCreate(Input):
    name: Name
    slug: Slug | None = None
    plan: Plan = "free"
    currency: Currency = "USD"
    api_terms_accepted: bool = False
    payments_connected: bool = False


class BoxOfficeUpdate(Input):
    name: Name | None = None
    plan: Plan | None = None
    currency: Currency | None = None
    api_terms_accepted: bool | None = None
    payments_connected: bool | None = None
