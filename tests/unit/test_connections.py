"""PostgreSQL's connection set: lent in the order asked for, never a broken one again,
no more open than allowed. On a real server (NOTES_TEST_DATABASE_URL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from notes.storage.connections import ConnectionSet
from notes.storage.postgres import connect_arguments

Factory = Callable[..., ConnectionSet]


@pytest.fixture
def postgres_connect_arguments(fresh_postgres_url: str) -> dict[str, Any]:
    return connect_arguments(fresh_postgres_url)


@pytest.fixture
async def connection_sets(postgres_connect_arguments: dict[str, Any]) -> AsyncIterator[Factory]:
    made: list[ConnectionSet] = []

    def make(size: int = 1, overflow: int = 0) -> ConnectionSet:
        made.append(
            ConnectionSet(
                postgres_connect_arguments, size=size, overflow=overflow, connect_timeout=5
            )
        )
        return made[-1]

    yield make
    for connections in made:
        await connections.close()


async def test_waiters_are_served_in_the_order_they_came(connection_sets: Factory) -> None:
    connections = connection_sets(size=1)
    held = await connections.acquire()
    served: list[int] = []

    async def wait_turn(number: int) -> None:
        connection = await connections.acquire()
        served.append(number)
        await asyncio.sleep(0)  # let later arrivals queue behind
        connections.release(connection)

    tasks = []
    for number in range(8):
        tasks.append(asyncio.create_task(wait_turn(number)))
        await asyncio.sleep(0)
    assert connections.waiting == 8
    connections.release(held)
    await asyncio.gather(*tasks)
    assert served == list(range(8))
    assert (connections.open, connections.lent, connections.waiting) == (1, 0, 0)


async def test_a_broken_connection_is_closed_and_the_next_waiter_opens_one(
    connection_sets: Factory,
) -> None:
    connections = connection_sets(size=1)
    broken = await connections.acquire()
    waiter = asyncio.create_task(connections.acquire())
    await asyncio.sleep(0)
    connections.release(broken, broken=True)
    fresh = await asyncio.wait_for(waiter, 5)
    assert broken.is_closed()
    assert fresh is not broken
    assert await fresh.fetchval("SELECT 1") == 1
    connections.release(fresh)
    assert connections.open == 1


@pytest.mark.parametrize("broken", [False, True])
async def test_a_waiter_cancelled_as_it_is_served_passes_its_turn_on(
    connection_sets: Factory, broken: bool
) -> None:
    # Served a connection (or, after a broken one, room to open one) and cancelled in
    # the same turn: the next waiter must not wait forever.
    connections = connection_sets(size=1)
    held = await connections.acquire()
    first = asyncio.create_task(connections.acquire())
    second = asyncio.create_task(connections.acquire())
    await asyncio.sleep(0)
    connections.release(held, broken=broken)
    first.cancel()
    served = await asyncio.wait_for(second, 5)
    assert first.cancelled()
    assert await served.fetchval("SELECT 1") == 1
    connections.release(served)
    assert (connections.open, connections.lent, connections.waiting) == (1, 0, 0)


async def test_overflow_connections_close_when_nobody_waits(connection_sets: Factory) -> None:
    connections = connection_sets(size=1, overflow=2)
    lent = [await connections.acquire() for _ in range(3)]
    assert connections.overflow == 2
    for connection in lent:
        connections.release(connection)
    assert (connections.open, connections.lent, connections.overflow) == (1, 0, 0)
    await asyncio.sleep(0.5)  # the two beyond the size close in the background
    assert sum(connection.is_closed() for connection in lent) == 2


async def test_a_waiter_that_gives_up_takes_no_connection(connection_sets: Factory) -> None:
    connections = connection_sets(size=1)
    held = await connections.acquire()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await connections.acquire()
    assert connections.waiting == 0
    connections.release(held)
    again = await connections.acquire()
    assert again is held
    connections.release(again)


async def test_no_more_than_size_and_overflow_are_open(connection_sets: Factory) -> None:
    connections = connection_sets(size=2, overflow=1)

    async def borrow() -> None:
        connection = await connections.acquire()
        assert connections.open <= 3
        await connection.fetchval("SELECT pg_sleep(0.01)")
        connections.release(connection)

    await asyncio.gather(*(borrow() for _ in range(30)))
    assert connections.open == 2
