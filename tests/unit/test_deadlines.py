"""One timer for many waits of one length: each expires at its own deadline, once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from notes.storage.deadlines import Deadlines

SECONDS = 0.05


class Expiries:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.seen: list[tuple[asyncio.Future[Any], float]] = []

    def __call__(self, future: asyncio.Future[Any]) -> None:
        self.seen.append((future, self.loop.time()))
        future.set_exception(TimeoutError())


async def test_a_wait_past_its_deadline_expires_once_and_not_before() -> None:
    loop = asyncio.get_running_loop()
    expiries = Expiries(loop)
    deadlines = Deadlines(SECONDS, expiries)
    future: asyncio.Future[Any] = loop.create_future()
    watched_at = loop.time()
    deadlines.watch(loop, future)
    with pytest.raises(TimeoutError):
        await future
    assert [seen for seen, _ in expiries.seen] == [future]
    # loop.time() may be cached a millisecond coarse: allow for its rounding only.
    assert expiries.seen[0][1] >= watched_at + SECONDS - 0.002
    await asyncio.sleep(2 * SECONDS)
    assert len(expiries.seen) == 1


async def test_waits_that_end_in_time_never_expire() -> None:
    loop = asyncio.get_running_loop()
    expiries = Expiries(loop)
    deadlines = Deadlines(SECONDS, expiries)
    for _ in range(3):
        future: asyncio.Future[Any] = loop.create_future()
        deadlines.watch(loop, future)
        future.set_result(None)
    await asyncio.sleep(3 * SECONDS)
    assert expiries.seen == []


async def test_each_wait_expires_at_its_own_deadline() -> None:
    loop = asyncio.get_running_loop()
    expiries = Expiries(loop)
    deadlines = Deadlines(SECONDS, expiries)
    first: asyncio.Future[Any] = loop.create_future()
    answered: asyncio.Future[Any] = loop.create_future()
    deadlines.watch(loop, first)
    deadlines.watch(loop, answered)
    await asyncio.sleep(SECONDS / 2)
    later: asyncio.Future[Any] = loop.create_future()
    later_at = loop.time()
    deadlines.watch(loop, later)
    answered.set_result(None)
    await asyncio.wait({first, later})
    assert [seen for seen, _ in expiries.seen] == [first, later]
    assert expiries.seen[1][1] >= later_at + SECONDS - 0.002


async def test_the_queue_holds_only_what_is_in_flight() -> None:
    # Answers in their turn leave at the next watch: done futures (and the results
    # they hold) are not kept until the timer comes round.
    loop = asyncio.get_running_loop()
    deadlines = Deadlines(60.0, Expiries(loop))
    in_flight: list[asyncio.Future[Any]] = []
    for _ in range(1000):
        future: asyncio.Future[Any] = loop.create_future()
        deadlines.watch(loop, future)
        in_flight.append(future)
        if len(in_flight) > 3:
            in_flight.pop(0).set_result(None)
        assert len(deadlines) <= 5
    deadlines.close()
    assert len(deadlines) == 0


async def test_nothing_expires_after_close() -> None:
    loop = asyncio.get_running_loop()
    expiries = Expiries(loop)
    deadlines = Deadlines(SECONDS, expiries)
    future: asyncio.Future[Any] = loop.create_future()
    deadlines.watch(loop, future)
    deadlines.close()
    await asyncio.sleep(2 * SECONDS)
    assert expiries.seen == []
    assert not future.done()
