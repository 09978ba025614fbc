"""The errors the domain raises, each with a stable ``code``.

    CoreError
    ├── ValidationFailed        validation_error   bad input; carries one FieldError per field
    ├── NotFound                not_found          no such object in the caller's box office and mode
    ├── Conflict                conflict           the object's state forbids the action
    │   └── SlugTaken           slug_taken
    ├── Unprocessable           unprocessable      a business rule refuses the action
    │   ├── SoldOut             sold_out
    │   ├── TicketTypeHasSales  ticket_type_has_sales
    │   ├── KeyLimitReached     key_limit_reached
    │   ├── PaymentsNotConnected payments_not_connected
    │   ├── CodeUsedUp          code_used_up       a discount past its uses, a voucher code without value
    │   ├── CodeExpired         code_expired       a discount or voucher code past its expiry
    │   ├── CodeNotApplicable   code_not_applicable the code takes nothing off this order
    │   ├── NotSoldOut          not_sold_out       a waitlist signup for an occurrence still selling
    │   └── SaleWindowClosed    sale_window_closed the event's series sells before or after now, not now
    ├── TermsRequired           api_terms_required the box office has not accepted the API terms
    └── PlanRequired            plan_required      the box office's plan does not include the feature

Only a dialect's ``errors.py`` turns these into HTTP; core never knows status codes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class CoreError(Exception):
    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationFailed(CoreError):
    code = "validation_error"

    def __init__(self, errors: list[FieldError], message: str | None = None) -> None:
        first = errors[0] if errors else None
        super().__init__(message or (f"{first.field}: {first.message}" if first else "Invalid input"))
        self.errors = errors

    @classmethod
    def single(cls, field: str, message: str) -> ValidationFailed:
        return cls([FieldError(field, message)])


class NotFound(CoreError):
    code = "not_found"

    def __init__(self, kind: str, message: str | None = None) -> None:
        super().__init__(message or f"{kind.replace('_', ' ').capitalize()} not found")
        self.kind = kind


class Conflict(CoreError):
    code = "conflict"


class SlugTaken(Conflict):
    code = "slug_taken"

    def __init__(self, slug: str) -> None:
        super().__init__(f"Slug is already taken: {slug}")
        self.slug = slug


class Unprocessable(CoreError):
    code = "unprocessable"


class SoldOut(Unprocessable):
    code = "sold_out"


class TicketTypeHasSales(Unprocessable):
    code = "ticket_type_has_sales"

    def __init__(self) -> None:
        super().__init__("Cannot remove a ticket type that has sold tickets")


class KeyLimitReached(Unprocessable):
    code = "key_limit_reached"


class PaymentsNotConnected(Unprocessable):
    code = "payments_not_connected"


class CodeUsedUp(Unprocessable):
    code = "code_used_up"


class CodeExpired(Unprocessable):
    code = "code_expired"


class CodeNotApplicable(Unprocessable):
    code = "code_not_applicable"


class NotSoldOut(Unprocessable):
    code = "not_sold_out"


class SaleWindowClosed(Unprocessable):
    code = "sale_window_closed"


class TermsRequired(CoreError):
    code = "api_terms_required"

    def __init__(self) -> None:
        super().__init__("The box office must accept the API terms of service before creating this key")


class PlanRequired(CoreError):
    code = "plan_required"
