"""Checkout: placing and refunding orders (``Checkout``), its rules, its SQL, its group commit.

Stock is taken by a conditional UPDATE of each ticket type
(``sold = sold + n WHERE sold + held + n <= quantity``) in the statement or transaction that
writes the order, so a seat is never sold twice, and a CHECK constraint on the table
(``ticket_types_stock``) backs it up. Checkout takes stock and ``core.tickets`` gives it back;
the only other writer of ``sold`` is the migration importer, settling imported orders' counts.

Checkout has two shapes, one answer:

- **at once** (one ticket type, nobody watching order events): a single statement inserts the
  order, its line item and its tickets and takes the stock, which the ``ticket_types_stock``
  constraint refuses past the quantity: then the statement fails as a whole and nothing is
  written. One round trip, atomic by itself. The stock UPDATE is the one part of the statement
  nothing reads, which PostgreSQL runs after the rest, so the row lock every buyer of the type
  queues on lasts only for it and the commit (that order is PostgreSQL's, not a promise it
  makes: correctness never depends on it, only how long the lock is held). Buyers of the type
  who arrive while that statement runs are written together by the next one (group commit,
  ``batches.GroupCommit``). An order whose caller is inside a transaction of its own is never
  batched.
- **in a transaction** (several types, or an observer such as the webhook outbox wants
  ``order.placed`` / ``event.sold_out``): the order is written, observers write in the same
  transaction, then stock is taken type by type in id order (two multi-type orders never
  deadlock) as the last writes, so the row lock other buyers queue on is held for the shortest
  time; a sold-out event is detected before COMMIT.

Whether anyone watches is read with the event and its types, before writing: a subscription
created while an order is being placed may miss that one order.

An order with products, a discount code or a voucher code is always placed in a transaction:
``offers`` claims them before the order is written and writes them with it.

The event's series rules are read in the same context statement: its sale window
(``tickets_available_at`` / ``tickets_unavailable_at``: outside it an order is refused with
``SaleWindowClosed``, saying the series' message when it has one) and its cap per occurrence
(``max_tickets_sold_per_occurrence``: all ticket types of the occurrence together, sold + held).
An order of a capped occurrence is always placed in a transaction, which locks every ticket type
of the occurrence in id order just before taking stock and checks the cap on what it reads then,
so concurrent orders of one occurrence check the cap one after another; an uncapped event's
orders take exactly the statements they did before.
"""

from core.checkout.batches import BATCH_MAX, GroupCommit
from core.checkout.rules import BARCODE_ALPHABET, BARCODE_LENGTH, new_barcode
from core.checkout.service import Checkout, OrderObserver

__all__ = ["BARCODE_ALPHABET", "BARCODE_LENGTH", "BATCH_MAX", "Checkout", "GroupCommit", "OrderObserver",
           "new_barcode"]
