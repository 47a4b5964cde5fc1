"""A set of asyncpg connections, lent first come, first served.

Why not asyncpg's own pool: its release runs in a task of its own (``asyncio.shield``)
and resets the session with a round trip to the server (``RESET ALL`` and more) on
every return; and its waiters are not served in order (a request that arrives as a
connection comes back takes it from ``asyncio.Queue`` ahead of the waiter that was
woken, which then queues again at the back), which makes a long tail
(benchmarks/README.md, "PostgreSQL against its floor"). This set hands a returned
connection straight to the first waiter, with no task and no round trip: the units of
work leave no session state behind (no SET, no LISTEN), and one that ended abnormally,
its transaction in an unknown state, is closed, not lent again.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from typing import Any

import asyncpg

logger = logging.getLogger(__name__)

# Statements kept prepared per connection: every listing combination, and the rest.
STATEMENT_CACHE_SIZE = 1024


class ConnectionSet:
    """Up to ``size + overflow`` connections; those beyond ``size`` are closed when
    nobody waits for them. Waiters are served in the order they came."""

    def __init__(
        self, connect_arguments: dict[str, Any], *, size: int, overflow: int, connect_timeout: float
    ) -> None:
        self._connect_arguments = {
            "statement_cache_size": STATEMENT_CACHE_SIZE,
            **connect_arguments,
        }
        self._size = size
        self._limit = size + overflow
        self._connect_timeout = connect_timeout
        self._idle: list[asyncpg.Connection] = []
        self._waiters: collections.deque[asyncio.Future[asyncpg.Connection | None]] = (
            collections.deque()
        )
        self._open = 0  # connections open or being opened
        self._closing: set[asyncio.Task[None]] = set()
        self._closed = False

    @property
    def open(self) -> int:
        return self._open

    @property
    def lent(self) -> int:
        return self._open - len(self._idle)

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    @property
    def overflow(self) -> int:
        return max(0, self._open - self._size)

    async def acquire(self) -> asyncpg.Connection:
        if self._idle:
            return self._idle.pop()
        if self._open < self._limit:
            return await self._connect()
        waiter: asyncio.Future[asyncpg.Connection | None] = (
            asyncio.get_running_loop().create_future()
        )
        self._waiters.append(waiter)
        try:
            connection = await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                # Handed a connection, or room for one, in the same turn as the
                # cancellation: pass it on.
                handed = waiter.result()
                if handed is None:
                    self._pass_room_on()
                else:
                    self.release(handed)
            else:
                # Still queued, unless a release already passed it over as done.
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            raise
        # None: a connection was closed, so there is room to open one.
        return connection if connection is not None else await self._connect()

    async def _connect(self) -> asyncpg.Connection:
        self._open += 1
        try:
            connection: asyncpg.Connection = await asyncpg.connect(
                **self._connect_arguments, timeout=self._connect_timeout
            )
        except BaseException:
            self._open -= 1
            self._pass_room_on()
            raise
        return connection

    def release(self, connection: asyncpg.Connection, *, broken: bool = False) -> None:
        """Take a connection back; ``broken`` (or closed) ones are terminated at once."""
        if broken or connection.is_closed() or self._closed:
            connection.terminate()
            self._open -= 1
            self._pass_room_on()
            return
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        if self._open > self._size:
            self._open -= 1
            self._close_in_background(connection)
            return
        self._idle.append(connection)

    def _pass_room_on(self) -> None:
        """A connection fewer: the first waiter may open one."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def _close_in_background(self, connection: asyncpg.Connection) -> None:
        task = asyncio.get_running_loop().create_task(
            _close(connection, within=self._connect_timeout)
        )
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            self._open -= 1
            await _close(connection, within=self._connect_timeout)
        for task in list(self._closing):
            with contextlib.suppress(BaseException):
                await task
        for waiter in self._waiters:
            waiter.cancel()


async def _close(connection: Any, *, within: float) -> None:
    try:
        await connection.close(timeout=within)
    except Exception:  # an unreachable server: the socket goes anyway
        logger.debug("closing a connection failed", exc_info=True)
        connection.terminate()
