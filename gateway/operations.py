"""The operator's operations, each defined once as the pydantic model of its request.

The CLI validates a command's options into one of these, the admin API a route's path
parameters and JSON body (``gateway.admin.ROUTES``); ``gateway.operator`` then runs it. A bad
value is a ``ValidationFailed`` naming the field (``core.models.parse``), before anything is read
or written. Ids and slugs stay text here: any dialect's id form is accepted, and an unknown
box office is a 404 from the operation, not a validation error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal, TypeVar

import asyncpg
from pydantic import ConfigDict, Field, StrictInt, field_validator, model_validator

from core.checkout import Checkout
from core.models import BoxOfficeCreate, BoxOfficeUpdate, Input, Mode
from dialects import registry

R = TypeVar("R", bound=Input)
Operation = Callable[[asyncpg.Connection, Checkout, R], Awaitable[Any]]
"""Every operation: ``async def name(conn, clock, request) -> JSON-ready result``."""


class OperatorRequest(Input):
    """Like every core input, unknown fields are refused; a null field is an absent one (its default)."""

    @model_validator(mode="before")
    @classmethod
    def _null_is_absent(cls, data: Any) -> Any:
        return {k: v for k, v in data.items() if v is not None} if isinstance(data, dict) else data


class OfficeRequest(OperatorRequest):
    box_office: str  # the slug, from the path (admin) or --box-office (CLI)


class ModeRequest(OfficeRequest):
    mode: Mode = "live"


# --- box offices ------------------------------------------------------------------------------

class ListBoxOffices(OperatorRequest):
    pass


class CreateBoxOffice(BoxOfficeCreate):
    """The core's own input, as it is: a null here is refused as the core refuses it."""


class UpdateBoxOffice(BoxOfficeUpdate):
    box_office: str

    def changes(self) -> BoxOfficeUpdate:
        return BoxOfficeUpdate.model_validate(self.model_dump(exclude={"box_office"}, exclude_unset=True))


class ResetTestData(OfficeRequest):
    model_config = ConfigDict(extra="ignore")  # type: ignore[assignment]  # no fields: a body is not read


# --- keys -------------------------------------------------------------------------------------

class ListKeys(OfficeRequest):
    pass


class CreateKey(ModeRequest):
    dialect: str
    scopes: list[str] | None = None  # None: every scope of the dialect
    name: str = ""

    @field_validator("dialect")
    @classmethod
    def _registered(cls, value: str) -> str:
        if value not in registry.NAMES:
            raise ValueError(f"must be one of {', '.join(registry.NAMES)}")
        return value


class RevokeKey(OperatorRequest):
    model_config = ConfigDict(extra="ignore")  # type: ignore[assignment]  # the id is in the path; no body

    key_id: str


# --- orders and tickets -----------------------------------------------------------------------

class PlaceOrder(ModeRequest):
    event: str | int  # an id in any dialect's form, or the event's slug
    tickets: list[str] = Field(min_length=1)  # TYPE or TYPE:QUANTITY, TYPE an id in any form
    email: str
    name: str = ""
    phone: str | None = None
    access_code: str | None = None
    products: list[str] = Field(default_factory=list)  # PRODUCT or PRODUCT:QUANTITY, PRODUCT an id in any form
    discount_code: str | None = None
    voucher_code: str | None = None


class Refund(ModeRequest):
    order: str
    amount: StrictInt | None = None  # minor units; None: all that is left


class VoidTicket(ModeRequest):
    ticket: str  # an id in any form, or the barcode


class CheckIn(ModeRequest):
    ticket: str
    nonce: str = Field(min_length=1, max_length=200)  # the same nonce twice is one check-in


# --- webhooks ---------------------------------------------------------------------------------

class ListDeliveries(OfficeRequest):
    status: Literal["pending", "succeeded", "failed"] | None = None
    limit: int = Field(50, ge=1, le=1000)


class ResendDelivery(OperatorRequest):
    delivery: str
