"""dialects.deadlines: asyncio.timeout's contract, on one timer shared by the requests in flight."""

from __future__ import annotations

import asyncio
import time

import pytest

from dialects.deadlines import TICK, Deadlines


async def test_a_late_request_leaves_as_timeout_error() -> None:
    deadlines = Deadlines(0.1)
    started = time.monotonic()
    with pytest.raises(TimeoutError), deadlines():
        await asyncio.sleep(5)
    assert 0.1 <= time.monotonic() - started < 2  # on its deadline (a tick late at most, on a quiet machine)
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]  # the cancel was taken back


async def test_requests_in_time_are_untouched_and_the_timer_stops_when_none_is_in_flight() -> None:
    deadlines = Deadlines(1.0)

    async def request(n: int) -> int:
        with deadlines():
            await asyncio.sleep(0.01 * (n % 3))
            return n

    assert await asyncio.gather(*(request(n) for n in range(50))) == list(range(50))
    await asyncio.sleep(2 * TICK)
    assert deadlines._timer is None and not deadlines._flight


async def test_only_the_late_one_of_several_is_cancelled() -> None:
    deadlines = Deadlines(0.15)

    async def request(seconds: float) -> str:
        try:
            with deadlines():
                await asyncio.sleep(seconds)
                return "done"
        except TimeoutError:
            return "late"

    assert await asyncio.gather(request(0.01), request(1), request(0.05)) == ["done", "late", "done"]


async def test_a_cancellation_from_elsewhere_stays_a_cancellation() -> None:
    deadlines = Deadlines(10)

    async def request() -> None:
        with deadlines():
            await asyncio.sleep(5)

    task = asyncio.create_task(request())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_no_deadline_arms_nothing() -> None:
    deadlines = Deadlines(None)
    with deadlines():
        await asyncio.sleep(0.01)
    assert deadlines._timer is None and not deadlines._flight


def test_each_event_loop_gets_its_own_timer() -> None:
    deadlines = Deadlines(0.05)

    async def late() -> bool:
        try:
            with deadlines():
                await asyncio.sleep(1)
        except TimeoutError:
            return True
        return False

    assert asyncio.run(late()) and asyncio.run(late())  # the second loop's deadline fires too
