"""One deadline per request, on one timer that the requests in flight share.

``asyncio.timeout`` arms an event-loop timer for each request (a heap push, and a cancelled
handle left in the heap until its time would have come) and is entered and left as an async
context manager: about 9 us of a TicketSmart detail GET's 213 in process (2026-12-04,
``python -m tests.bench.inprocess`` with ``request_timeout = 0`` against the default). A request's
deadline is seconds away (``request_timeout``, 15 s by default) and is kept to a tick: the
requests in flight are a set, and one timer, armed while the set is not empty, cancels the late
ones every ``TICK`` seconds.

The contract is ``asyncio.timeout``'s: the late request's task is cancelled, and that cancellation
leaves the block as ``TimeoutError``; a cancellation from anywhere else (the server shutting
down, the client gone) stays a cancellation.
"""

from __future__ import annotations

import asyncio
from types import TracebackType

TICK = 0.05  # seconds: how late a deadline may fire


class Deadlines:
    """The deadlines of one process's requests, each ``seconds`` long (None: no deadline)."""

    __slots__ = ("seconds", "_flight", "_loop", "_timer")

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self._flight: set[Deadline] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None

    def __call__(self) -> Deadline:
        """``with deadlines():`` around a request's work."""
        return Deadline(self)

    def _enter(self, deadline: Deadline, loop: asyncio.AbstractEventLoop) -> None:
        if loop is not self._loop:  # a new event loop (tests run one each): the old one's are gone
            self._loop, self._timer = loop, None
            self._flight.clear()
        self._flight.add(deadline)
        if self._timer is None:
            self._timer = loop.call_later(TICK, self._expire)

    def _leave(self, deadline: Deadline) -> None:
        self._flight.discard(deadline)

    def _expire(self) -> None:
        assert self._loop is not None
        now = self._loop.time()
        for deadline in [d for d in self._flight if d.due <= now and not d.fired]:
            deadline.fired = True
            deadline.task.cancel()
        self._timer = self._loop.call_later(TICK, self._expire) if self._flight else None


class Deadline:
    """One request's deadline: a plain (synchronous) context manager, used inside its task."""

    __slots__ = ("owner", "task", "due", "fired", "cancelling")

    def __init__(self, owner: Deadlines) -> None:
        self.owner = owner
        self.fired = False

    def __enter__(self) -> Deadline:
        seconds = self.owner.seconds
        if seconds is not None:
            loop = asyncio.get_running_loop()
            task = asyncio.current_task(loop)
            assert task is not None, "a deadline is kept inside a task"
            self.task, self.due, self.cancelling = task, loop.time() + seconds, task.cancelling()
            self.owner._enter(self, loop)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.owner.seconds is None:
            return
        self.owner._leave(self)
        # as asyncio.Timeout: the cancel that this deadline sent is taken back, and it leaves as
        # TimeoutError unless someone else asked for a cancel too
        if self.fired and self.task.uncancel() <= self.cancelling and kind is asyncio.CancelledError:
            raise TimeoutError from exc
