"""Deadlines of many waits of one length, kept by one timer.

A timer for each wait (``call_later``, then ``cancel``) costs nine times what an entry
in a queue does (benchmarks/README.md). All waits are as long, so their deadlines
fall due in the order they were set: the queue is in deadline order, and one timer,
set for its head, is enough. A wait that ends in its turn (a FIFO worker's jobs do)
leaves the queue when the next one is set, so the queue holds about as many waits
as are in flight, and no answer is kept after it was taken.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable
from typing import Any

Future = asyncio.Future[Any]


class Deadlines:
    """Calls `expire(future)` on each watched future still waiting `seconds` after
    it was watched; futures that are done by then are left alone."""

    def __init__(self, seconds: float, expire: Callable[[Future], None]) -> None:
        self._seconds = seconds
        self._expire = expire
        self._waiting: collections.deque[tuple[float, Future]] = collections.deque()
        self._timer: asyncio.TimerHandle | None = None

    def watch(self, loop: asyncio.AbstractEventLoop, future: Future) -> None:
        waiting = self._waiting
        while waiting and waiting[0][1].done():
            waiting.popleft()
        deadline = loop.time() + self._seconds
        waiting.append((deadline, future))
        if self._timer is None:
            self._timer = loop.call_at(deadline, self._fall_due, loop)

    def _fall_due(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        waiting = self._waiting
        now = loop.time()
        while waiting:
            deadline, future = waiting[0]
            if not future.done():
                if deadline > now:  # the next one still has time: wake up for it
                    self._timer = loop.call_at(deadline, self._fall_due, loop)
                    return
                self._expire(future)
            waiting.popleft()

    def __len__(self) -> int:
        return len(self._waiting)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._waiting.clear()
